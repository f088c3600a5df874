"""How paint takes light, shared by every genre so that the four read as one painter's work: a tone ramp
with cool tinted shadows and warm highlights, Lambert shading of simple volumes, and the final colour grade.
"""

from __future__ import annotations

import numpy as np

WARM = np.array([1.04, 1.0, 0.94], np.float32)
COOL = np.array([0.86, 0.9, 1.05], np.float32)
_GRADE = {"warm": np.array([1.06, 1.0, 0.9], np.float32), "cool": np.array([0.92, 0.99, 1.07], np.float32)}


def rgb(c) -> np.ndarray:
    """0-255 colour (a record's list) as floats in [0, 1]."""
    return np.asarray(c, np.float32) / 255


def tone(base: np.ndarray, light: np.ndarray, shadow: np.ndarray = COOL) -> np.ndarray:
    """Colour a shape lit by ``light`` in [0, 1]: tinted, darker shadows and warm highlights, like paint."""
    dark = base * 0.42 * shadow
    lit = np.minimum(base * 1.06 * WARM + 0.02, 1.0)
    return dark + (lit - dark) * light[..., None]


def lambert(nx, ny, L: np.ndarray) -> np.ndarray:
    """Diffuse light on a surface whose normal's screen components are (nx, ny), facing the viewer."""
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0.05, 1))
    return np.clip(nx * L[0] + ny * L[1] + nz * L[2], 0, 1)


def paint_over(col: np.ndarray, colour, alpha: np.ndarray) -> np.ndarray:
    """Lay ``colour`` (one colour or an image) over ``col`` with coverage ``alpha``."""
    return col + (np.asarray(colour, np.float32) - col) * alpha[..., None]


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    return a + (b - a) * t[..., None]


def grade(img: np.ndarray, mood: str) -> np.ndarray:
    """The palette mood of the whole picture, applied last; clips to [0, 1]."""
    if mood in _GRADE:
        img = img * _GRADE[mood]
    elif mood in ("muted", "vivid"):
        grey = img.mean(axis=-1, keepdims=True)
        img = grey + (img - grey) * (0.65 if mood == "muted" else 1.2)
    return np.clip(img, 0, 1)
