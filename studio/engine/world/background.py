"""Painted backdrops behind the sitter: plain studio cloth, gradient, landscape, interior."""

from __future__ import annotations

import numpy as np

from .light import mix
from .textures import color_noise, smooth_noise


def paint_background(attrs: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, n, 3) float background in [0, 1] for the record's kind and colours, with brushwork."""
    bg = attrs["background"]
    kind = bg["kind"]
    c0, c1, c2 = (np.asarray(c, np.float32) / 255 for c in bg["colors"])
    t = (np.arange(n, dtype=np.float32) + 0.5) / n
    x, y = t[None, :], t[:, None]
    hx, hy = attrs["head"]["x"], attrs["head"]["y"]
    glow = np.exp(-((x - hx) ** 2 + (y - hy) ** 2) / 0.18)  # backdrops are lit behind the head
    if kind == "plain":
        img = mix(c0 * 0.7, np.minimum(c0 * 1.35, 1.0), glow)
    elif kind == "gradient":
        ang = rng.uniform(-0.6, 0.6)
        s = np.clip(0.5 + (y - 0.5) * np.cos(ang) + (x - 0.5) * np.sin(ang), 0, 1)
        img = mix(mix(c0, c1, np.broadcast_to(s, (n, n))), np.minimum(c0 * 1.2, 1), 0.35 * glow)
    elif kind == "landscape":
        horizon = rng.uniform(0.55, 0.72)
        sky = mix(c0 * 0.9, c0 * 0.6 + 0.4, np.broadcast_to(np.clip(y / horizon, 0, 1), (n, n)))
        clouds = np.clip(smooth_noise(rng, n, 5) + 0.4 * smooth_noise(rng, n, 11) - 0.4, 0, 1)
        img = mix(sky, np.full(3, 0.95, np.float32), 0.6 * clouds * (y < horizon))
        ph = rng.uniform(0, 6.3, 2)
        far = horizon - 0.05 - 0.04 * np.sin(x * 7 + ph[0]) - 0.02 * np.sin(x * 17 + ph[1])
        img = mix(img, c1 * 0.6 + c0 * 0.4, np.clip((y - far) * n / 3, 0, 1))
        near = horizon + 0.03 * np.sin(x * 4 + ph[1]) + 0.015 * np.sin(x * 11 + ph[0])
        ground = mix(np.broadcast_to(c2, (n, n, 3)), c2 * 0.55, np.broadcast_to(np.clip((y - near) * 3, 0, 1), (n, n)))
        img = mix(img, ground, np.clip((y - near) * n / 3, 0, 1))
    elif kind == "interior":
        img = mix(c0 * 0.75, np.minimum(c0 * 1.2, 1), 0.6 * glow)
        left = rng.random() < 0.5
        x0, x1 = (0.05, 0.3) if left else (0.7, 0.95)
        y0, y1 = rng.uniform(0.08, 0.2), rng.uniform(0.5, 0.65)
        window = ((x > x0) & (x < x1) & (y > y0) & (y < y1)).astype(np.float32)
        img = mix(img, np.minimum(c1 * 0.5 + 0.5, 1), window * (0.8 + 0.2 * y / y1))
        cx = 0.9 if left else 0.1
        curtain = np.clip(1 - np.abs(x - cx) / 0.12, 0, 1) ** 0.3 * np.ones_like(y)
        folds = 0.75 + 0.25 * np.sin((x - cx) * 90)
        img = mix(img, c2 * folds[..., None], curtain)
        img = mix(img, img * 0.7, np.broadcast_to((y > 0.78).astype(np.float32), (n, n)))
    else:
        raise ValueError(f"unknown background kind {kind!r}")
    # Broad, uneven scumbling; the brush pass adds the strokes on top.
    scumble = 1 + 0.06 * smooth_noise(rng, n, 9)[..., None]
    return np.broadcast_to(img, (n, n, 3)) * scumble + 0.015 * color_noise(rng, n, 6)
