"""The artist's line sketch of a scene: outlines of the regions plus the facial features, no texture.

Region outlines come from the part label map (every change of part is a line), so the sketch traces
exactly the shapes that were painted; features are drawn along their distance fields where the face
shows (hair in front hides them).
"""

from __future__ import annotations

import numpy as np

from . import shapes
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


def draw_sketch(s: Scene) -> np.ndarray:
    """(n, n) float ink in [0, 1] (1 = black) at the scene's size; lines scale with the image."""
    ink = _outlines(_OUTLINED[s.labels], max(1, round(s.n / 150))).astype(np.float32)
    face = s.labels[s.box] == _FACE
    width = max(1.5, s.n / 110)
    head = ink[s.box]
    for k in _FEATURE_LINES:
        head = np.maximum(head, shapes.stroke(s.features[k], width) * face)
    ink[s.box] = head
    return ink
