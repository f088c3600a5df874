"""Face crops: the square around a portrait's face, resampled to 32 px by an affine grid.

A head is given as the world records it (centre x, y and half the head height, fractions of the picture); the
face square is centred a little below the head centre and spans forehead to chin and cheek to cheek. The crop is
``F.grid_sample`` on an affine grid, so it is differentiable in the pictures and in the boxes: a face-crop critic
can crop a generator's samples with the same function the face probe reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..images import images_to_tensor

FACE_SIZE = 32
FACE_DROP = 0.1  # the face square's centre below the head centre, in half head heights (features sit low)
FACE_HALF = 0.9  # the face square's half side, in half head heights: brow to chin and the whole face width


def head_boxes(records: Sequence[dict]) -> torch.Tensor:
    """(N, 3) head x, y, scale of world portrait records: the truth a locator learns and reals are cropped by."""
    return torch.tensor([[r["head"]["x"], r["head"]["y"], r["head"]["scale"]] for r in records], dtype=torch.float32)


def face_squares(heads: torch.Tensor) -> torch.Tensor:
    """(N, 3) face square centre x, y and half side (fractions of the picture) of heads (N, 3) x, y, scale."""
    x, y, scale = heads.unbind(1)
    return torch.stack([x, y + FACE_DROP * scale, FACE_HALF * scale], 1)


def square_overlap(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N,) intersection over union of two sets of squares (N, 3: centre x, y, half side)."""
    lo = torch.maximum(a[:, :2] - a[:, 2:], b[:, :2] - b[:, 2:])
    hi = torch.minimum(a[:, :2] + a[:, 2:], b[:, :2] + b[:, 2:])
    inter = (hi - lo).clamp_min(0).prod(1)
    return inter / (4 * a[:, 2] ** 2 + 4 * b[:, 2] ** 2 - inter)


def crop_squares(images: torch.Tensor, squares: torch.Tensor, size: int = FACE_SIZE) -> torch.Tensor:
    """Resample the squares (N, 3: centre x, y, half side as fractions) of images (N, C, H, W) to size x size.

    Bilinear, edges repeated where a square leaves the picture; a square of ``size`` pixels lands on pixel
    centres, so it is cut out exactly."""
    cx, cy, half = squares.to(images.dtype).unbind(1)
    zero = torch.zeros_like(half)
    # normalised coordinates (align_corners=False): fraction f of the picture is 2 f - 1
    theta = torch.stack([torch.stack([2 * half, zero, 2 * cx - 1], 1), torch.stack([zero, 2 * half, 2 * cy - 1], 1)], 1)
    grid = F.affine_grid(theta, [len(images), images.shape[1], size, size], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def crop_faces(images: torch.Tensor, heads: torch.Tensor, size: int = FACE_SIZE) -> torch.Tensor:
    """Face crops (N, C, size, size) of images (N, C, H, W) whose heads are (N, 3) x, y, scale."""
    return crop_squares(images, face_squares(heads), size)


def world_faces(images: np.ndarray, records: Sequence[dict]) -> torch.Tensor:
    """Face crops of world portraits (uint8 (N, H, W, 3)) around their recorded heads: how reals are cropped."""
    return crop_faces(images_to_tensor(images), head_boxes(records))


__all__ = ["FACE_DROP", "FACE_HALF", "FACE_SIZE", "crop_faces", "crop_squares", "face_squares", "head_boxes",
           "square_overlap", "world_faces"]
