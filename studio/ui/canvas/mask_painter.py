"""Paint target colours and keep regions over the portrait: the Qt face of ``engine.masks``.

The masks, strokes and fills are engine data (studio/engine/masks.py); this overlay draws them on the
canvas (the keep mask as a hatched turquoise tint, so it never looks like a paint colour), turns mouse
drags into strokes, and puts every finished edit on the undo stack it is given as a thin QUndoCommand:
the document's stack in the studio, so Ctrl+Z walks one history of strokes and portrait edits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from studio.engine.images import fit_image
from studio.engine.masks import BBox, Brush, MaskEdit, Masks
from studio.ui.canvas.canvas import Canvas

KEEP_TINT = (64, 224, 208)
UNDO_LIMIT = 100  # strokes kept when the painter owns its stack


class _MaskUndo(QUndoCommand):
    """A finished ``MaskEdit`` on the undo stack; its first redo is the live painting itself."""

    def __init__(self, painter: MaskPainter, edit: MaskEdit) -> None:
        super().__init__(edit.text)
        self.painter, self.masks, self.edit = painter, painter.masks, edit
        self.applied = True

    def redo(self) -> None:
        if not self.applied:
            self._put(self.edit.new)
        self.applied = True

    def undo(self) -> None:
        self._put(self.edit.old)
        self.applied = False

    def _put(self, pixels: np.ndarray) -> None:
        if self.painter.masks is self.masks:  # masks of another resolution since: nothing to restore
            self.painter.put(self.edit.keep, self.edit.box, pixels)


class MaskPainter(QWidget):
    """A transparent overlay on the canvas showing the masks; the left button paints with ``brush``."""

    changed = Signal()  # the masks' pixels changed (stroke, fill, undo, import...)

    def __init__(self, canvas: Canvas, undo_stack: QUndoStack | None = None, resolution: int = 256) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        if undo_stack is None:
            self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.brush = Brush()
        self.show_masks = True
        self.mask_opacity = 0.6
        self.portrait: np.ndarray | None = None  # the portrait's pixels, for fills by its colours
        self._hover: QPointF | None = None
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
        return self.masks.resolution

    def set_resolution(self, resolution: int, force: bool = False) -> None:
        """Fresh empty masks for a model of another size (same size: the masks stay, they fit the picture)."""
        if not force and resolution == self.resolution:
            return
        self.masks = Masks(resolution)
        self._keep_view = np.zeros((resolution, resolution, 4), np.uint8)
        self._keep_view[..., :3] = KEEP_TINT
        yy, xx = np.mgrid[:resolution, :resolution]
        self._hatch = np.where((xx + yy) // max(resolution // 64, 3) % 2 == 0, 0.85, 0.4).astype(np.float32)
        self.changed.emit()
        self.update()

    def set_portrait(self, image: np.ndarray | None) -> None:
        """The portrait's pixels (HxWx3 uint8, any size), whose colour regions a fill "by portrait" floods."""
        self.portrait = image

    def paint_mask(self) -> np.ndarray:
        """The target colours, uint8 (H, W, 4): colour = target, alpha = weight (a copy)."""
        return self.masks.paint.copy()

    def keep_mask(self) -> np.ndarray:
        """Where the portrait must stay as it is, uint8 (H, W) (a copy)."""
        return self.masks.keep.copy()

    def put(self, keep: bool, box: BBox, pixels: np.ndarray) -> None:
        """Write ``pixels`` into a mask's box and redraw (undo and redo end here)."""
        self.masks.put(keep, box, pixels)
        self._redraw(box)

    def _redraw(self, box: BBox | None) -> None:
        if box is None:
            return
        self._keep_view[box + (3,)] = (self.masks.keep[box] * self._hatch[box]).astype(np.uint8)
        self.changed.emit()
        self.update()

    def _record(self, edit: MaskEdit | None) -> None:
        """Show a finished edit and put it on the undo stack."""
        if edit is not None:
            self._redraw(edit.box)
            self.undo_stack.push(_MaskUndo(self, edit))

    # --- strokes ---------------------------------------------------------------------------------------

    def begin_stroke(self, x: float, y: float) -> None:
        """Start a stroke at image coordinates (x, y); with the fill tool, fill there instead."""
        if self.brush.tool == "fill":
            self.abort_stroke()
            self.fill(int(x), int(y))
            return
        self._redraw(self.masks.abort_stroke())
        self._redraw(self.masks.begin_stroke(self.brush, x, y))

    def extend_stroke(self, x: float, y: float) -> None:
        self._redraw(self.masks.extend_stroke(x, y))

    def end_stroke(self) -> None:
        """Finish the stroke as one undo step."""
        self._record(self.masks.commit_stroke())

    def abort_stroke(self) -> None:
        """Drop the stroke in progress, restoring the mask as it was."""
        self._redraw(self.masks.abort_stroke())

    def fill(self, x: int, y: int) -> None:
        """Flood-fill from (x, y) over the mask's own colour region, or the portrait's (``brush.fill_by``)."""
        guide = None
        if self.brush.fill_by == "portrait":
            if self.portrait is None:
                return
            guide = fit_image(self.portrait, self.resolution)
        self._record(self.masks.fill(self.brush, x, y, guide))

    def clear(self, keep: bool) -> None:
        self._record(self.masks.clear(keep))

    # --- files -----------------------------------------------------------------------------------------

    def export_mask(self, path: str | Path, keep: bool) -> None:
        """Write a mask as PNG (see ``Masks.export_mask``); ImageError on failure."""
        self.masks.export_mask(path, keep)

    def import_mask(self, path: str | Path, keep: bool) -> None:
        """Read a mask PNG as one undo step (see ``Masks.import_mask``); ImageError names a bad file."""
        self._record(self.masks.import_mask(path, keep))

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
            for layer in (self.masks.paint, self._keep_view):
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
        if e.key() == Qt.Key.Key_Escape and self.masks.stroking:
            self.abort_stroke()
        else:
            e.ignore()
