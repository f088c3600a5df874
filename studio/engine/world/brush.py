"""Brushwork: re-paint the smooth rendering with short strokes of its own colours.

Strokes follow the forms (along lines of equal brightness, so they hug edges and wrap round volumes
instead of smearing across them), are sized by the part they start on (broad on the backdrop, fine on
the face) and are laid back to front. Each stroke is a grid of dabs (along x bristles) scattered with
one numpy assignment per part, so thousands of strokes cost a few full-image operations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_LUMA = np.array([0.3, 0.55, 0.15], np.float32)


def _dabs(extent: float) -> np.ndarray:
    """Offsets in [-0.5, 0.5], at most a pixel apart once scaled to ``extent`` pixels."""
    return np.linspace(-0.5, 0.5, max(2, int(np.ceil(extent)) + 1), dtype=np.float32)


def brushwork(img: np.ndarray, labels: np.ndarray, strokes: Sequence[tuple[float, float]], rng: np.random.Generator,
              spacing: float = 0.021, opacity: float = 0.8) -> np.ndarray:
    """Return ``img`` ((n, n, 3) floats in [0, 1]) overpainted with strokes ``spacing`` x n apart.

    ``labels`` numbers the parts back to front; ``strokes[i]`` is the (length, width) of strokes starting on
    part ``i``, as fractions of the image size.
    """
    n = img.shape[0]
    cells = int(1 / spacing)
    g = n / cells
    jy, jx = np.divmod(np.arange(cells * cells), cells)
    ys = np.clip(((jy + rng.random(jy.size)) * g).astype(np.intp), 1, n - 2)
    xs = np.clip(((jx + rng.random(jx.size)) * g).astype(np.intp), 1, n - 2)
    lum = img @ _LUMA
    gx = lum[ys, xs + 1] - lum[ys, xs - 1]
    gy = lum[ys + 1, xs] - lum[ys - 1, xs]
    drift = rng.uniform(0, np.pi) + 0.6 * rng.standard_normal(ys.size)
    ang = np.where(gx * gx + gy * gy > 4e-5, np.arctan2(gy, gx) + np.pi / 2, drift).astype(np.float32)
    scale = rng.uniform(0.7, 1.3, ys.size).astype(np.float32)
    colour = img[ys, xs] * (1 + 0.06 * rng.standard_normal((ys.size, 1), np.float32))
    colour += 0.02 * rng.standard_normal((ys.size, 3), np.float32)
    part = labels[ys, xs]
    owner = np.full(n * n, -1, np.int32)  # which stroke last painted each pixel
    fade = np.ones(n * n, np.float32)  # paint runs out along a stroke
    for i, size in enumerate(strokes):  # back to front; later strokes overwrite earlier ones
        k = np.flatnonzero(part == i).astype(np.int32)
        if not k.size:
            continue
        length, width = (v * n for v in size)
        t = _dabs(1.3 * length)[None, :, None] * (length * scale[k])[:, None, None]
        u = _dabs(1.3 * width)[None, None, :] * (np.maximum(width * scale[k], 1.0))[:, None, None]
        c, s = np.cos(ang[k])[:, None, None], np.sin(ang[k])[:, None, None]
        py = np.clip(np.rint(ys[k, None, None] + t * s + u * c), 0, n - 1).astype(np.int32)
        px = np.clip(np.rint(xs[k, None, None] + t * c - u * s), 0, n - 1).astype(np.int32)
        flat = (py * n + px).ravel()
        owner[flat] = np.broadcast_to(k[:, None, None], py.shape).ravel()
        fade[flat] = np.broadcast_to(1.05 - 0.1 * _dabs(1.3 * length)[None, :, None], py.shape).ravel()
    painted = owner >= 0
    layer = img.reshape(-1, 3).copy()
    layer[painted] = colour[owner[painted]] * fade[painted, None]
    return img + (layer.reshape(img.shape) - img) * opacity
