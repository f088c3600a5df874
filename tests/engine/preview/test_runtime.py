"""Preview backends (parity with torch, provider fallback) and the latest-wins renderer."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.engine.edit.portrait import Portrait
from studio.engine.images import tensor_to_images
from studio.engine.model.loaded import LoadedModel
from studio.engine.preview.drag import DragChoice, choose_drag, default_drag
from studio.engine.preview.export.cache import cached_export, find_export
from studio.engine.preview.export.format import level_resolutions
from studio.engine.preview.export.writer import export_onnx
from studio.engine.preview.renderer import Frame, LatestWinsRenderer
from studio.engine.preview.runtime import (
    Backend,
    OrtBackend,
    TorchBackend,
    open_backend,
)
from tests.conftest import make_tiny_pair
from tests.engine.preview.test_export_onnx import shared_cache, tiny_model


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedModel, Path]:
    model = tiny_model()
    return model, cached_export(model, cache_root=shared_cache(tmp_path_factory))


def _open(kind: str, model: LoadedModel, path: Path) -> Backend:
    if kind == "torch":
        return TorchBackend(model.G)
    try:
        return OrtBackend(path, kind)
    except Exception as e:  # noqa: BLE001 - GPU providers are listed everywhere but start only with a GPU
        pytest.skip(f"onnxruntime {kind} does not start on this machine ({e})")


@pytest.fixture(scope="module", params=["cpu", "cuda", "tensorrt", "torch"])
def backend(request, exported) -> Backend:
    return _open(request.param, *exported)


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("level", ["full", "16px", "8px"])
def test_backend_renders_what_torch_renders(backend, exported, level, batch):
    G = exported[0].G
    ws = G.mapping(torch.randn(batch, G.z_dim, generator=torch.Generator().manual_seed(batch))).detach()
    with torch.no_grad():
        want = tensor_to_images(G.synthesis(ws, max_resolution=backend.levels[level]))
    got = backend.render(ws.numpy(), level)
    side = {"full": 32, "16px": 16, "8px": 8}[level]
    assert got.dtype == np.uint8 and got.shape == want.shape == (batch, side, side, 3)
    # float parity is 1e-3 of the range; rounding to uint8 can still differ by one step at a boundary
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def _detail(G, layers, seed: int = 0) -> dict[str, np.ndarray]:
    """Random maps for ``layers`` (a projection's fitted detail), three times the constant noise's spread, so
    that they visibly change the picture of a tiny model."""
    rng = np.random.default_rng(seed)
    shapes = G.synthesis.noise_shapes()
    return {name: (rng.standard_normal(shapes[name]) * 3).astype(np.float32) for name in layers}


@pytest.mark.parametrize("level", ["full", "16px", "8px"])
def test_backend_renders_noise_maps_as_torch_does(backend, exported, level):
    G = exported[0].G
    ws = G.mapping(torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(3))).detach()
    maps = _detail(G, ["b8.conv1", "b16.conv1", "b32.conv0"])
    with torch.no_grad():
        tensors = {k: torch.from_numpy(v) for k, v in maps.items()}
        want = tensor_to_images(G.synthesis(ws, max_resolution=backend.levels[level], noise=tensors))
    got = backend.render(ws.numpy(), level, noise={**maps, "b32.conv0": tensors["b32.conv0"]})  # a tensor too
    assert got.shape == want.shape and np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert np.abs(got.astype(int) - backend.render(ws.numpy(), level).astype(int)).max() > 10


def test_default_noise_is_the_model_constant_noise(backend, exported):
    G = exported[0].G
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(4))).detach().numpy()
    constants = {name: G.synthesis.get_submodule(name).noise_const for name in G.synthesis.noise_shapes()}
    for level in backend.levels:
        plain = backend.render(ws, level)
        assert np.array_equal(backend.render(ws, level, noise={}), plain)
        assert np.array_equal(backend.render(ws, level, noise=constants), plain)


def test_a_full_set_of_maps_serves_the_smaller_levels(backend, exported):
    """The maps finer than a level are not used there: one portrait's set serves every level."""
    G = exported[0].G
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(5))).detach().numpy()
    maps = _detail(G, G.synthesis.noise_shapes())
    for level, res in [("16px", 16), ("8px", 8)]:
        coarse = {k: v for k, v in maps.items() if v.shape[0] <= res}
        assert np.array_equal(backend.render(ws, level, noise=maps), backend.render(ws, level, noise=coarse))
    # the 8 px level renders none of the 16 and 32 px layers' maps, whatever they hold
    fine_only = {k: v for k, v in maps.items() if v.shape[0] > 8}
    assert np.array_equal(backend.render(ws, "8px", noise=fine_only), backend.render(ws, "8px"))


@pytest.mark.parametrize("kind", ["cpu", "torch"])
def test_a_map_that_does_not_fit_is_refused_by_name(exported, kind):
    backend = _open(kind, *exported)
    ws = np.zeros((1, 8, 64), np.float32)
    assert backend.noise_shapes == exported[0].G.synthesis.noise_shapes()
    with pytest.raises(ValueError, match=r"no noise map 'b64\.conv0'"):
        backend.render(ws, noise={"b64.conv0": np.zeros((64, 64))})
    with pytest.raises(ValueError, match=r"noise map 'b16\.conv1' must have shape \(16, 16\), not \(32, 32\)"):
        backend.render(ws, "8px", noise={"b16.conv1": np.zeros((32, 32))})  # even where it would go unused
    with pytest.raises(ValueError, match=r"noise map 'b8\.conv0' must have shape \(8, 8\), not \(1, 8, 8\)"):
        backend.render(ws, noise={"b8.conv0": torch.zeros(1, 8, 8)})


def test_backend_refuses_wrong_shapes_and_levels(exported):
    backend = TorchBackend(exported[0].G)
    with pytest.raises(ValueError, match=r"ws must have shape \(N, 8, 64\)"):
        backend.render(np.zeros((8, 64), np.float32))
    with pytest.raises(ValueError, match="level must be"):
        backend.render(np.zeros((1, 8, 64), np.float32), "eighth")


def test_a_provider_that_cannot_start_falls_back_to_the_next(exported, tmp_path_factory, caplog):
    model, _ = exported
    log = logging.getLogger("test.preview")
    with caplog.at_level(logging.INFO, logger="test.preview"):
        backend = open_backend(model, prefer="cuda", cache_root=shared_cache(tmp_path_factory), log=log)
    if backend.name.startswith("onnxruntime CUDA"):
        pytest.skip("CUDA works on this machine, so nothing falls back")
    assert backend.name == "onnxruntime CPU"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("CUDA failed to start, falling back" in w for w in warnings)
    assert any("preview backend: onnxruntime CPU" in r.getMessage() for r in caplog.records)


def test_a_model_that_cannot_export_falls_back_to_torch(tmp_path, caplog):
    model = tiny_model()
    with torch.no_grad():
        model.G.mapping.fc0.weight[0, 0] = float("nan")
    log = logging.getLogger("test.preview")
    with caplog.at_level(logging.INFO, logger="test.preview"):
        backend = open_backend(model, prefer="cpu", cache_root=tmp_path, log=log)
    assert backend.name == "torch cpu"
    assert backend.why.startswith("the last resort: the model could not be exported (")
    assert "mapping.onnx" in backend.why
    assert any("cannot use onnxruntime" in r.getMessage() for r in caplog.records)


def test_without_export_onnxruntime_draws_only_a_cached_export(exported, tmp_path, tmp_path_factory):
    """What a window draws at once: onnxruntime when the cache holds the model's export, else torch (no export)."""
    model, path = exported
    waiting = open_backend(model, prefer="auto", cache_root=tmp_path, export=False)
    assert waiting.name == "torch cpu" and waiting.why == "until the model is exported for onnxruntime"
    assert list(tmp_path.iterdir()) == []
    assert find_export(model, tmp_path) is None and find_export(model, shared_cache(tmp_path_factory)) == path
    cached = open_backend(model, prefer="cpu", cache_root=shared_cache(tmp_path_factory), export=False)
    assert cached.name == "onnxruntime CPU" and cached.why == "as asked"
    assert open_backend(model, prefer="torch", cache_root=tmp_path).why == "as asked"


@torch.no_grad()
def test_torch_draws_right_while_the_same_model_is_exported(tmp_path):
    """torch.export swaps the traced module's weights for fake tensors: the export must trace a module of its own,
    or the window's torch frames drawn meanwhile (its first pictures) go wrong or fail."""
    model = tiny_model()
    backend = TorchBackend(model.G)
    ws = model.G.mapping(torch.randn(1, model.G.z_dim, generator=torch.Generator().manual_seed(9))).numpy()
    want = backend.render(ws)
    failures: list[BaseException] = []
    exporting = threading.Thread(target=lambda: _capture(failures, export_onnx, model, tmp_path / "export"))
    exporting.start()
    frames = wrong = 0
    while exporting.is_alive():
        try:
            wrong += not np.array_equal(backend.render(ws), want)
        except Exception as e:  # noqa: BLE001 - what a broken frame raises is torch's business; count it
            failures.append(e)
        frames += 1
    exporting.join()
    assert frames > 0 and wrong == 0 and failures == []
    assert all(p.device.type == "cpu" and not p.is_meta for p in model.G.parameters())


def _capture(failures: list[BaseException], fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as e:  # noqa: BLE001 - reported by the test
        failures.append(e)


# --- renderer -----------------------------------------------------------------------------------------------


class GatedBackend(TorchBackend):
    """Holds its first frame until ``release`` is set, so requests pile up behind it without any timing."""

    def __init__(self, G, fail_on: float | None = None) -> None:
        super().__init__(G)
        self.started, self.release = threading.Event(), threading.Event()
        self.fail_on = fail_on
        self.rendered_ws: list[float] = []

    def _synthesize(self, ws, level, noise, transform):
        self.started.set()
        self.release.wait(30)
        self.rendered_ws.append(float(ws[0, 0, 0]))
        if ws[0, 0, 0] == self.fail_on:
            raise RuntimeError("boom")
        return super()._synthesize(ws, level, noise, transform)


def _ws(i: float, G) -> np.ndarray:
    ws = np.zeros((1, G.num_ws, G.w_dim), np.float32)
    ws[0, 0, 0] = i
    return ws


def test_renderer_renders_only_the_newest_request(exported):
    G = exported[0].G
    backend = GatedBackend(G)
    frames: list[Frame] = []
    with LatestWinsRenderer(backend, on_frame=frames.append) as renderer:
        ids = [renderer.submit(_ws(0, G), tag="first")]
        assert backend.started.wait(30)  # the worker is busy with request 1; the rest queue behind it
        ws = _ws(0, G)
        for i in range(1, 50):
            ws[0, 0, 0] = i  # the caller reuses its array: the renderer must have copied it
            ids.append(renderer.submit(ws, level="16px", tag=i))
        backend.release.set()
        assert renderer.wait_until_idle(30)
    assert ids == list(range(1, 51))
    assert [f.request_id for f in frames] == [1, 50]
    assert backend.rendered_ws == [0.0, 49.0]
    assert frames[-1].tag == 49 and frames[-1].level == "16px" and frames[-1].image.shape == (1, 16, 16, 3)
    assert renderer.rendered == 2 and renderer.dropped == 48


def test_renderer_carries_a_copy_of_the_noise_maps_and_refuses_bad_ones_on_submit(exported):
    G = exported[0].G
    backend = GatedBackend(G)
    frames: list[Frame] = []
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(6))).detach().numpy()
    maps = _detail(G, ["b16.conv0", "b32.conv1"])
    want = TorchBackend(G).render(ws, "full", noise=maps)
    with LatestWinsRenderer(backend, on_frame=frames.append) as renderer:
        renderer.submit(ws, tag="default")
        assert backend.started.wait(30)
        renderer.submit(ws, tag="detail", noise=maps)
        with pytest.raises(ValueError, match="'b32.conv0' must have shape"):
            renderer.submit(ws, tag="bad", noise={"b32.conv0": np.zeros((16, 16))})  # fails here, not on the worker
        for m in maps.values():
            m[:] = 0  # the caller reuses its maps: the renderer must have copied them
        backend.release.set()
        assert renderer.wait_until_idle(30)
    assert [f.tag for f in frames] == ["default", "detail"] and renderer.dropped == 0
    assert np.array_equal(frames[1].image, want) and not np.array_equal(frames[0].image, want)


def test_a_portraits_read_only_maps_are_not_copied_per_frame(exported):
    """A portrait's maps are frozen (read-only, owning their data): the renderer may keep them as they are."""
    G = exported[0].G
    backend = TorchBackend(G)
    p = Portrait.from_w_plus(np.zeros((G.num_ws, G.w_dim), np.float32), noise=_detail(G, ["b32.conv1"]))
    assert backend.prepare_noise(p.noise, copy=True)["b32.conv1"] is p.noise["b32.conv1"]
    writable = _detail(G, ["b32.conv1"])
    assert backend.prepare_noise(writable, copy=True)["b32.conv1"] is not writable["b32.conv1"]
    view = writable["b32.conv1"][:]
    view.flags.writeable = False  # read-only, but its owner can still change it
    assert backend.prepare_noise({"b32.conv1": view}, copy=True)["b32.conv1"] is not view
    ws = p.ws(G).numpy()
    np.testing.assert_array_equal(backend.render(ws, noise=p.noise), backend.render(ws, noise=writable))


def test_renderer_reports_errors_and_keeps_going(exported):
    G = exported[0].G
    backend = GatedBackend(G, fail_on=1.0)
    backend.release.set()
    frames, errors = [], []
    renderer = LatestWinsRenderer(backend, on_frame=frames.append, on_error=lambda i, e: errors.append((i, e)))
    failing = renderer.submit(_ws(1, G))
    assert renderer.wait_until_idle(30)
    ok = renderer.submit(_ws(2, G))
    assert renderer.wait_until_idle(30)
    renderer.close()
    assert [(i, str(e)) for i, e in errors] == [(failing, "boom")]
    assert [f.request_id for f in frames] == [ok]
    with pytest.raises(RuntimeError, match="closed"):
        renderer.submit(_ws(3, G))


def test_a_failing_frame_callback_reaches_on_error(exported):
    G = exported[0].G
    errors = []

    def broken(frame: Frame) -> None:
        raise KeyError("the UI went away")

    with LatestWinsRenderer(TorchBackend(G), on_frame=broken, on_error=lambda i, e: errors.append(e)) as renderer:
        renderer.submit(_ws(0, G))
        assert renderer.wait_until_idle(30)
    assert len(errors) == 1 and isinstance(errors[0], KeyError)


def test_the_renderer_switches_backend_between_frames_and_each_frame_names_it(exported):
    """torch draws a model's first pictures while its export runs; onnxruntime takes over without a lost request
    and draws the same picture within one step of 255."""
    model, path = exported
    G = model.G
    first = GatedBackend(G)
    faster = OrtBackend(path, "cpu")
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(10))).detach().numpy()
    frames: list[Frame] = []
    with LatestWinsRenderer(first, on_frame=frames.append) as renderer:
        renderer.submit(ws, tag="torch")
        assert first.started.wait(30)  # torch is drawing: the switch waits for the frame to finish
        renderer.use(faster)
        renderer.submit(ws, tag="onnxruntime")
        first.release.set()
        assert renderer.wait_until_idle(30)
        with pytest.raises(ValueError, match="does not render the model"):
            renderer.use(TorchBackend(make_tiny_pair(resolution=16)[0]))
    assert [(f.tag, f.backend) for f in frames] == [("torch", "torch cpu"), ("onnxruntime", "onnxruntime CPU")]
    assert np.abs(frames[0].image.astype(int) - frames[1].image.astype(int)).max() <= 1


def test_renderer_frame_rate_counts_recent_frames(exported):
    G = exported[0].G
    with LatestWinsRenderer(TorchBackend(G), fps_window=600.0) as renderer:
        assert renderer.fps == 0.0
        for i in range(3):
            renderer.submit(_ws(i, G))
            assert renderer.wait_until_idle(30)
        assert renderer.fps * renderer.fps_window == pytest.approx(3)


def test_a_drag_draws_the_largest_level_that_reaches_the_target(exported):
    """choose_drag with an injected timing: no wall clock, the same decision on any machine."""
    levels = level_resolutions(1024)
    cost = {"32px": 0.02, "64px": 0.05, "128px": 0.09, "256px": 0.2, "full": 2.4}
    timed: list[str] = []

    def seconds(level: str) -> float:
        timed.append(level)
        return cost[level]

    choice = choose_drag(levels, seconds)
    assert (choice.level, choice.resolution) == ("128px", 128) and choice.fps == pytest.approx(1 / 0.09)
    assert timed == ["32px", "64px", "128px", "256px"]  # from the smallest up, stopping at the first too slow
    assert choice.words() == "Previewing at 128 px while you drag"
    slow = choose_drag(levels, lambda level: 10 * cost[level])  # nothing reaches 10 frames/s: the fastest
    assert (slow.level, slow.fps) == ("32px", pytest.approx(5.0))
    small = choose_drag(level_resolutions(128), lambda level: 0.02)  # a small model drags at full size
    assert small.level == "full" and small.words() == ""
    assert default_drag(levels).level == "128px" and default_drag(level_resolutions(32)).level == "full"
    assert not default_drag(level_resolutions(32)).only

    def untimed(level: str) -> float:
        raise AssertionError(f"the {level} level was timed")

    only = choose_drag(level_resolutions(1024, "sg3-r"), untimed)  # StyleGAN3: one level, nothing to choose
    assert only == default_drag({"full": 1024}) == DragChoice("full", 1024, None, only=True)
    assert only.words() == "" and "cannot draw a smaller one faster" in only.detail()


@pytest.mark.parametrize("kind", ["cpu", "torch"])
def test_a_backend_opened_for_a_model_has_timed_its_drag_and_draws_it(exported, tmp_path_factory, kind):
    model, _ = exported
    backend = open_backend(model, prefer=kind, cache_root=shared_cache(tmp_path_factory))
    assert backend.drag.fps is not None and backend.drag.level in backend.levels
    ws = np.zeros((1, 8, 64), np.float32)
    px = backend.drag.resolution
    assert backend.resolve_level("drag") == backend.drag.level
    assert np.array_equal(backend.render(ws, "drag"), backend.render(ws, backend.drag.level))
    assert backend.render(ws, "drag").shape == (1, px, px, 3)
    waiting = open_backend(model, prefer=kind, cache_root=shared_cache(tmp_path_factory), time_drag=False)
    assert waiting.drag.fps is None
