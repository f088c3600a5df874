"""PULSE-style colour search: sphere, GEOCROSS, Gaussian map, identity start, keep mask, cancel, bad masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.edit.latents import w_sampling_rates, z_from_seed
from studio.engine.images import ImageError, tensor_to_images
from studio.engine.invert.pulse import (
    MaskError,
    SphericalOptimizer,
    colour_target,
    direction,
    geocross,
    linear1cycledrop,
    load_mask,
    search,
)
from studio.engine.invert.pulse_fit import PrivateSynthesis, WorkRender, from_w, latent_stats, render, to_w
from studio.engine.jobs import CancelToken, Progress
from studio.engine.model.stylegan3 import input_transform
from studio.engine.resample import area_downscale, downscale
from tests.conftest import make_tiny_pair

FIT = 20_000  # fit samples: plenty for a 64-d tiny model, fast


@pytest.fixture(scope="module")
def G():  # noqa: N802 - the generator, named as in the papers
    torch.set_num_threads(1)
    return make_tiny_pair()[0]


@pytest.fixture(scope="module")
def start(G):
    """A seed's portrait made as `studio generate` makes it (psi 0.7), and its W+."""
    z = z_from_seed(3, G.z_dim)
    with torch.no_grad():
        return G.mapping(z, truncation_psi=0.7), tensor_to_images(G(z, truncation_psi=0.7))[0]


def _blue_hair_paint(size: int = 32) -> np.ndarray:
    paint = np.zeros((size, size, 4), np.uint8)
    paint[2 : size // 3, size // 4 : 3 * size // 4] = (40, 80, 230, 255)
    return paint


def test_spherical_optimizer_keeps_each_layer_on_its_initial_sphere():
    x = torch.randn(2, 6, 16, requires_grad=True)
    radii = x.detach().norm(dim=-1)
    opt = SphericalOptimizer([x], lr=0.4)
    for _ in range(5):
        opt.opt.zero_grad()
        (x - 3).square().sum().backward()
        opt.step()
    torch.testing.assert_close(x.detach().norm(dim=-1), radii, rtol=1e-5, atol=1e-5)


def test_geocross_is_zero_for_equal_latents_and_positive_otherwise():
    w = torch.randn(1, 1, 32)
    assert geocross(w.repeat(1, 8, 1)).item() == pytest.approx(0.0, abs=1e-3)
    mixed = w.repeat(1, 8, 1).clone()
    mixed[0, 3] = torch.randn(32)
    assert geocross(mixed).item() > 1.0


def test_gaussian_map_inverse_round_trips(G):
    stats = latent_stats(G, FIT)
    latent = torch.randn(1, G.num_ws, G.w_dim)
    torch.testing.assert_close(from_w(to_w(latent, stats), stats), latent, rtol=1e-4, atol=1e-4)
    w = G.mapping(torch.randn(4, G.z_dim), truncation_psi=0.5)
    torch.testing.assert_close(to_w(from_w(w, stats), stats), w, rtol=1e-5, atol=1e-5)


def test_fit_is_cached_per_model():
    G = make_tiny_pair(seed=7)[0]
    assert latent_stats(G, FIT) is latent_stats(G, FIT)


def test_schedule_is_a_triangle_then_a_drop():
    assert linear1cycledrop(0, 100) == pytest.approx(0.1)
    assert linear1cycledrop(45, 100) == pytest.approx(1.0)
    assert linear1cycledrop(99, 100) < 0.02


def test_downscale_keeps_flat_colours_and_shrinks():
    flat = torch.full((1, 3, 32, 32), 0.25)
    out = downscale(flat, 8)
    assert out.shape == (1, 3, 8, 8)
    torch.testing.assert_close(out, torch.full_like(out, 0.25))


def test_identity_mode_step_zero_reproduces_the_start_image_exactly(G, start):
    ws, image = start
    result = search(G, _blue_hair_paint(), start_ws=ws, steps=1, fit_samples=FIT)
    np.testing.assert_array_equal(result.image, image)
    assert torch.equal(result.ws, ws)
    assert direction(result.ws, ws).abs().max() == 0


def test_identity_mode_starts_from_a_projection_with_its_own_noise(G, start):
    ws, _ = start
    gen = torch.Generator().manual_seed(1)
    noise = {f"b{r}.conv1": torch.randn(r, r, generator=gen).numpy() for r in (4, 8, 16, 32)}
    expected = tensor_to_images(render(G, ws, noise))[0]
    result = search(G, _blue_hair_paint(), start_ws=ws, start_noise=noise, steps=1, fit_samples=FIT)
    np.testing.assert_array_equal(result.image, expected)
    assert set(noise) <= set(result.noise)


def test_loss_decreases_and_the_best_comes_back_with_its_distance(G, start):
    ws, _ = start
    paint = _blue_hair_paint()
    first = search(G, paint, start_ws=ws, steps=1, fit_samples=FIT)
    seen: list[Progress] = []
    result = search(G, paint, start_ws=ws, steps=30, fit_samples=FIT, progress=seen.append)
    assert result.best_loss < 0.8 * first.best_loss
    assert result.l2_in_mask < first.l2_in_mask
    assert result.steps_done == 30 and not result.cancelled
    assert result.reached == (result.l2 <= result.eps)
    assert seen and seen[-1].preview.shape == (G.resolution, G.resolution, 3) and "l2_mask" in seen[-1].metrics
    assert direction(result.ws, ws).shape == (G.num_ws, G.w_dim)


def test_random_start_trains_the_first_noise_layers(G):
    result = search(G, _blue_hair_paint(), steps=5, fit_samples=FIT)
    assert len(result.noise) == 5
    assert result.image.shape == (G.resolution, G.resolution, 3)


def test_cancel_returns_the_best_frame_so_far(G, start):
    ws, image = start
    token = CancelToken()
    losses: list[float] = []

    def on_progress(p: Progress) -> None:
        losses.append(p.metrics["loss"])
        if p.done == 10:
            token.cancel()

    result = search(G, _blue_hair_paint(), start_ws=ws, steps=50, preview_every=1, fit_samples=FIT,
                    progress=on_progress, token=token)
    assert result.cancelled and result.steps_done == 10
    assert result.best_loss <= min(losses) + 1e-6
    assert result.image.shape == image.shape

    token = CancelToken()
    token.cancel()
    early = search(G, _blue_hair_paint(), start_ws=ws, steps=50, fit_samples=FIT, token=token)
    assert early.cancelled and early.steps_done == 0
    np.testing.assert_array_equal(early.image, image)


def test_keep_mask_keeps_the_rest_of_the_portrait_closer(G, start):
    ws, image = start
    paint = _blue_hair_paint()
    outside = paint[..., 3] == 0
    kept = search(G, paint, start_ws=ws, steps=25, fit_samples=FIT)
    free = search(G, paint, start_ws=ws, keep=np.zeros((32, 32), np.uint8), steps=25, fit_samples=FIT)

    def change(img: np.ndarray) -> float:
        return float(np.abs(img.astype(float) - image.astype(float))[outside].mean())

    assert change(kept.image) < change(free.image)


def test_bad_masks_give_one_clear_error(tmp_path, G, start):
    bad = tmp_path / "mask.png"
    bad.write_text("not a picture")
    with pytest.raises(ImageError, match="mask.png"):
        load_mask(bad)
    empty = tmp_path / "empty.png"
    Image.fromarray(np.zeros((8, 8, 4), np.uint8), "RGBA").save(empty)
    with pytest.raises(MaskError, match="empty.png.*alpha"):
        load_mask(empty)
    with pytest.raises(MaskError, match="RGBA"):
        colour_target(np.zeros((8, 8, 3), np.uint8), 8)
    with pytest.raises(MaskError, match="keep mask needs a starting portrait"):
        search(G, _blue_hair_paint(), keep=np.full((32, 32), 255, np.uint8), steps=1, fit_samples=FIT)


def test_a_smaller_work_size_leaves_the_finer_layers_as_they_were(G, start):
    ws, _ = start
    result = search(G, _blue_hair_paint(), start_ws=ws, steps=5, work_size=16, loss_size=16, fit_samples=FIT)
    used = 6  # b4 (1 conv), b8 and b16 (2 each), plus the 16 px ToRGB
    assert torch.equal(result.ws[:, used:], ws[:, used:])
    assert not torch.equal(result.ws[:, :used], ws[:, :used])
    assert result.image.shape == (G.resolution, G.resolution, 3)


def test_layers_limit_the_search_to_those_w_plus_entries(G, start):
    ws, _ = start
    result = search(G, _blue_hair_paint(), start_ws=ws, steps=5, layers="coarse", fit_samples=FIT)
    coarse = [0, 1, 2, 3]  # 4 px and 8 px
    assert not torch.equal(result.ws[:, coarse], ws[:, coarse])
    assert torch.equal(result.ws[:, 4:], ws[:, 4:])
    with pytest.raises(ValueError, match="no W\\+ entry below 8 px"):
        search(G, _blue_hair_paint(), start_ws=ws, steps=1, layers=[6, 7], work_size=8, fit_samples=FIT)


def test_a_small_painted_region_pulls_as_hard_as_a_large_one():
    """Each region's error is its own mean: the same colour error costs the same on 1 pixel or on 100."""
    original = torch.zeros(1, 3, 10, 10) - 1  # black, in [-1, 1]
    for painted in (1, 100):
        paint = np.zeros((10, 10, 4), np.uint8)
        paint.reshape(-1, 4)[:painted] = (255, 255, 255, 255)
        target = colour_target(paint, 10, original=original, keep_weight=0.5)
        total, in_mask = target.l2(torch.zeros(1, 3, 10, 10))  # black everywhere: the paint is missed
        assert in_mask.item() == pytest.approx(1.0)
        assert total.item() == pytest.approx(1.0)  # the kept part matches the original: no keep error


# --- StyleGAN3 ------------------------------------------------------------------------------------------------


def test_on_stylegan3_the_search_keeps_the_moved_picture_and_finds_no_noise(tiny_sg3):
    G, _ = tiny_sg3
    ws = G.mapping(z_from_seed(3, G.z_dim), truncation_psi=0.7).detach()
    moved = input_transform((0.125, -0.0625), 30)
    with torch.no_grad():
        want = tensor_to_images(render(G, ws, transform=moved))[0]
    paint = _blue_hair_paint(16)
    start = search(G, paint, start_ws=ws, steps=1, fit_samples=FIT, transform=moved)
    np.testing.assert_array_equal(start.image, want)  # step 0 is the start as shown, moved
    assert not np.array_equal(start.image, tensor_to_images(render(G, ws))[0])
    result = search(G, paint, start_ws=ws, steps=12, fit_samples=FIT, transform=moved)
    assert result.l2_in_mask < start.l2_in_mask and result.noise == {}
    np.testing.assert_array_equal(result.image, tensor_to_images(render(G, result.ws, transform=moved))[0])
    random = search(G, paint, steps=2, fit_samples=FIT)  # PULSE's random start trains noise maps: SG3 has none
    assert random.noise == {} and random.image.shape == (16, 16, 3)
    with pytest.raises(ValueError, match="does not fit this model"):
        search(G, paint, start_ws=ws, start_noise={"b4.conv1": np.zeros((4, 4), np.float32)}, fit_samples=FIT)
    assert set(w_sampling_rates(G)) == {16}  # groups go by sampling rate: at 16 px every layer is coarse
    coarse = search(G, paint, start_ws=ws, steps=3, layers="coarse", fit_samples=FIT)
    assert all(not torch.equal(coarse.ws[:, i], ws[:, i]) for i in range(G.num_ws))
    with pytest.raises(ValueError, match="'fine' name no W\\+ entry of this model"):
        search(G, paint, start_ws=ws, steps=3, layers="fine", fit_samples=FIT)


def test_on_stylegan3_a_reduced_work_size_is_the_full_picture_area_averaged_and_searches_every_entry(tiny_sg3):
    G, _ = tiny_sg3
    ws = G.mapping(z_from_seed(3, G.z_dim)).detach()
    synth = PrivateSynthesis(G)
    assert synth.ws_used(8) == G.num_ws
    at_work = WorkRender(synth, 8)
    x = ws.clone().requires_grad_(True)
    small = at_work(x)
    torch.testing.assert_close(small, area_downscale(synth(x), 8))
    small.square().sum().backward()
    assert (x.grad.abs().sum(-1) > 0).all()  # every W+ entry draws the 8 px picture
    result = search(G, _blue_hair_paint(16), start_ws=ws, steps=4, work_size=8, loss_size=8, fit_samples=FIT)
    assert result.work_size == 8 and result.image.shape == (16, 16, 3)
    assert all(not torch.equal(result.ws[:, i], ws[:, i]) for i in range(G.num_ws))
