"""The preview of a StyleGAN3 model: torch draws it (the export does not take it yet), at full size only (the
network cannot stop early), moved and turned by the frame's transform."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from studio.engine.edit.portrait import Portrait
from studio.engine.images import tensor_to_images
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.stylegan3 import input_transform
from studio.engine.preview.renderer import Frame, LatestWinsRenderer
from studio.engine.preview.runtime import TorchBackend, onnx_refusal, open_backend


@pytest.fixture
def model(tiny_sg3) -> LoadedModel:
    return LoadedModel(tiny_sg3[0], None, None, "test", {"name": "tiny sg3"})


@pytest.mark.parametrize("prefer", ["auto", "cpu", "cuda", "tensorrt"])
def test_an_sg3_model_goes_to_torch_with_the_reason_and_nothing_exported(model, prefer, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="studio.engine.preview.runtime"):
        backend = open_backend(model, prefer=prefer, cache_root=tmp_path)
    assert isinstance(backend, TorchBackend)
    assert backend.why == onnx_refusal(model) == "StyleGAN3 models are not exported for onnxruntime yet"
    assert not any(tmp_path.iterdir())  # no export was tried
    assert "not exported for onnxruntime yet" in caplog.text
    assert open_backend(model, prefer="torch").why == "as asked"


def test_sg3_previews_at_full_size_only_and_moved(model):
    G = model.G
    backend = TorchBackend(G)
    assert backend.levels == {"full": G.resolution}
    assert backend.resolve_level("drag") == "full"  # a smaller picture costs SG3 the full one: a drag draws it
    portrait = Portrait.from_seed(3).with_view((0.25, -0.1), 30.0)
    ws = portrait.ws(G)
    with torch.no_grad():
        want = tensor_to_images(G.synthesis(ws, transform=portrait.transform()))
        still = tensor_to_images(G.synthesis(ws))
    got = backend.render(ws, "drag", transform=portrait.transform())
    assert got.shape == (1, G.resolution, G.resolution, 3)
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got, still)
    np.testing.assert_array_equal(backend.render(ws), still)
    with pytest.raises(ValueError, match="\\(3, 3\\) matrix of finite numbers, not shape \\(2, 3\\)"):
        backend.render(ws, transform=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="finite numbers"):
        backend.render(ws, transform=np.full((3, 3), np.nan))


def test_the_renderer_carries_each_frames_transform(model):
    G = model.G
    backend = TorchBackend(G)
    ws = Portrait.from_seed(1).ws(G)
    transform = input_transform((0.1, 0.2), -45.0)
    frames: list[Frame] = []
    with LatestWinsRenderer(backend, on_frame=frames.append) as renderer:
        with pytest.raises(ValueError, match="transform"):
            renderer.submit(ws, transform=torch.eye(2))  # refused in the caller, not on the worker
        renderer.submit(ws, tag="moved", transform=transform)
        transform[0, 2] = 5.0  # the caller reuses its matrix: the renderer must have copied it
        assert renderer.wait_until_idle(30)
    assert [f.tag for f in frames] == ["moved"] and frames[0].level == "full"
    np.testing.assert_array_equal(frames[0].image, backend.render(ws, transform=input_transform((0.1, 0.2), -45.0)))
