"""The bfloat16 drag: a real traced level stays faithful to float32, the choice takes it only where it is faster
and faithful (injected timings and errors: no wall clock), and the released frame stays exact."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.engine.images import psnr, tensor_to_images
from studio.engine.jobs import Cancelled, CancelToken
from studio.engine.model.loaded import LoadedModel
from studio.engine.preview.bf16 import Bf16Drag, Bf16Level, worth_trying
from studio.engine.preview.drag import (
    BF16,
    EXACT,
    FAITHFUL_PSNR,
    DragChoice,
    choose_cheaper_drag,
    choose_drag,
)
from studio.engine.preview.export.cache import cached_export
from studio.engine.preview.export.format import level_resolutions
from studio.engine.preview.renderer import LatestWinsRenderer
from studio.engine.preview.runtime import OrtBackend, TorchBackend
from tests.conftest import make_tiny_pair, make_tiny_sg3
from tests.engine.preview.test_export_onnx import shared_cache, tiny_model

LEVELS = level_resolutions(1024)  # full, 256, 128, 64 and 32 px
EXACT_COST = {"32px": 0.08, "64px": 0.3, "128px": 0.8, "256px": 1.2, "full": 3.0}  # as one AMX core measured
BF16_COST = {"64px": 0.06, "128px": 0.09, "256px": 0.2, "full": 0.3}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedModel, Path]:
    model = tiny_model()
    return model, cached_export(model, cache_root=shared_cache(tmp_path_factory))


def _seed_ws(G) -> np.ndarray:
    return G.mapping(torch.from_numpy(np.random.RandomState(1).randn(2, G.z_dim)).float()).detach().numpy()


def test_a_bf16_level_draws_the_float32_picture_within_the_bound_with_its_noise_maps():
    G, _ = make_tiny_pair()
    ws = _seed_ws(G)
    level = Bf16Level(G.synthesis, 16)
    exact = TorchBackend(G)
    got = tensor_to_images(torch.from_numpy(level(ws, {})))
    assert got.shape == (2, 16, 16, 3)
    assert psnr(got, exact.render(ws, "16px")) >= FAITHFUL_PSNR
    maps = {name: np.random.RandomState(2).randn(*G.synthesis.noise_shapes()[name]).astype(np.float32)
            for name in ("b8.conv1", "b16.conv0")}
    maps["b8.conv1"].flags.writeable = False  # a portrait's maps are read-only
    detailed = tensor_to_images(torch.from_numpy(level(ws, maps)))
    assert not np.array_equal(detailed, got)  # the maps reach the bf16 level
    assert psnr(detailed, exact.render(ws, "16px", noise=maps)) >= FAITHFUL_PSNR


def test_the_drag_moves_up_to_the_largest_level_bf16_draws_fast_enough():
    exact = choose_drag(LEVELS, EXACT_COST.__getitem__)
    assert (exact.level, exact.path) == ("32px", EXACT)  # 12.5 frames/s; float32 64 px misses 10
    timed, checked = [], []

    def seconds(level: str) -> float:
        timed.append(level)
        return BF16_COST[level]

    def error(level: str) -> float:
        checked.append(level)
        return 45.0

    choice = choose_cheaper_drag(LEVELS, exact, BF16, seconds, error)
    assert (choice.level, choice.resolution, choice.path) == ("128px", 128, BF16)
    assert choice.fps == pytest.approx(1 / 0.09)
    assert timed == ["64px", "128px", "256px"]  # smallest first, stopping at the first too slow
    assert checked == ["64px", "128px"]  # the one too slow is not checked: its exact frame would cost a second
    assert choice.words() == "Previewing at 128 px while you drag, in reduced precision"
    assert "reduced precision" in choice.detail() and "the picture you let go of is exact" in choice.detail()
    assert "reduced precision" not in exact.words() + exact.detail()


def test_a_bf16_level_too_far_from_the_exact_picture_is_refused_and_logged(caplog):
    exact = choose_drag(LEVELS, EXACT_COST.__getitem__)
    with caplog.at_level(logging.INFO, logger="studio.engine.preview.drag"):
        choice = choose_cheaper_drag(LEVELS, exact, BF16, BF16_COST.__getitem__,
                                     {"64px": 44.0, "128px": 37.5}.__getitem__)
    assert (choice.level, choice.path) == ("64px", BF16)
    assert "bf16 drag at 128 px is refused" in caplog.text and "37.5 dB" in caplog.text
    unfaithful = choose_cheaper_drag(LEVELS, exact, BF16, BF16_COST.__getitem__, lambda level: 39.9)
    assert unfaithful == exact


def test_bf16_never_draws_the_full_picture_nor_where_float32_needs_no_help():
    never = pytest.fail  # a choice that should not time or check anything
    instant = choose_cheaper_drag(LEVELS, choose_drag(LEVELS, EXACT_COST.__getitem__), BF16, lambda level: 1e-3,
                                  lambda level: 60.0)
    assert instant.level == "256px"  # the largest drag level, never "full"
    small = choose_drag(level_resolutions(128), lambda level: 0.02)
    assert small.level == "full" and choose_cheaper_drag(level_resolutions(128), small, BF16, never, never) is small
    slow = choose_drag(LEVELS, lambda level: 10 * EXACT_COST[level])  # even 32 px misses the target
    assert choose_cheaper_drag(LEVELS, slow, BF16, never, never) is slow
    untimed = DragChoice("128px", 128)
    assert choose_cheaper_drag(LEVELS, untimed, BF16, never, never) is untimed


def test_bf16_is_tried_only_for_a_stylegan2_model_drawn_on_a_cpu_with_native_bf16():
    G, _ = make_tiny_pair()
    assert worth_trying(G, on_cpu=True, native=True)
    assert not worth_trying(G, on_cpu=True, native=False)  # emulated bf16 is slower than float32
    assert not worth_trying(G, on_cpu=False, native=True)  # CUDA, TensorRT
    assert not worth_trying(make_tiny_sg3()[0], on_cpu=True, native=True)  # one level only: "full"


@pytest.mark.parametrize("kind", ["cpu", "torch"])
def test_a_backend_drags_in_bf16_where_chosen_and_lets_go_exact(exported, kind):
    model, path = exported
    G = model.G
    backend = TorchBackend(G) if kind == "torch" else OrtBackend(path, "cpu")
    assert backend.on_cpu
    ws = _seed_ws(G)
    exact = {level: backend.render(ws, level) for level in backend.levels}
    costs = {EXACT: {"8px": 0.05, "16px": 0.2, "full": 1.0}, BF16: {"16px": 0.05}}
    drag = backend.time_drag(bf16=G, seconds=lambda p, level: costs[p][level])
    assert (drag.level, drag.path) == ("16px", BF16)
    dragged = backend.render(ws, "drag")
    assert dragged.shape == (2, 16, 16, 3) and not np.array_equal(dragged, exact["16px"])  # bf16 drew it
    assert psnr(dragged, exact["16px"]) >= FAITHFUL_PSNR
    for level in backend.levels:  # the released frame, and any level asked for by name, stays exact
        np.testing.assert_array_equal(backend.render(ws, level), exact[level])
    maps = {"b16.conv1": np.random.RandomState(3).randn(16, 16).astype(np.float32)}
    detailed = backend.render(ws, "drag", noise=maps)
    assert not np.array_equal(detailed, dragged)
    assert psnr(detailed, backend.render(ws, "16px", noise=maps)) >= FAITHFUL_PSNR
    frames = []
    with LatestWinsRenderer(backend, on_frame=frames.append) as renderer:
        renderer.submit(ws, level="drag")
        renderer.wait_until_idle(10)
    assert frames[0].level == "16px" and np.array_equal(frames[0].image, dragged)
    backend.time_drag(bf16=G, seconds=lambda p, level: costs[EXACT][level] / 10)  # float32 reaches full now
    assert backend.drag.path == EXACT and backend.drag.level == "full"
    np.testing.assert_array_equal(backend.render(ws, "drag"), exact["full"])


def test_levels_not_chosen_are_freed_and_a_cancel_stops_between_builds():
    G, _ = make_tiny_pair()
    levels = level_resolutions(32)
    built = Bf16Drag(G, levels, TorchBackend(G).render)
    assert built.psnr("8px") >= FAITHFUL_PSNR and built.psnr("16px") >= FAITHFUL_PSNR
    built.level("full")  # building a third frees the first: only the one below can still be chosen
    assert list(built.built) == ["16px", "full"]
    kept = built.keep(DragChoice("16px", 16, 20.0, BF16))
    assert kept is not None and kept.resolution == 16 and built.built == {}
    assert built.keep(DragChoice("8px", 8, 50.0, EXACT)) is None
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        Bf16Drag(G, levels, TorchBackend(G).render, token).seconds("16px")
