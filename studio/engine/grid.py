"""Contact sheets: lay equally sized images out in a grid (sample grids, mixing grids, README figures)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def make_grid(images: Sequence[np.ndarray], cols: int, pad: int = 2, background: int = 255) -> np.ndarray:
    """Tile HxWxC (or HxW) uint8 images row by row into one uint8 image with ``pad`` pixels between."""
    if not len(images):
        raise ValueError("make_grid needs at least one image")
    imgs = [im[..., None] if im.ndim == 2 else im for im in images]
    h, w, c = imgs[0].shape
    rows = -(-len(imgs) // cols)
    sheet = np.full((rows * h + (rows + 1) * pad, cols * w + (cols + 1) * pad, c), background, np.uint8)
    for i, im in enumerate(imgs):
        r, k = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        sheet[y : y + h, x : x + w] = im
    return sheet[..., 0] if images[0].ndim == 2 else sheet
