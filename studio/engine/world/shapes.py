"""Signed-distance primitives: every part of the portrait is a distance field, so one geometry gives
soft painted edges (a ramp on the distance), hard region masks (its sign) and sketch lines (its zero set).

Distances are approximate away from the boundary but exact to first order near it, which is all that
edges and lines need. Negative means inside.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-6


def ellipse(x: np.ndarray, y: np.ndarray, rx: float, ry: float) -> np.ndarray:
    """Distance to an axis-aligned ellipse at the origin (implicit value over its gradient length)."""
    ex, ey = x / rx, y / ry
    f = ex * ex + ey * ey - 1.0
    g = 2.0 * np.sqrt((ex / rx) ** 2 + (ey / ry) ** 2) + EPS
    return f / g


def circle(x: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    return np.sqrt(x * x + y * y) - r


def superellipse(x: np.ndarray, y: np.ndarray, rx: float, ry: float, e: float) -> np.ndarray:
    """Rounded-box distance (``e`` > 2 squares the corners), scaled by the smaller radius."""
    r = (np.abs(x / rx) ** e + np.abs(y / ry) ** e) ** (1.0 / e)
    return (r - 1.0) * min(rx, ry)


def polygon(x: np.ndarray, y: np.ndarray, pts: list[tuple[float, float]]) -> np.ndarray:
    """Distance to a convex polygon (vertices clockwise on screen, y down) as the max of its half-planes."""
    d = None
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        ex, ey = x1 - x0, y1 - y0
        inv = 1.0 / (np.hypot(ex, ey) + EPS)
        h = ((x - x0) * ey - (y - y0) * ex) * inv
        d = h if d is None else np.maximum(d, h)
    return d


def vesica(x: np.ndarray, y: np.ndarray, w: float, h_up: float, h_low: float) -> np.ndarray:
    """Almond (an eye): the intersection of two circular arcs through (+-w, 0), bulging h_up up and h_low down."""
    c_up = (w * w - h_up * h_up) / (2 * h_up)
    c_low = (w * w - h_low * h_low) / (2 * h_low)
    up = np.sqrt(x * x + (y - c_up) ** 2) - (c_up + h_up)
    low = np.sqrt(x * x + (y + c_low) ** 2) - (c_low + h_low)
    return np.maximum(up, low)


def segment(x: np.ndarray, y: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Distance to the segment from ``a`` to ``b`` (same units as x, y)."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy + EPS), 0, 1)
    return np.hypot(x - ax - t * dx, y - ay - t * dy)


def box(x: np.ndarray, y: np.ndarray, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
    """Distance (exact outside along the axes, negative inside) to the rectangle [x0, x1] x [y0, y1]."""
    return np.maximum(np.maximum(x0 - x, x - x1), np.maximum(y0 - y, y - y1))


def union(*ds: np.ndarray) -> np.ndarray:
    return np.minimum.reduce(ds) if len(ds) > 1 else ds[0]


def coverage(d_px: np.ndarray, soft: float = 1.0) -> np.ndarray:
    """Soft inside-ness from a distance in pixels: a linear ramp ``soft`` pixels wide centred on the edge."""
    return np.clip(0.5 - d_px / soft, 0.0, 1.0)


def stroke(d_px: np.ndarray, width: float) -> np.ndarray:
    """Anti-aliased ink of a line ``width`` pixels wide along the zero set of ``d_px``."""
    return np.clip(0.5 * width + 0.5 - np.abs(d_px), 0.0, 1.0)
