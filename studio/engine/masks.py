"""The colour-search masks as plain arrays: brush strokes, flood fills and the history of each edit.

The paint mask is RGBA (colour = target, alpha = how much it matters); the keep mask is one alpha channel
saying where the portrait must stay as it is. Within one stroke coverage is the max of the brush
footprints (not their sum), so going over a spot twice in one stroke does not build up opacity, as in
painting programs. As napari's labels layer does (``_begin_stroke``/``_commit_stroke``), a stroke groups
many mouse moves into one edit: ``commit_stroke`` returns a ``MaskEdit`` with the changed box's old and
new pixels (zlib-packed: masks are flat and shrink ~100x), which an undo stack replays with ``put``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .images import ImageError, has_alpha, load_fitted, save_png

BBox = tuple[slice, slice]


@dataclass
class Brush:
    """What the next stroke does; the tools panel edits it, the masks only read it."""

    tool: str = "brush"  # "brush", "eraser" or "fill"
    keep: bool = False  # work on the keep mask instead of the paint colours
    colour: tuple[int, int, int] = (47, 95, 216)
    radius: float = 4.0  # image pixels
    hardness: float = 0.5  # 1: hard edge, 0: fades from the centre out
    opacity: float = 1.0
    fill_by: str = "portrait"  # flood a colour region of the portrait ("portrait") or of the mask ("mask")
    tolerance: int = 32  # largest channel difference a fill crosses


def segment_coverage(shape: tuple[int, int], p0: tuple[float, float], p1: tuple[float, float],
                     radius: float, hardness: float) -> tuple[BBox, np.ndarray] | None:
    """The brush footprint of a segment (a capsule, so fast strokes leave no gaps) in its bounding box."""
    h, w = shape
    pad = radius + 1.5
    x0, x1 = int(max(min(p0[0], p1[0]) - pad, 0)), int(min(max(p0[0], p1[0]) + pad, w))
    y0, y1 = int(max(min(p0[1], p1[1]) - pad, 0)), int(min(max(p0[1], p1[1]) + pad, h))
    if x0 >= x1 or y0 >= y1:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    t = np.clip(((xx - p0[0]) * dx + (yy - p0[1]) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
    dist = np.hypot(xx - p0[0] - t * dx, yy - p0[1] - t * dy)
    edge = max(radius * (1 - hardness), 1.0)  # at least a pixel of anti-aliasing
    cov = np.clip((radius + 0.5 - dist) / edge, 0, 1)
    return (slice(y0, y1), slice(x0, x1)), cov * cov * (3 - 2 * cov)  # smoothstep: soft edges look round


def _spread_rows(seeded: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Grow ``seeded`` over every horizontal run of ``allowed`` pixels it touches (one vectorised pass)."""
    starts = allowed.copy()
    starts[:, 1:] &= ~allowed[:, :-1]
    runs = np.cumsum(starts.ravel()).reshape(allowed.shape) * allowed
    hit = np.zeros(int(runs.max()) + 1, bool)
    hit[runs[seeded & allowed]] = True
    hit[0] = False
    return hit[runs]


def flood_region(allowed: np.ndarray, y: int, x: int) -> np.ndarray:
    """The 4-connected part of ``allowed`` holding (y, x): run spreading along rows, then columns, until stable.

    Each pass is a few whole-array numpy operations, so a 1024² fill takes milliseconds, not a Python BFS.
    """
    region = np.zeros_like(allowed)
    region[y, x] = allowed[y, x]
    while True:
        grown = _spread_rows(_spread_rows(region, allowed).T, allowed.T).T
        if np.array_equal(grown, region):
            return region
        region = grown


def compose(old: np.ndarray, cover: np.ndarray, brush: Brush) -> np.ndarray:
    """Lay ``cover`` (0..1, already times opacity) of the brush over ``old`` (keep HxW or paint HxWx4 uint8)."""
    erase = brush.tool == "eraser"
    a0 = (old if old.ndim == 2 else old[..., 3]).astype(np.float32) / 255
    a = a0 * (1 - cover) if erase else cover + a0 * (1 - cover)
    alpha = np.rint(a * 255).astype(np.uint8)
    if old.ndim == 2:
        return alpha
    out = old.copy()
    out[..., 3] = alpha
    if not erase:
        keep = (a0 * (1 - cover))[..., None]
        paint = np.array(brush.colour, np.float32) * cover[..., None]
        rgb = (paint + old[..., :3] * keep) / np.maximum(a, 1e-6)[..., None]
        out[..., :3] = np.where(a[..., None] > 0, np.rint(np.clip(rgb, 0, 255)), old[..., :3]).astype(np.uint8)
    return out


def require_alpha(path: str | Path) -> None:
    """Refuse a mask file without transparency (RGB, CMYK, 16-bit grey): its alpha is where it applies, so it
    would paint, or keep, the whole portrait."""
    if not has_alpha(path):
        raise ImageError(f"{path} has no transparency, and a mask's alpha marks where it applies: save it as a PNG "
                         "with an alpha channel (RGBA).")


def _union(a: BBox | None, b: BBox) -> BBox:
    if a is None:
        return b
    return (slice(min(a[0].start, b[0].start), max(a[0].stop, b[0].stop)),
            slice(min(a[1].start, b[1].start), max(a[1].stop, b[1].stop)))


def _pack(a: np.ndarray) -> tuple[bytes, tuple[int, ...]]:
    return zlib.compress(np.ascontiguousarray(a).tobytes(), 1), a.shape


def _unpack(packed: tuple[bytes, tuple[int, ...]]) -> np.ndarray:
    return np.frombuffer(zlib.decompress(packed[0]), np.uint8).reshape(packed[1]).copy()


class MaskEdit:
    """One finished edit (stroke, fill, import, clear): which mask, its box, the pixels before and after."""

    def __init__(self, keep: bool, box: BBox, old: np.ndarray, new: np.ndarray, text: str) -> None:
        self.keep, self.box, self.text = keep, box, text
        self._old, self._new = _pack(old), _pack(new)

    @property
    def old(self) -> np.ndarray:
        return _unpack(self._old)

    @property
    def new(self) -> np.ndarray:
        return _unpack(self._new)


@dataclass
class _Stroke:
    brush: Brush  # as it was when the stroke began
    before: np.ndarray  # the whole mask when the stroke began
    cover: np.ndarray  # float32 HxW, max footprint so far
    last: tuple[float, float]
    box: BBox | None = None


def _what(keep: bool) -> str:
    return "keep" if keep else "colour"


class Masks:
    """The paint and keep masks of one picture size, and the stroke in progress."""

    def __init__(self, resolution: int) -> None:
        self.paint = np.zeros((resolution, resolution, 4), np.uint8)
        self.keep = np.zeros((resolution, resolution), np.uint8)
        self._stroke: _Stroke | None = None

    @property
    def resolution(self) -> int:
        return self.keep.shape[0]

    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    def layer(self, keep: bool) -> np.ndarray:
        return self.keep if keep else self.paint

    def put(self, keep: bool, box: BBox, pixels: np.ndarray) -> None:
        """Write ``pixels`` into a mask's box (undo and redo replay edits with this)."""
        self.layer(keep)[box] = pixels

    def _edit(self, keep: bool, box: BBox, old: np.ndarray, new: np.ndarray, text: str) -> MaskEdit:
        self.put(keep, box, new)
        return MaskEdit(keep, box, old, new, text)

    # --- strokes ---------------------------------------------------------------------------------------

    def begin_stroke(self, brush: Brush, x: float, y: float) -> BBox | None:
        """Start a stroke at image coordinates (x, y); returns the box it changed (drop any stroke going on)."""
        self.abort_stroke()
        layer = self.layer(brush.keep)
        self._stroke = _Stroke(replace(brush), layer.copy(), np.zeros(layer.shape[:2], np.float32), (x, y))
        return self.extend_stroke(x, y)

    def extend_stroke(self, x: float, y: float) -> BBox | None:
        """Draw the stroke on to (x, y); returns the box it changed, if any."""
        s = self._stroke
        if s is None:
            return None
        found = segment_coverage(s.cover.shape, s.last, (x, y), s.brush.radius, s.brush.hardness)
        s.last = (x, y)
        if found is None:
            return None
        box, cov = found
        np.maximum(s.cover[box], cov, out=s.cover[box])
        s.box = _union(s.box, box)
        self.put(s.brush.keep, box, compose(s.before[box], s.cover[box] * s.brush.opacity, s.brush))
        return box

    def commit_stroke(self) -> MaskEdit | None:
        """Finish the stroke: the edit covering everything it changed (None if it changed nothing)."""
        s, self._stroke = self._stroke, None
        if s is None or s.box is None:
            return None
        what = "Erase" if s.brush.tool == "eraser" else "Paint"
        keep = s.brush.keep
        return MaskEdit(keep, s.box, s.before[s.box], self.layer(keep)[s.box].copy(), f"{what} {_what(keep)} stroke")

    def abort_stroke(self) -> BBox | None:
        """Drop the stroke in progress, restoring the mask; returns the box restored."""
        s, self._stroke = self._stroke, None
        if s is None or s.box is None:
            return None
        self.put(s.brush.keep, s.box, s.before[s.box])
        return s.box

    # --- whole edits -----------------------------------------------------------------------------------

    def fill(self, brush: Brush, x: int, y: int, guide: np.ndarray | None = None) -> MaskEdit | None:
        """Flood-fill from (x, y) with the brush's colour (or keep weight): a fill adds, as a brush would.

        The region is the 4-connected area of values within ``brush.tolerance`` of the start: in the mask's
        own data, or in ``guide`` (e.g. the portrait's pixels, HxWxC at the masks' size) if given.
        """
        n = self.resolution
        if not (0 <= x < n and 0 <= y < n):
            return None
        layer = self.layer(brush.keep)
        source = guide if guide is not None else layer
        if source.shape[:2] != layer.shape[:2]:
            raise ValueError(f"a fill guide of {source.shape[1]}x{source.shape[0]} does not fit {n}x{n} masks")
        source = source if source.ndim == 3 else source[..., None]
        diff = np.abs(source.astype(np.int16) - source[y, x].astype(np.int16)).max(axis=-1)
        region = flood_region(diff <= brush.tolerance, y, x)
        ys, xs = np.nonzero(region)
        box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
        old = layer[box].copy()
        new = compose(old, region[box] * np.float32(brush.opacity), replace(brush, tool="brush"))
        return self._edit(brush.keep, box, old, new, f"Fill {_what(brush.keep)}")

    def replace(self, keep: bool, pixels: np.ndarray, text: str) -> MaskEdit:
        """Set a whole mask as one edit."""
        box = (slice(0, self.resolution), slice(0, self.resolution))
        return self._edit(keep, box, self.layer(keep).copy(), pixels, text)

    def clear(self, keep: bool) -> MaskEdit | None:
        if not self.layer(keep).any():
            return None
        return self.replace(keep, np.zeros_like(self.layer(keep)), f"Clear {_what(keep)} mask")

    # --- files -----------------------------------------------------------------------------------------

    def export_mask(self, path: str | Path, keep: bool) -> None:
        """Write a mask as PNG: paint as RGBA, keep as white with the keep weight in alpha (ImageError on failure)."""
        if keep:
            rgba = np.empty((self.resolution, self.resolution, 4), np.uint8)
            rgba[..., :3] = 255
            rgba[..., 3] = self.keep
        else:
            rgba = self.paint
        save_png(path, rgba)

    def import_mask(self, path: str | Path, keep: bool) -> MaskEdit:
        """Read a mask PNG (any image: centre-cropped and resized) as one edit; ImageError names a bad file.

        A colour mask must carry transparency (``require_alpha``). A keep mask without it reads its brightness as
        the weight (white = keep), so masks drawn in other programs work too.
        """
        rgba = load_fitted(path, self.resolution, mode="RGBA")
        if not keep:
            require_alpha(path)
            return self.replace(False, np.array(rgba), "Import colour mask")
        alpha = rgba[..., 3]
        weight = alpha if (alpha < 255).any() else np.rint(rgba[..., :3].mean(-1)).astype(np.uint8)
        return self.replace(True, weight, "Import keep mask")
