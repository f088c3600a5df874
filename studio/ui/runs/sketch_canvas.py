"""The sketch canvas: black ink on white paper at twice the model's resolution, with undo and an onion skin.

Drawing happens on a greyscale QImage (255 paper, 0 ink). A stroke (mouse or tablet, with pressure) is one
undo step that keeps only its bounding box's old and new pixels, so a long history stays small. The onion
skin (a portrait or its extracted sketch) is drawn faintly under the ink and is never part of ``image()``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtWidgets import QSpinBox, QToolBar, QWidget

from studio.engine.images import fit_image, load_image, save_png
from studio.ui.theme import icon, qimage_to_array, to_qimage

HISTORY = 100
MIN_SIZE, MAX_SIZE = 512, 2048
PAPER, INK = 255, 0


def working_size(resolution: int | None) -> int:
    """Twice the model's resolution (room for fine strokes that still read when shrunk), 512–2048 px."""
    return min(max(2 * (resolution or 0), MIN_SIZE), MAX_SIZE)


def to_grey(img: np.ndarray) -> np.ndarray:
    """uint8 HxW or HxWx3 -> HxW luma."""
    if img.ndim == 2:
        return img
    return np.rint(img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)


def grey_qimage(img: np.ndarray) -> QImage:
    """uint8 HxW -> a Grayscale8 QImage that owns its pixels."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape
    return QImage(img.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


@dataclass
class _Step:
    """One undo step: the pixels of ``rect`` before and after."""

    rect: QRect
    before: QImage
    after: QImage


class SketchCanvas(QWidget):
    """Draw with the pen or eraser (Shift-drag: a straight line); ``image()`` is the sketch as uint8 HxW."""

    changed = Signal()  # after a stroke, undo, redo, clear or load

    def __init__(self, size: int = MIN_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pen_width = max(2, size // 128)
        self.tool = "pen"  # pen | eraser
        self.onion: QImage | None = None
        self.onion_visible = True
        self.onion_opacity = 0.3
        self._undo: deque[_Step] = deque(maxlen=HISTORY)
        self._redo: list[_Step] = []
        self._stroke: QImage | None = None  # the whole page as it was when the stroke began
        self._dirty = QRect()
        self._start = self._last = QPointF()
        self._line = self._erasing = False
        self._hover: QPointF | None = None
        self._page = QImage()
        self.load(np.full((size, size), PAPER, np.uint8))
        self.setMinimumSize(256, 256)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # --- content ---------------------------------------------------------------------------------------

    @property
    def size_px(self) -> int:
        return self._page.width()

    def image(self) -> np.ndarray:
        """The sketch: uint8 (H, W), 255 paper, 0 ink."""
        return qimage_to_array(self._page)[..., 0]

    def load(self, img: np.ndarray) -> None:
        """Show another sketch (fitted to the page); its history starts afresh."""
        self._page = grey_qimage(self._fit(img))
        self._undo.clear()
        self._redo.clear()
        self._finish_content()

    def set_image(self, img: np.ndarray) -> None:
        """Replace the page's content as one undo step (import, clear)."""
        before = self._page.copy()
        self._page = grey_qimage(self._fit(img))
        self._push(_Step(self._page.rect(), before, self._page.copy()))

    def clear(self) -> None:
        self.set_image(np.full((self.size_px, self.size_px), PAPER, np.uint8))

    def import_png(self, path: Path) -> None:
        """Load any image file as the page (one undo step); raises ImageError naming a bad file."""
        self.set_image(load_image(path))

    def export_png(self, path: Path) -> None:
        save_png(path, self.image())

    def _fit(self, img: np.ndarray) -> np.ndarray:
        size = self.size_px or img.shape[0]
        grey = to_grey(img)
        return grey if grey.shape == (size, size) else fit_image(grey, size)

    def set_onion(self, img: np.ndarray | None) -> None:
        """The picture to trace (HxW or HxWx3 uint8), drawn faintly under the ink; None removes it."""
        self.onion = None if img is None else (grey_qimage(img) if img.ndim == 2 else to_qimage(img))
        self.update()

    def set_onion_visible(self, on: bool) -> None:
        self.onion_visible = on
        self.update()

    def set_onion_opacity(self, opacity: float) -> None:
        self.onion_opacity = min(max(opacity, 0.0), 1.0)
        self.update()

    # --- undo ------------------------------------------------------------------------------------------

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> None:
        if self._undo:
            step = self._undo.pop()
            self._blit(step.rect, step.before)
            self._redo.append(step)
            self._finish_content()

    def redo(self) -> None:
        if self._redo:
            step = self._redo.pop()
            self._blit(step.rect, step.after)
            self._undo.append(step)
            self._finish_content()

    def _push(self, step: _Step) -> None:
        self._undo.append(step)
        self._redo.clear()
        self._finish_content()

    def _blit(self, rect: QRect, pixels: QImage) -> None:
        p = QPainter(self._page)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        p.drawImage(rect.topLeft(), pixels)
        p.end()

    def _finish_content(self) -> None:
        self.update()
        self.changed.emit()

    # --- strokes ---------------------------------------------------------------------------------------

    def begin_stroke(self, pos: QPointF, pressure: float = 1.0, line: bool = False, erase: bool = False) -> None:
        """Start a stroke at ``pos`` (page pixels); ``line`` draws one straight segment from here."""
        self._stroke = self._page.copy()
        self._dirty = QRect()
        self._start = self._last = pos
        self._line = line
        self._erasing = erase or self.tool == "eraser"
        if not line:
            self._segment(pos, pos, pressure)

    def extend_stroke(self, pos: QPointF, pressure: float = 1.0) -> None:
        if self._stroke is None:
            return
        if self._line:
            if not self._dirty.isEmpty():  # take the previous rubber-band line back off the page
                self._blit(self._dirty, self._stroke.copy(self._dirty))
            self._segment(self._start, pos, pressure)
        else:
            self._segment(self._last, pos, pressure)
        self._last = pos

    def end_stroke(self) -> None:
        """Record the stroke as one undo step (its bounding box, old and new pixels)."""
        if self._stroke is None:
            return
        rect = self._dirty.intersected(self._page.rect())
        before, self._stroke = self._stroke, None
        if not rect.isEmpty():
            self._push(_Step(rect, before.copy(rect), self._page.copy(rect)))

    def _segment(self, a: QPointF, b: QPointF, pressure: float) -> None:
        width = max(1.0, self.pen_width * (pressure if pressure > 0 else 1.0))
        grey = PAPER if self._erasing else INK
        pen = QPen(QColor(grey, grey, grey), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p = QPainter(self._page)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(pen)
        p.drawLine(a, b)
        p.end()
        pad = int(width / 2) + 2
        self._dirty |= QRectF(a, b).normalized().toAlignedRect().adjusted(-pad, -pad, pad, pad)
        self.update()

    # --- view ------------------------------------------------------------------------------------------

    def page_rect(self) -> QRectF:
        """Where the page lands in the widget: the largest centred square with a small margin."""
        side = max(min(self.width(), self.height()) - 8, 1)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_page(self, pos: QPointF) -> QPointF:
        rect = self.page_rect()
        scale = self.size_px / rect.width()
        return QPointF((pos.x() - rect.left()) * scale, (pos.y() - rect.top()) * scale)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#161618"))
        rect = self.page_rect()
        p.fillRect(rect, QColor("white"))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.onion is not None and self.onion_visible:
            p.setOpacity(self.onion_opacity)
            p.drawImage(rect, self.onion)
            p.setOpacity(1.0)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)  # paper lets the onion through
        p.drawImage(rect, self._page)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        if self._hover is not None:
            radius = self.pen_width / 2 * rect.width() / self.size_px
            p.setPen(QPen(QColor("#e0a040"), 1))
            p.drawEllipse(self._hover, radius, radius)

    # --- input -----------------------------------------------------------------------------------------

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            line = bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.begin_stroke(self.to_page(e.position()), line=line, erase=e.button() == Qt.MouseButton.RightButton)

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        self._hover = e.position()
        if self._stroke is not None:
            self.extend_stroke(self.to_page(e.position()))
        else:
            self.update()

    def mouseReleaseEvent(self, _e: QMouseEvent) -> None:  # noqa: N802
        self.end_stroke()

    def leaveEvent(self, _e) -> None:  # noqa: N802
        self._hover = None
        self.update()

    def tabletEvent(self, e: QTabletEvent) -> None:  # noqa: N802
        """A pen's pressure scales the stroke width; its eraser end erases."""
        pos, kind = self.to_page(e.position()), e.type()
        if kind == QTabletEvent.Type.TabletPress:
            erase = e.pointerType() == QPointingDevice.PointerType.Eraser
            line = bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.begin_stroke(pos, e.pressure(), line=line, erase=erase)
        elif kind == QTabletEvent.Type.TabletMove:
            self._hover = e.position()
            self.extend_stroke(pos, e.pressure())
        elif kind == QTabletEvent.Type.TabletRelease:
            self.end_stroke()
        e.accept()  # no synthesized mouse events: they would draw the stroke twice


def sketch_toolbar(canvas: SketchCanvas, parent: QWidget | None = None) -> QToolBar:
    """Pen / eraser (P, E), width with [ and ], undo, redo and clear for ``canvas``; actions are attributes."""
    bar = QToolBar("Sketch", parent)
    group = QActionGroup(bar)

    def action(text: str, slot, shortcut=None, icon_name: str | None = None, checkable: bool = False) -> QAction:
        a = QAction(icon(icon_name), text, bar) if icon_name else QAction(text, bar)
        if shortcut is not None:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
            a.setToolTip(f"{text} ({a.shortcut().toString()})")
        a.setCheckable(checkable)
        a.triggered.connect(lambda *_: slot())
        bar.addAction(a)
        return a

    def set_tool(tool: str) -> None:
        canvas.tool = tool

    bar.pen_action = action("Pen", lambda: set_tool("pen"), "P", "fa6s.pen", checkable=True)
    bar.eraser_action = action("Eraser", lambda: set_tool("eraser"), "E", "fa6s.eraser", checkable=True)
    group.addAction(bar.pen_action)
    group.addAction(bar.eraser_action)
    bar.pen_action.setChecked(True)
    bar.width_spin = QSpinBox(minimum=1, maximum=64, value=canvas.pen_width, suffix=" px")
    bar.width_spin.setToolTip("Stroke width ([ and ] change it; pen pressure scales it)")
    bar.width_spin.valueChanged.connect(lambda v: setattr(canvas, "pen_width", v))
    bar.addWidget(bar.width_spin)
    action("Thinner", bar.width_spin.stepDown, "[", "fa6s.minus")
    action("Thicker", bar.width_spin.stepUp, "]", "fa6s.plus")
    bar.addSeparator()
    K = QKeySequence.StandardKey
    bar.undo_action = action("Undo stroke", canvas.undo, [QKeySequence(K.Undo)], "fa6s.rotate-left")
    bar.redo_action = action("Redo stroke", canvas.redo, [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
                             "fa6s.rotate-right")
    bar.clear_action = action("Clear page", canvas.clear, icon_name="fa6s.file")

    def sync() -> None:
        bar.undo_action.setEnabled(canvas.can_undo)
        bar.redo_action.setEnabled(canvas.can_redo)

    canvas.changed.connect(sync)
    sync()
    return bar
