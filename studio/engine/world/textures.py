"""Noise fields that make flat shapes look painted: smooth colour drift, directional brush strokes and
canvas weave. All are built by resizing small random grids with Pillow, which is far cheaper than
per-pixel noise and gives the soft, blobby variation of paint.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.asarray(Image.fromarray(a.astype(np.float32), mode="F").resize((w, h), Image.BICUBIC))


def smooth_noise(rng: np.random.Generator, n: int, cells: int) -> np.ndarray:
    """(n, n) zero-mean, unit-ish noise varying over about n/cells pixels."""
    return _resize(rng.standard_normal((cells + 1, cells + 1)), n, n)


def color_noise(rng: np.random.Generator, n: int, cells: int) -> np.ndarray:
    """(n, n, 3) smooth noise, one independent field per channel, for hue/value drift in paint."""
    return np.stack([smooth_noise(rng, n, cells) for _ in range(3)], axis=-1)


def strokes(rng: np.random.Generator, n: int, angle_deg: float, length: float, width: float) -> np.ndarray:
    """(n, n) streaky noise: strokes about ``length`` x ``width`` (fractions of n) laid at ``angle_deg``."""
    m = int(n * 1.45) + 2
    grid = rng.standard_normal((max(2, int(1.45 / width)), max(2, int(1.45 / length))))
    img = Image.fromarray(grid.astype(np.float32), mode="F").resize((m, m), Image.BILINEAR)
    img = img.rotate(angle_deg, Image.BILINEAR)
    o = (m - n) // 2
    return np.asarray(img)[o : o + n, o : o + n]


def canvas(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, n) canvas texture about [-1, 1]: a fine weave with irregular threads, applied after downsampling."""
    period = max(2.5, n / 64)
    t = np.arange(n, dtype=np.float32) * (2 * np.pi / period)
    warp = 0.6 * smooth_noise(rng, n, max(4, n // 12))
    weave = np.sin(t[None, :] + warp) * np.sin(t[:, None] - warp)
    grain = rng.standard_normal((n, n)).astype(np.float32)
    return 0.7 * weave + 0.3 * grain
