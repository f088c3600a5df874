"""Preview backends (parity with torch, provider fallback) and the latest-wins renderer."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.engine.images import tensor_to_images
from studio.engine.model.checkpoints import LoadedModel
from studio.engine.preview.export_onnx import cached_export
from studio.engine.preview.renderer import Frame, LatestWinsRenderer
from studio.engine.preview.runtime import Backend, OrtBackend, TorchBackend, open_backend
from tests.engine.test_export_onnx import shared_cache, tiny_model


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedModel, Path]:
    model = tiny_model()
    return model, cached_export(model, cache_root=shared_cache(tmp_path_factory))


def _open(kind: str, model: LoadedModel, path: Path) -> Backend:
    if kind == "torch":
        return TorchBackend(model.G)
    try:
        return OrtBackend(path, kind)
    except Exception as e:  # GPU providers are listed everywhere but start only with a GPU
        pytest.skip(f"onnxruntime {kind} does not start on this machine ({e})")


@pytest.fixture(scope="module", params=["cpu", "cuda", "tensorrt", "torch"])
def backend(request, exported) -> Backend:
    return _open(request.param, *exported)


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("level", ["full", "half", "quarter"])
def test_backend_renders_what_torch_renders(backend, exported, level, batch):
    G = exported[0].G
    ws = G.mapping(torch.randn(batch, G.z_dim, generator=torch.Generator().manual_seed(batch))).detach()
    with torch.no_grad():
        want = tensor_to_images(G.synthesis(ws, max_resolution=backend.levels[level]))
    got = backend.render(ws.numpy(), level)
    side = {"full": 32, "half": 16, "quarter": 8}[level]
    assert got.dtype == np.uint8 and got.shape == want.shape == (batch, side, side, 3)
    # float parity is 1e-3 of the range; rounding to uint8 can still differ by one step at a boundary
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_backend_maps_like_torch(backend, exported):
    G = exported[0].G
    z = torch.randn(3, G.z_dim, generator=torch.Generator().manual_seed(7))
    got = backend.map(z, psi=0.6)
    want = G.mapping(z, truncation_psi=0.6).detach().numpy()
    assert got.shape == (3, G.num_ws, G.w_dim)
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max()


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
    assert any("cannot use onnxruntime" in r.getMessage() for r in caplog.records)


# --- renderer -----------------------------------------------------------------------------------------------


class GatedBackend(TorchBackend):
    """Holds its first frame until ``release`` is set, so requests pile up behind it without any timing."""

    def __init__(self, G, fail_on: float | None = None) -> None:
        super().__init__(G)
        self.started, self.release = threading.Event(), threading.Event()
        self.fail_on = fail_on
        self.rendered_ws: list[float] = []

    def _synthesize(self, ws, level):
        self.started.set()
        self.release.wait(30)
        self.rendered_ws.append(float(ws[0, 0, 0]))
        if ws[0, 0, 0] == self.fail_on:
            raise RuntimeError("boom")
        return super()._synthesize(ws, level)


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
            ids.append(renderer.submit(ws, level="half", tag=i))
        backend.release.set()
        assert renderer.wait_until_idle(30)
    assert ids == list(range(1, 51))
    assert [f.request_id for f in frames] == [1, 50]
    assert backend.rendered_ws == [0.0, 49.0]
    assert frames[-1].tag == 49 and frames[-1].level == "half" and frames[-1].image.shape == (1, 16, 16, 3)
    assert renderer.rendered == 2 and renderer.dropped == 48


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


def test_renderer_frame_rate_counts_recent_frames(exported):
    G = exported[0].G
    with LatestWinsRenderer(TorchBackend(G), fps_window=600.0) as renderer:
        assert renderer.fps == 0.0
        for i in range(3):
            renderer.submit(_ws(i, G))
            assert renderer.wait_until_idle(30)
        assert renderer.fps * renderer.fps_window == pytest.approx(3)
