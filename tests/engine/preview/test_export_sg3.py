"""StyleGAN3 in the preview: its export (one level, the transform as an input), parity with torch, the runtime and
the cache, on tiny T and R models."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import numpy_helper

from studio.engine.images import tensor_to_images
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.stylegan3 import input_transform
from studio.engine.preview.drag import DragChoice
from studio.engine.preview.export.cache import cached_export, find_export
from studio.engine.preview.export.format import ExportError, ExportInfo
from studio.engine.preview.export.parity import PARITY_TOLERANCE, check_synthesis, relative_error
from studio.engine.preview.runtime import OrtBackend, TorchBackend, open_backend
from tests.conftest import make_tiny_sg3
from tests.engine.preview.test_export_onnx import shared_cache, tiny_model


def tiny_sg3_model(config: str) -> LoadedModel:
    G, D = make_tiny_sg3(config)
    return LoadedModel(G, D, None, "studio", {"name": f"tiny sg3-{config}"})


@pytest.fixture(scope="module", params=["t", "r"])
def exported(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedModel, Path]:
    model = tiny_sg3_model(request.param)
    return model, cached_export(model, cache_root=shared_cache(tmp_path_factory))


def _ws(G, n: int, seed: int) -> torch.Tensor:
    return G.mapping(torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))).detach()


def test_the_export_has_one_level_and_the_transform_as_an_input(exported):
    model, path = exported
    G = model.G
    info = ExportInfo.read(path)
    assert info.architecture == G.architecture and info.architecture in ("sg3-t", "sg3-r")
    assert info.levels == {"full": 16} and info.noise_shapes == {}
    assert set(info.parity) == {"mapping", "full"} and max(info.parity.values()) <= PARITY_TOLERANCE
    assert sorted(p.name for p in path.iterdir()) == ["mapping.onnx", "model.json", "synthesis.onnx"]
    described = json.loads((path / "model.json").read_text())
    assert described["graphs"]["full"]["inputs"] == ["ws", "transform"] and described["transform"]["shape"] == [3, 3]
    exported_graph = onnx.load(str(path / "synthesis.onnx"))
    onnx.checker.check_model(exported_graph)
    graph = exported_graph.graph
    assert [i.name for i in graph.input] == ["ws", "transform"] and [o.name for o in graph.output] == ["img"]
    assert [d.dim_value for d in graph.input[1].type.tensor_type.shape.dim] == [3, 3]
    default = next(numpy_helper.to_array(t) for t in graph.initializer if t.name == "transform")
    assert np.array_equal(default, G.synthesis.input.transform.numpy())  # the network's own: the identity here


@torch.no_grad()
def test_the_graph_runs_on_ws_alone_and_a_fed_transform_moves_the_picture_as_torch_does(exported):
    model, path = exported
    G = model.G
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path / "synthesis.onnx"), options, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["ws"]
    assert [i.name for i in session.get_overridable_initializers()] == ["transform"]
    ws = _ws(G, 3, seed=5)
    own = session.run(None, {"ws": ws.numpy()})[0]
    assert relative_error(own, G.synthesis(ws).numpy()) <= PARITY_TOLERANCE
    for translate, rotate in [((0.25, 0.0), 0.0), ((0.0, -0.1), 0.0), ((0.0, 0.0), 90.0), ((0.1, 0.05), -33.0)]:
        transform = input_transform(translate, rotate)
        moved = session.run(None, {"ws": ws.numpy(), "transform": transform.numpy()})[0]
        assert relative_error(moved, G.synthesis(ws, transform=transform).numpy()) <= PARITY_TOLERANCE
        assert np.abs(moved - own).max() > 0.05 * np.abs(own).max()  # the picture really moved


@pytest.mark.parametrize("kind", ["cpu", "torch"])
def test_backends_draw_one_level_and_take_a_transform(exported, kind):
    model, path = exported
    G = model.G
    backend = OrtBackend(path, "cpu") if kind == "cpu" else TorchBackend(G)
    assert backend.architecture == G.architecture and backend.levels == {"full": 16}
    assert backend.resolve_level("drag") == "full"  # a smaller picture costs SG3 the full one: a drag draws it
    ws = _ws(G, 2, seed=6)
    transform = input_transform((0.1, -0.05), 30.0)
    with torch.no_grad():
        want = tensor_to_images(G.synthesis(ws, transform=transform))
    got = backend.render(ws.numpy(), "drag", transform=transform)  # a tensor; numpy arrays too
    assert got.shape == want.shape == (2, 16, 16, 3) and np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert np.array_equal(backend.render(ws, transform=transform.numpy()), got)
    plain = backend.render(ws)
    assert not np.array_equal(got, plain)
    assert np.array_equal(backend.render(ws, transform=G.synthesis.input.transform), plain)
    with pytest.raises(ValueError, match=r"\(3, 3\) matrix of finite numbers, not shape \(2, 3\)"):
        backend.render(ws, transform=np.eye(3)[:2])
    with pytest.raises(ValueError, match="finite numbers"):
        backend.render(ws, transform=np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="'b4.conv1' does not fit this model: a StyleGAN3 network has no noise"):
        backend.render(ws, noise={"b4.conv1": np.zeros((4, 4))})


@pytest.mark.parametrize("kind", ["cpu", "torch"])
def test_a_stylegan2_backend_refuses_a_transform(kind, tmp_path_factory):
    model = tiny_model()
    backend = (OrtBackend(cached_export(model, cache_root=shared_cache(tmp_path_factory)), "cpu") if kind == "cpu"
               else TorchBackend(model.G))
    with pytest.raises(ValueError, match="this model is StyleGAN2"):
        backend.render(np.zeros((1, backend.num_ws, backend.w_dim), np.float32), transform=np.eye(3))


@pytest.mark.parametrize("prefer", ["auto", "cpu"])
def test_open_backend_runs_stylegan3_on_onnxruntime_with_one_untimed_level(exported, tmp_path_factory, caplog,
                                                                            prefer):
    """StyleGAN3 goes to onnxruntime as StyleGAN2 does; its drag is its one level, chosen without timing frames."""
    model, path = exported
    log = logging.getLogger("test.preview")
    with caplog.at_level(logging.INFO, logger="test.preview"):
        backend = open_backend(model, prefer=prefer, cache_root=shared_cache(tmp_path_factory), log=log)
    assert backend.name == "onnxruntime CPU" and backend.info.path == path
    assert backend.drag == DragChoice("full", 16, None, only=True) and backend.drag.words() == ""
    assert "cannot draw a smaller one faster" in backend.drag.detail()
    messages = [r.getMessage() for r in caplog.records]
    assert any("StyleGAN3 has no early exit" in m for m in messages)
    assert "preview: a drag draws the full level (16 px), the model's only level" in messages
    asked = open_backend(model, prefer="torch", cache_root=shared_cache(tmp_path_factory))
    assert isinstance(asked, TorchBackend) and asked.why == "as asked" and asked.drag.only


def test_the_parity_check_refuses_a_wrong_transform_default(exported, tmp_path):
    model, path = exported
    broken = tmp_path / "broken"
    shutil.copytree(path, broken)
    graph = onnx.load(str(broken / "synthesis.onnx"))
    default = next(t for t in graph.graph.initializer if t.name == "transform")
    default.CopyFrom(numpy_helper.from_array(input_transform((0.2, 0.0)).numpy(), "transform"))
    onnx.save(graph, str(broken / "synthesis.onnx"))
    with pytest.raises(ExportError, match=r"synthesis\.onnx: differs from torch"):
        check_synthesis(model.G, {"full": (broken / "synthesis.onnx", 16)})


def test_the_cache_exports_again_for_another_architecture_or_format(tmp_path, tmp_path_factory):
    """A folder of the same weights hash is trusted only when it says it is this architecture's, in this format;
    else it is exported again in place (once, for T: the path is the same for R)."""
    model = tiny_sg3_model("t")
    path = cached_export(model, cache_root=shared_cache(tmp_path_factory))  # the fixture's export
    copy = tmp_path / model.weights_hash
    shutil.copytree(path, copy)
    assert find_export(model, tmp_path) == copy
    described = json.loads((copy / "model.json").read_text())
    (copy / "model.json").write_text(json.dumps({**described, "architecture": "sg2"}))
    assert find_export(model, tmp_path) is None
    (copy / "model.json").write_text(json.dumps({**described, "format_version": 3}))
    assert find_export(model, tmp_path) is None
    with pytest.raises(ExportError, match="another version"):
        ExportInfo.read(copy)
    assert cached_export(model, cache_root=tmp_path) == copy  # rebuilt in place
    assert ExportInfo.read(copy).architecture == model.G.architecture
