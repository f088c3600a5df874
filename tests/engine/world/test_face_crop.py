"""Face crops: their geometry against known squares and against the world's own face masks, and their gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.world import render_sample
from studio.engine.world.face_crop import (
    FACE_DROP,
    FACE_HALF,
    FACE_SIZE,
    crop_faces,
    crop_squares,
    face_squares,
    head_boxes,
    square_overlap,
    world_faces,
)


def test_a_square_of_crop_size_is_cut_out_exactly():
    img = torch.rand(1, 3, 64, 64)
    # a 32 px square with its top-left pixel at row 10, column 20: centre (36 / 64, 26 / 64), half side 16 / 64
    crop = crop_squares(img, torch.tensor([[36 / 64, 26 / 64, 0.25]]), 32)
    assert torch.allclose(crop, img[:, :, 10:42, 20:52], atol=1e-5)


def test_a_larger_square_is_resampled_and_edges_repeat():
    img = torch.zeros(2, 1, 64, 64)
    img[:, :, :, 32:] = 1  # right half white
    crop = crop_squares(img, torch.tensor([[0.5, 0.5, 0.5], [0.9, 0.5, 0.25]]), 16)
    assert crop.shape == (2, 1, 16, 16)
    assert (crop[0, 0, :, :7] == 0).all() and (crop[0, 0, :, 9:] == 1).all()  # the whole picture, halved
    assert (crop[1] == 1).all()  # a square leaving the picture on the right repeats the white edge


def test_face_square_of_a_head():
    squares = face_squares(torch.tensor([[0.5, 0.4, 0.2], [0.3, 0.5, 0.1]]))
    expected = torch.tensor([[0.5, 0.4 + FACE_DROP * 0.2, FACE_HALF * 0.2],
                             [0.3, 0.5 + FACE_DROP * 0.1, FACE_HALF * 0.1]])
    assert torch.allclose(squares, expected)


def test_square_overlap():
    a = torch.tensor([[0.5, 0.5, 0.1], [0.5, 0.5, 0.1], [0.5, 0.5, 0.1]])
    b = torch.tensor([[0.5, 0.5, 0.1], [0.9, 0.5, 0.1], [0.6, 0.5, 0.1]])
    assert torch.allclose(square_overlap(a, b), torch.tensor([1.0, 0.0, 1 / 3]))


@pytest.mark.parametrize("seed", range(6))
def test_world_face_crops_hold_the_face(seed):
    """The crop of a portrait's face mask by its recorded head: face in the middle, centred left to right, the
    square's sides just past the cheeks, about half of it face (the rest hair, neck and a little background)."""
    s = render_sample(seed, 64)
    crop = world_faces(s.image[None], [s.attributes])
    assert crop.shape == (1, 3, FACE_SIZE, FACE_SIZE) and crop.min() >= -1 and crop.max() <= 1
    mask = torch.from_numpy(s.masks["face"].astype(np.float32))[None, None]
    face = crop_faces(mask, head_boxes([s.attributes]))[0, 0]
    middle = (FACE_SIZE - 1) / 2
    assert face[12:20, 12:20].mean() > 0.95 and 0.4 < face.mean() < 0.7
    assert abs((face.sum(0) * torch.arange(FACE_SIZE)).sum() / face.sum() - middle) < 2
    assert face[:, 0].mean() < 0.2 and face[:, -1].mean() < 0.2


def test_crops_pass_gradients_to_pictures_and_boxes():
    img = torch.rand(2, 3, 64, 64, requires_grad=True)
    heads = torch.tensor([[0.5, 0.4, 0.2], [0.4, 0.45, 0.15]], requires_grad=True)
    (crop_faces(img, heads) * torch.rand(2, 3, FACE_SIZE, FACE_SIZE)).sum().backward()
    assert img.grad.abs().sum() > 0 and heads.grad.abs().sum() > 0
