"""The methods' work size: chosen from the model's size; the work picture holds the finer layers' share; a reduced
search or projection returns the full picture and reaches what a full-size one reaches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.edit.latents import z_from_seed
from studio.engine.invert.projection import DETAIL_MIN, project
from studio.engine.invert.pulse import KEEP_WEIGHT, colour_target, search
from studio.engine.invert.pulse_fit import PrivateSynthesis, WorkRender, latent_stats, render
from studio.engine.invert.work_size import PROJECTION_WORK, SEARCH_WORK, work_size_for
from studio.engine.jobs import Progress
from studio.engine.resample import area_downscale, downscale
from studio.engine.world import render_sample
from tests.conftest import make_tiny_pair

FIT = 20_000


@pytest.fixture(scope="module")
def pair():
    torch.set_num_threads(1)
    return make_tiny_pair(resolution=64)


@pytest.fixture(scope="module")
def upsampling_G():  # noqa: N802 - a generator, named as in the papers
    """A 64 px model whose 64 px block adds nothing: its picture is its own 32 px picture upsampled."""
    G = make_tiny_pair(resolution=64)[0]
    with torch.no_grad():
        G.synthesis.b64.torgb.weight.zero_()
        G.synthesis.b64.torgb.bias.zero_()
    return G


def _start(G) -> torch.Tensor:
    with torch.no_grad():
        return G.mapping(z_from_seed(3, G.z_dim), truncation_psi=0.7)


def _paint() -> np.ndarray:
    paint = np.zeros((32, 32, 4), np.uint8)
    paint[2:10, 8:24] = (40, 80, 230, 255)
    return paint


def test_the_work_size_is_the_automatic_one_capped_at_the_model_or_what_was_asked():
    assert work_size_for(64, SEARCH_WORK) == 64
    assert work_size_for(1024, SEARCH_WORK) == SEARCH_WORK == 128
    assert work_size_for(1024, PROJECTION_WORK) == 1024  # the projection reduces only when asked
    assert work_size_for(1024, PROJECTION_WORK, 256) == 256
    assert work_size_for(64, SEARCH_WORK, 512) == 64
    for bad in (0, 2, 100):
        with pytest.raises(ValueError, match=f"power of two from 4 px up .*not {bad}"):
            work_size_for(256, SEARCH_WORK, bad)


def test_area_downscale_averages_each_footprint():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    torch.testing.assert_close(area_downscale(x, 2), torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))
    assert area_downscale(x, 4) is x
    with pytest.raises(ValueError, match="multiple of 3"):
        area_downscale(x, 3)


def test_the_work_picture_is_the_full_picture_area_averaged_at_each_hold(pair):
    G = pair[0]
    synth = PrivateSynthesis(G)
    at_work = WorkRender(synth, 16, hold=2)
    ws = _start(G)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for call in range(4):
            moved = ws + 0.3 * call * torch.randn(ws.shape, generator=gen)
            full = area_downscale(synth(moved), 16)
            assert not torch.allclose(synth(moved, 16), full, atol=1e-2)  # the model's own 16 px output is not it
            assert torch.allclose(at_work(moved), full, atol=1e-5) == (call % 2 == 0)
        assert torch.equal(WorkRender(synth, 64)(ws), synth(ws))


def test_a_reduced_search_sends_work_size_frames_and_returns_the_full_picture(pair):
    G, _ = pair
    frames: list[Progress] = []
    result = search(G, _paint(), start_ws=_start(G), steps=4, preview_every=2, work_size=32, fit_samples=FIT,
                    progress=frames.append)
    assert [f.preview.shape for f in frames] == [(32, 32, 3)] * 2
    assert result.image.shape == (64, 64, 3)


def test_a_reduced_search_reaches_the_loss_of_a_full_one_on_its_full_picture(pair):
    """On a model whose own 32 px output is far from its picture, the work picture (that output with the finer
    layers' share held) keeps the reduced search on the full picture's loss."""
    G, ws = pair[0], _start(pair[0])
    full = search(G, _paint(), start_ws=ws, steps=30, work_size=64, fit_samples=FIT)
    reduced = search(G, _paint(), start_ws=ws, steps=30, work_size=32, fit_samples=FIT)
    target = colour_target(_paint(), 32, original=render(G, ws), keep_weight=KEEP_WEIGHT)

    def on_the_full_picture(result) -> float:
        with torch.no_grad():
            return target.l2((downscale(render(G, result.ws), 32) + 1) / 2)[0].item()

    assert on_the_full_picture(full) == pytest.approx(full.l2, rel=1e-4)
    assert on_the_full_picture(reduced) == pytest.approx(full.l2, rel=0.25)
    assert reduced.l2 == pytest.approx(on_the_full_picture(reduced), rel=0.1)


def test_a_reduced_projection_fits_the_maps_up_to_the_work_size_and_returns_the_full_picture(pair):
    G, D = pair
    frames: list[Progress] = []
    result = project(G, render_sample(4, 64).image, D=D, steps=8, preview_every=4, work_size=32, fit_samples=FIT,
                     progress=frames.append)
    assert [f.preview.shape for f in frames] == [(32, 32, 3)] * 2
    assert result.image.shape == result.portrait.shape == (64, 64, 3)
    assert sorted(result.noise) == ["b32.conv0", "b32.conv1"]
    assert all(m.shape[-1] >= DETAIL_MIN for m in result.noise.values())
    used = 8  # b4 (1 conv), b8, b16, b32 (2 each), the 32 px ToRGB: the entries only the 64 px block reads stay
    w_avg = latent_stats(G, FIT).w_avg
    assert torch.equal(result.ws[0, used:], w_avg.expand(G.num_ws - used, -1))
    assert not torch.equal(result.ws[0, :used], w_avg.expand(used, -1))
    assert not any(p.grad is not None for p in D.parameters())


def test_a_reduced_projection_reaches_the_psnr_of_a_full_one_where_the_work_size_is_faithful(upsampling_G):
    target = render_sample(4, 64).image
    full = project(upsampling_G, target, steps=40, work_size=64, fit_samples=FIT)
    reduced = project(upsampling_G, target, steps=40, work_size=32, fit_samples=FIT)
    assert reduced.psnr == pytest.approx(full.psnr, abs=0.5)
