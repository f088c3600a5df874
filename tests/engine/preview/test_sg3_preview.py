"""The preview of a StyleGAN3 model: each frame moved and turned by its own transform through the latest-wins
renderer (the backends and the export: test_export_sg3)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.edit.portrait import Portrait
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.stylegan3 import input_transform
from studio.engine.preview.renderer import Frame, LatestWinsRenderer
from studio.engine.preview.runtime import TorchBackend


@pytest.fixture
def model(tiny_sg3) -> LoadedModel:
    return LoadedModel(tiny_sg3[0], None, None, "test", {"name": "tiny sg3"})


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
