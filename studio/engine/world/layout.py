"""The common ground of the still life, landscape and cityscape painters: a picture laid out as parts,
each a signed distance field in pixels, stacked back to front into coverages and a part label map.

As with portraits, the painter, the region masks and the sketch all read one ``Layout``, so they agree.
Geometry lives in fractions of the image (x right, y down, both in [0, 1]); every random wobble of an edge
is drawn from small grids whose size never depends on the resolution, so one record gives the same
picture at every size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import shapes
from .textures import smooth_noise


@dataclass
class Layout:
    """One picture laid out at ``n`` x ``n``."""

    n: int
    alpha: dict[str, np.ndarray]  # part -> coverage in [0, 1] (broadcastable to (n, n))
    labels: np.ndarray  # (n, n) uint8 index into the genre's PARTS (back to front) of the top part at each pixel
    lines: np.ndarray  # (n, n) distance in px to the drawn lines inside regions (creases, edges), for the sketch
    geo: dict  # what the painter needs besides coverage (grids, per-object fields)


def grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres as fractions of the image: x (1, n) and y (n, 1)."""
    t = (np.arange(n, dtype=np.float32) + 0.5) / n
    return t[None, :], t[:, None]


def wobble(rng: np.random.Generator, n: int, cells: int, amount: float) -> np.ndarray:
    """(n, n) edge roughness in pixels, of about ``amount`` x n, drawn from a grid of ``cells`` (any size alike)."""
    return smooth_noise(rng, n, cells) * (amount * n)


def stack(dist_px: dict[str, np.ndarray], parts: tuple[str, ...], n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Coverages (an anti-aliasing ramp on each edge, as wide as the portraits') and the label map of the parts
    in ``dist_px`` (all but the first of ``parts``, which is the backdrop), each over the ones before it."""
    soft = max(1.0, n / 160)
    alpha = {parts[0]: np.ones((n, n), np.float32)}
    labels = np.zeros((n, n), np.uint8)
    for i, part in enumerate(parts[1:], start=1):
        alpha[part] = shapes.coverage(dist_px[part], soft)
        labels[np.broadcast_to(alpha[part] > 0.5, (n, n))] = i
    return alpha, labels

