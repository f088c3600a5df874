"""The artist's line sketch of a scene: outlines of the regions plus the inner lines (a portrait's facial
features; a still life's creases, a city's building edges...), no texture.

Region outlines come from the part label map (every change of part is a line), so the sketch traces
exactly the shapes that were painted; inner lines are drawn along their distance fields (on a portrait,
where the face shows: hair in front hides them).
"""

from __future__ import annotations

import numpy as np

from . import shapes
from .layout import Layout
from .scene import PARTS, Scene

_FEATURE_LINES = ("eye_l", "eye_r", "iris_l", "iris_r", "brow_l", "brow_r", "nose", "lip_line", "lips")
_FACE = PARTS.index("face")
# Hair is outlined as one mass: where front and back hair meet is no edge an artist would draw.
_OUTLINED = np.array([PARTS.index("hair_back") if p == "hair_front" else i for i, p in enumerate(PARTS)], np.uint8)


def _outlines(lab: np.ndarray, r: int) -> np.ndarray:
    """Pixels within ``r`` of a change of label, along both axes and diagonals: lines ~2r wide."""
    h, w = lab.shape
    edge = np.zeros((h, w), bool)
    for dy, dx in ((0, r), (r, 0), (r, r), (r, -r)):
        a = (slice(0, h - dy), slice(max(0, -dx), w - max(0, dx)))
        b = (slice(dy, h), slice(max(0, dx), w - max(0, -dx)))
        diff = lab[a] != lab[b]
        edge[a] |= diff
        edge[b] |= diff
    return edge


def _line_width(n: int) -> float:
    return max(1.5, n / 110)


def draw_sketch(s: Scene) -> np.ndarray:
    """(n, n) float ink in [0, 1] (1 = black) of a portrait at the scene's size; lines scale with the image."""
    ink = _outlines(_OUTLINED[s.labels], max(1, round(s.n / 150))).astype(np.float32)
    face = s.labels[s.box] == _FACE
    width = _line_width(s.n)
    head = ink[s.box]
    for k in _FEATURE_LINES:
        head = np.maximum(head, shapes.stroke(s.features[k], width) * face)
    ink[s.box] = head
    return ink


def draw_layout_sketch(layout: Layout) -> np.ndarray:
    """(n, n) float ink of a still life, landscape or cityscape: part outlines and the layout's inner lines."""
    ink = _outlines(layout.labels, max(1, round(layout.n / 150))).astype(np.float32)
    return np.maximum(ink, shapes.stroke(layout.lines, _line_width(layout.n)))
