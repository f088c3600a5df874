"""Paint target colours and keep regions on the portrait: the masks a colour search reads, undo per stroke.

The paint mask is RGBA at the model's resolution (colour = target, alpha = how much it matters); the keep
mask is one alpha channel saying where the portrait must stay as it is, drawn as a hatched turquoise tint
so it never looks like a paint colour. Within one stroke coverage is the max of the brush footprints
(not their sum), so going over a spot twice in one stroke does not build up opacity, as in painting
programs. Every stroke, fill, import or clear is one QUndoCommand holding only its bounding box's old and
new pixels (zlib-packed: masks are flat and shrink ~100x) on the stack it is given: the document's in the
studio, so Ctrl+Z walks one history of strokes and portrait edits and no shortcut is claimed twice.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from ..engine.images import ImageError, load_fitted, save_png
from ..engine.outputs import dialog_output
from .canvas import Canvas
from .theme import icon, qimage_to_array

SWATCHES = {
    "blue": "#2f5fd8", "pink": "#f08cb4", "blond": "#e6cc88", "green": "#3a9f5a", "red": "#c8302c",
    "gold": "#d4a017", "brown": "#6b4226", "black": "#1c1c1c", "white": "#f2f2f2",
}
KEEP_TINT = (64, 224, 208)
UNDO_LIMIT = 100  # strokes kept when the painter owns its stack
PNG_FILTER = "PNG images (*.png);;All images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"

BBox = tuple[slice, slice]


@dataclass
class Brush:
    """What the next stroke does; the tools panel edits it, the painter only reads it."""

    tool: str = "brush"  # "brush", "eraser" or "fill"
    keep: bool = False  # work on the keep mask instead of the paint colours
    colour: tuple[int, int, int] = (47, 95, 216)
    radius: float = 4.0  # image pixels
    hardness: float = 0.5  # 1: hard edge, 0: fades from the centre out
    opacity: float = 1.0
    fill_by: str = "portrait"  # flood the portrait's colour region ("portrait") or the mask's ("mask")
    tolerance: int = 32  # largest channel difference a fill crosses


def segment_coverage(shape: tuple[int, int], p0: tuple[float, float], p1: tuple[float, float],
                     radius: float, hardness: float) -> Optional[tuple[BBox, np.ndarray]]:
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
        rgb = (np.array(brush.colour, np.float32) * cover[..., None] + old[..., :3] * keep) / np.maximum(a, 1e-6)[..., None]
        out[..., :3] = np.where(a[..., None] > 0, np.rint(np.clip(rgb, 0, 255)), old[..., :3]).astype(np.uint8)
    return out


def _pack(a: np.ndarray) -> tuple[bytes, tuple[int, ...]]:
    return zlib.compress(np.ascontiguousarray(a).tobytes(), 1), a.shape


def _unpack(packed: tuple[bytes, tuple[int, ...]]) -> np.ndarray:
    return np.frombuffer(zlib.decompress(packed[0]), np.uint8).reshape(packed[1])


class _MaskEdit(QUndoCommand):
    """One stroke/fill/import: the box's pixels before and after; the first redo is the live painting itself."""

    def __init__(self, painter: "MaskPainter", keep: bool, box: BBox, old: np.ndarray, new: np.ndarray, text: str) -> None:
        super().__init__(text)
        self.painter, self.keep, self.box, self.generation = painter, keep, box, painter.generation
        self.old, self.new = _pack(old), _pack(new)
        self.applied = True

    def redo(self) -> None:
        if not self.applied:
            self._put(self.new)
        self.applied = True

    def undo(self) -> None:
        self._put(self.old)
        self.applied = False

    def _put(self, packed: tuple[bytes, tuple[int, ...]]) -> None:
        if self.painter.generation == self.generation:  # masks of another resolution since: nothing to restore
            self.painter.put(self.keep, self.box, _unpack(packed))


@dataclass
class _Stroke:
    keep: bool
    before: np.ndarray  # the whole layer when the stroke began
    cover: np.ndarray  # float32 HxW, max footprint so far
    last: tuple[float, float]
    box: Optional[BBox] = None


def _union(a: Optional[BBox], b: BBox) -> BBox:
    if a is None:
        return b
    return (slice(min(a[0].start, b[0].start), max(a[0].stop, b[0].stop)),
            slice(min(a[1].start, b[1].start), max(a[1].stop, b[1].stop)))


class MaskPainter(QWidget):
    """A transparent overlay on the canvas holding and drawing the masks; the left button paints with ``brush``."""

    changed = Signal()  # the masks' pixels changed (stroke, fill, undo, import...)

    def __init__(self, canvas: Canvas, undo_stack: Optional[QUndoStack] = None, resolution: int = 256) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        if undo_stack is None:
            self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.brush = Brush()
        self.show_masks = True
        self.mask_opacity = 0.6
        self.generation = 0
        self._stroke: Optional[_Stroke] = None
        self._hover: Optional[QPointF] = None
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.set_resolution(resolution, force=True)
        canvas.installEventFilter(self)
        self.setGeometry(canvas.rect())
        self.hide()

    # --- data ------------------------------------------------------------------------------------------

    @property
    def resolution(self) -> int:
        return self._keep.shape[0]

    def set_resolution(self, resolution: int, force: bool = False) -> None:
        """Fresh empty masks for a model of another size (same size: the masks stay, they fit the picture)."""
        if not force and resolution == self.resolution:
            return
        self.abort_stroke()
        self._paint = np.zeros((resolution, resolution, 4), np.uint8)
        self._keep = np.zeros((resolution, resolution), np.uint8)
        self._keep_view = np.zeros((resolution, resolution, 4), np.uint8)
        self._keep_view[..., :3] = KEEP_TINT
        yy, xx = np.mgrid[:resolution, :resolution]
        self._hatch = np.where((xx + yy) // max(resolution // 64, 3) % 2 == 0, 0.85, 0.4).astype(np.float32)
        self.generation += 1
        self.changed.emit()
        self.update()

    def paint_mask(self) -> np.ndarray:
        """The target colours, uint8 (H, W, 4): colour = target, alpha = weight (a copy)."""
        return self._paint.copy()

    def keep_mask(self) -> np.ndarray:
        """Where the portrait must stay as it is, uint8 (H, W) (a copy)."""
        return self._keep.copy()

    def _layer(self, keep: bool) -> np.ndarray:
        return self._keep if keep else self._paint

    def put(self, keep: bool, box: BBox, pixels: np.ndarray) -> None:
        """Write ``pixels`` into a mask's box and redraw (undo/redo and every edit end here)."""
        self._layer(keep)[box] = pixels
        if keep:
            self._keep_view[box + (3,)] = (self._keep[box] * self._hatch[box]).astype(np.uint8)
        self.changed.emit()
        self.update()

    def _record(self, keep: bool, box: BBox, old: np.ndarray, text: str) -> None:
        self.undo_stack.push(_MaskEdit(self, keep, box, old, self._layer(keep)[box].copy(), text))

    def _replace(self, keep: bool, pixels: np.ndarray, text: str) -> None:
        """Set a whole mask as one undo step."""
        box = (slice(0, self.resolution), slice(0, self.resolution))
        old = self._layer(keep).copy()
        self.put(keep, box, pixels)
        self._record(keep, box, old, text)

    # --- strokes ---------------------------------------------------------------------------------------

    def begin_stroke(self, x: float, y: float) -> None:
        """Start a stroke at image coordinates (x, y); with the fill tool, fill there instead."""
        self.abort_stroke()
        if self.brush.tool == "fill":
            self.fill(int(x), int(y))
            return
        keep = self.brush.keep
        layer = self._layer(keep)
        self._stroke = _Stroke(keep, layer.copy(), np.zeros(layer.shape[:2], np.float32), (x, y))
        self.extend_stroke(x, y)

    def extend_stroke(self, x: float, y: float) -> None:
        s = self._stroke
        if s is None:
            return
        found = segment_coverage(s.cover.shape, s.last, (x, y), self.brush.radius, self.brush.hardness)
        s.last = (x, y)
        if found is None:
            return
        box, cov = found
        np.maximum(s.cover[box], cov, out=s.cover[box])
        s.box = _union(s.box, box)
        self.put(s.keep, box, compose(s.before[box], s.cover[box] * self.brush.opacity, self.brush))

    def end_stroke(self) -> None:
        """Finish the stroke as one undo step."""
        s, self._stroke = self._stroke, None
        if s is not None and s.box is not None:
            what = "Erase" if self.brush.tool == "eraser" else "Paint"
            self._record(s.keep, s.box, s.before[s.box], f"{what} {'keep' if s.keep else 'colour'} stroke")

    def abort_stroke(self) -> None:
        """Drop the stroke in progress, restoring the mask as it was."""
        s, self._stroke = self._stroke, None
        if s is not None and s.box is not None:
            self.put(s.keep, s.box, s.before[s.box])

    def fill(self, x: int, y: int) -> None:
        """Flood-fill from (x, y) over the portrait's colour region or the mask's, with the brush's colour/keep."""
        n = self.resolution
        if not (0 <= x < n and 0 <= y < n):
            return
        b = self.brush
        layer = self._layer(b.keep)
        if b.fill_by == "portrait":
            source = self.portrait_pixels()
            if source is None:
                return
        else:
            source = layer if layer.ndim == 3 else layer[..., None]
        diff = np.abs(source.astype(np.int16) - source[y, x].astype(np.int16)).max(axis=-1)
        region = flood_region(diff <= b.tolerance, y, x)
        ys, xs = np.nonzero(region)
        box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
        old = layer[box].copy()
        self.put(b.keep, box, compose(old, region[box] * np.float32(b.opacity), replace(b, tool="brush")))  # fills add
        self._record(b.keep, box, old, f"Fill {'keep' if b.keep else 'colour'}")

    def portrait_pixels(self) -> Optional[np.ndarray]:
        """What the canvas shows, at the masks' resolution (the fill's colour regions)."""
        image = self.canvas.image
        if image is None:
            return None
        if image.width() != self.resolution or image.height() != self.resolution:
            image = image.scaled(self.resolution, self.resolution, Qt.AspectRatioMode.IgnoreAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        return qimage_to_array(image)

    def clear(self, keep: bool) -> None:
        if self._layer(keep).any():
            self._replace(keep, np.zeros_like(self._layer(keep)), f"Clear {'keep' if keep else 'colour'} mask")

    # --- files -----------------------------------------------------------------------------------------

    def export_mask(self, path: str | Path, keep: bool) -> None:
        """Write a mask as PNG: paint as RGBA, keep as white with the keep weight in alpha (ImageError on failure)."""
        if keep:
            rgba = np.empty((self.resolution, self.resolution, 4), np.uint8)
            rgba[..., :3] = 255
            rgba[..., 3] = self._keep
        else:
            rgba = self._paint
        save_png(path, rgba)

    def import_mask(self, path: str | Path, keep: bool) -> None:
        """Read a mask PNG (any image: centre-cropped and resized) as one undo step; ImageError names a bad file.

        A keep mask without transparency reads its brightness as the weight (white = keep), so masks
        drawn in other programs work too.
        """
        rgba = load_fitted(path, self.resolution, mode="RGBA")
        if not keep:
            self._replace(False, np.array(rgba), "Import colour mask")
            return
        alpha = rgba[..., 3]
        weight = alpha if (alpha < 255).any() else np.rint(rgba[..., :3].mean(-1)).astype(np.uint8)
        self._replace(True, weight, "Import keep mask")

    # --- display and mouse -----------------------------------------------------------------------------

    def set_active(self, on: bool) -> None:
        self.abort_stroke()
        self.setVisible(on)
        if on:
            self.raise_()

    def set_show_masks(self, on: bool) -> None:
        self.show_masks = on
        self.update()

    def set_mask_opacity(self, opacity: float) -> None:
        self.mask_opacity = opacity
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if watched is self.canvas and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def to_image(self, pos: QPointF) -> tuple[float, float]:
        """Widget position -> image pixel coordinates (the canvas's zoom and pan)."""
        rect = self.canvas.target_rect()
        scale = self.resolution / max(rect.width(), 1e-6)
        return (pos.x() - rect.left()) * scale, (pos.y() - rect.top()) * scale

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        rect = self.canvas.target_rect()
        if self.show_masks:
            n = self.resolution
            p.setOpacity(self.mask_opacity)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.canvas.zoom < 1.0)
            for layer in (self._paint, self._keep_view):
                p.drawImage(rect, QImage(layer.data, n, n, 4 * n, QImage.Format.Format_RGBA8888))
            p.setOpacity(1.0)
        if self._hover is not None:
            r = self.brush.radius * rect.width() / self.resolution
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            for colour, width in (("#000000", 3), ("#ffffff", 1)):
                p.setPen(QPen(QColor(colour), width))
                p.drawEllipse(self._hover, r, r)

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() != Qt.MouseButton.LeftButton:
            e.ignore()
            return
        self.begin_stroke(*self.to_image(e.position()))

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._hover = e.position()
        self.extend_stroke(*self.to_image(e.position()))
        self.update()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.LeftButton:
            self.end_stroke()

    def leaveEvent(self, _e: QEvent) -> None:  # noqa: N802
        self._hover = None
        self.update()

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        if e.key() == Qt.Key.Key_Escape and self._stroke is not None:
            self.abort_stroke()
        else:
            e.ignore()


class MaskTools(QWidget):
    """The painter's controls and its shortcuts (live only while this panel is shown).

    P brush, E eraser, G fill (F is the window's Fit), K keep mode, [ ] brush size, H show/hide masks.
    """

    def __init__(self, painter: MaskPainter, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.painter = painter
        brush = painter.brush
        self.tool_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        tools = QHBoxLayout()
        for tool, text, key, icon_name in (("brush", "Paint", "P", "fa6s.paintbrush"),
                                           ("eraser", "Erase", "E", "fa6s.eraser"),
                                           ("fill", "Fill", "G", "fa6s.fill-drip")):
            action = self._action(f"{text} ({key})", key, icon_name, checkable=True)
            action.setChecked(tool == brush.tool)
            action.triggered.connect(lambda _=False, t=tool: setattr(brush, "tool", t))
            group.addAction(action)
            tools.addWidget(self._button(action))
            self.tool_actions[tool] = action
        self.keep_action = self._action("Keep mode (K): mark where the portrait must stay as it is", "K",
                                        "fa6s.lock", checkable=True)
        self.keep_action.toggled.connect(lambda on: setattr(brush, "keep", on))
        tools.addSpacing(12)
        tools.addWidget(self._button(self.keep_action))
        tools.addStretch(1)

        self.colour_button = QToolButton(toolTip="Choose the target colour")
        self.colour_button.setFixedSize(38, 38)
        self.colour_button.clicked.connect(self.choose_colour)
        swatches = QGridLayout()
        swatches.setSpacing(2)
        swatches.addWidget(self.colour_button, 0, 0, 2, 1)
        for i, (name, hex_) in enumerate(SWATCHES.items()):
            b = QToolButton(toolTip=name)
            b.setFixedSize(18, 18)
            b.setStyleSheet(f"background: {hex_}; border: 1px solid #555;")
            b.clicked.connect(lambda _=False, c=hex_: self.set_colour(QColor(c)))
            swatches.addWidget(b, i // 5, 1 + i % 5)
        self.set_colour(QColor(*brush.colour))

        res = painter.resolution
        self.brush_size = self._slider(1, max(res // 4, 2), round(brush.radius), lambda v: setattr(brush, "radius", float(v)))
        self.brush_size.setToolTip("Brush radius in picture pixels ([ and ])")
        self.hardness = self._slider(0, 100, round(brush.hardness * 100), lambda v: setattr(brush, "hardness", v / 100))
        self.hardness.setToolTip("Soft edge (0) to hard edge (100)")
        self.opacity = self._slider(1, 100, round(brush.opacity * 100), lambda v: setattr(brush, "opacity", v / 100))
        self.opacity.setToolTip("Weight of the paint: how much the search cares about it")
        self.fill_by = QComboBox(toolTip="What a fill floods: a region of similar colour in the portrait, or in the mask")
        self.fill_by.addItem("Portrait colours", "portrait")
        self.fill_by.addItem("Mask", "mask")
        self.fill_by.currentIndexChanged.connect(lambda _: setattr(brush, "fill_by", self.fill_by.currentData()))
        self.tolerance = self._slider(0, 255, brush.tolerance, lambda v: setattr(brush, "tolerance", v))
        self.tolerance.setToolTip("How different a colour a fill still crosses")

        self.show_action = self._action("Show masks (H)", "H", "fa6s.eye", checkable=True)
        self.show_action.setChecked(True)
        self.show_action.toggled.connect(painter.set_show_masks)
        show = QCheckBox("Show")
        show.setChecked(True)
        show.toggled.connect(self.show_action.setChecked)
        self.show_action.toggled.connect(show.setChecked)
        self.mask_opacity = self._slider(0, 100, round(painter.mask_opacity * 100),
                                         lambda v: painter.set_mask_opacity(v / 100))
        show_row = QHBoxLayout()
        show_row.addWidget(show)
        show_row.addWidget(self.mask_opacity, 1)

        for key, factor in (("[", 1 / 1.25), ("]", 1.25)):
            grow = self._action("Smaller brush" if key == "[" else "Larger brush", key)
            grow.triggered.connect(lambda _=False, f=factor: self._scale_size(f))

        clear = QToolButton(toolTip="Clear the mask being edited (colour or keep)", icon=icon("fa6s.trash-can"))
        clear.clicked.connect(lambda: painter.clear(brush.keep))
        files = QToolButton(text="Masks", icon=icon("fa6s.file-export"), toolTip="Import or export the masks as PNG")
        files.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        files.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(files)
        for keep, name in ((False, "colour"), (True, "keep")):
            menu.addAction(icon("fa6s.file-import"), f"Import {name} mask…", lambda k=keep: self._import(k))
            menu.addAction(icon("fa6s.file-export"), f"Export {name} mask…", lambda k=keep: self._export(k))
        files.setMenu(menu)
        buttons = QHBoxLayout()
        buttons.addWidget(clear)
        buttons.addWidget(files)
        buttons.addStretch(1)

        form = QFormLayout()
        form.addRow("Colour", swatches)
        form.addRow("Size", self.brush_size)
        form.addRow("Hardness", self.hardness)
        form.addRow("Opacity", self.opacity)
        form.addRow("Fill by", self.fill_by)
        form.addRow("Tolerance", self.tolerance)
        form.addRow("Masks", show_row)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(tools)
        lay.addLayout(form)
        lay.addLayout(buttons)

    def _action(self, text: str, key: str, icon_name: Optional[str] = None, checkable: bool = False) -> QAction:
        action = QAction(text, self, checkable=checkable)
        action.setShortcut(QKeySequence(key))
        if icon_name:
            action.setIcon(icon(icon_name))
        self.addAction(action)  # shortcuts only while this panel is visible, i.e. while painting
        return action

    @staticmethod
    def _button(action: QAction) -> QToolButton:
        b = QToolButton()
        b.setDefaultAction(action)
        return b

    @staticmethod
    def _slider(lo: int, hi: int, value: int, on_change) -> QLabeledSlider:
        s = QLabeledSlider(Qt.Orientation.Horizontal)
        s.setRange(lo, hi)
        s.setValue(value)
        s.valueChanged.connect(on_change)
        return s

    def set_resolution(self, resolution: int) -> None:
        """Fit the size slider to a model's resolution (masks follow through the painter)."""
        self.painter.set_resolution(resolution)
        self.brush_size.setMaximum(max(resolution // 4, 2))
        self.brush_size.setValue(max(round(resolution / 32), 1))

    def _scale_size(self, factor: float) -> None:
        v = self.brush_size.value()
        self.brush_size.setValue(max(round(v * factor), v + (1 if factor > 1 else -1)))  # always moves, even at 1-3 px

    def set_colour(self, colour: QColor) -> None:
        self.painter.brush.colour = (colour.red(), colour.green(), colour.blue())
        self.colour_button.setStyleSheet(f"background: {colour.name()}; border: 1px solid #888;")
        if self.painter.brush.keep:
            self.keep_action.setChecked(False)  # picking a colour means painting colour
        if self.painter.brush.tool == "eraser":
            self.tool_actions["brush"].trigger()

    def choose_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(*self.painter.brush.colour), self, "Target colour")
        if colour.isValid():
            self.set_colour(colour)

    def _import(self, keep: bool) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Import {'keep' if keep else 'colour'} mask", "", PNG_FILTER)
        if path:
            try:
                self.painter.import_mask(path, keep)
            except (ImageError, ValueError) as e:
                QMessageBox.warning(self, "Cannot import mask", str(e))

    def _export(self, keep: bool) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export {'keep' if keep else 'colour'} mask",
                                              f"{'keep' if keep else 'colour'}-mask.png", "PNG images (*.png)")
        if path:
            try:
                self.painter.export_mask(dialog_output(path, ".png", "PNG"), keep)
            except ValueError as e:  # the output policy's OutputError, or ImageError
                QMessageBox.warning(self, "Cannot export mask", str(e))
