"""The head locator: training on a few portraits, its outputs, and the shipped locator finding world heads."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.world.face_crop import FACE_SIZE, face_squares, head_boxes, square_overlap
from studio.engine.world.head_locator import (
    HeadLocator,
    load_locator,
    locate_heads,
    located_faces,
    locator_errors,
    train_locator,
)
from studio.engine.world.sample import render_image
from studio.engine.world.small_cnn import load_net, save_net


@pytest.fixture(scope="module")
def portraits() -> tuple[np.ndarray, list[dict]]:
    rendered = [render_image(s, 64, ["eye_l", "nose"] if s % 3 == 0 else ()) for s in range(12)]
    return np.stack([r[0] for r in rendered]), [r[1] for r in rendered]


def test_locator_trains_deterministically_and_saves(portraits, tmp_path):
    images, records = portraits
    a = train_locator(images, records, steps=8, batch=4, seed=3)
    b = train_locator(images, records, steps=8, batch=4, seed=3)
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    heads = locate_heads(a, images)
    assert heads.shape == (12, 3) and torch.isfinite(heads).all()
    assert set(locator_errors(heads, head_boxes(records))) == {"x_mae", "y_mae", "scale_mae"}
    assert located_faces(a, images).shape == (12, 3, FACE_SIZE, FACE_SIZE)
    save_net(a, tmp_path / "loc.safetensors", {"name": "test"})
    assert torch.equal(locate_heads(load_net(HeadLocator(), tmp_path / "loc.safetensors"), images), heads)
    assert (tmp_path / "loc.json").exists()


def test_locator_reads_any_size():
    net = HeadLocator().eval()
    assert locate_heads(net, torch.zeros(2, 3, 128, 128)).shape == (2, 3)


def test_shipped_locator_finds_world_heads():
    """On portraits it never saw, with and without their features, the face squares land where the truth's do."""
    rendered = [render_image(s, 64, ("eye_l", "eye_r", "nose", "mouth") if s % 2 else ())
                for s in range(5_000_000, 5_000_012)]
    images, truth = np.stack([r[0] for r in rendered]), head_boxes([r[1] for r in rendered])
    located = locate_heads(load_locator(), images)
    errors = locator_errors(located, truth)
    assert errors["x_mae"] < 0.025 and errors["y_mae"] < 0.025 and errors["scale_mae"] < 0.025
    assert square_overlap(face_squares(located), face_squares(truth)).min() > 0.6
