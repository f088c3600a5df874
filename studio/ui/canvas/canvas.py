"""The big picture: zoom (wheel, +/-), fit, 1:1, pan by dragging, and a before/after split to compare.

A picture is scaled smoothly, as a painter expects of a fitted 64 px portrait; "Show pixels" (the context menu)
draws enlarged pixels as sharp blocks instead, to inspect them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QContextMenuEvent, QImage, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QMenu, QWidget

from studio.ui.theme import ACCENT, to_qimage

_ZOOM_STEP = 1.25
_MIN_ZOOM, _MAX_ZOOM = 0.05, 32.0
_GRAB_PX = 6


class Canvas(QWidget):
    """Shows ``image`` (and ``before`` on the left of the divider in compare mode), scaled about its centre."""

    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.before: QImage | None = None
        self.compare = False
        self.divider = 0.5  # fraction of the picture's width
        self.fit = True
        self.resolution: int | None = None  # the model's; lower-level preview frames are drawn this big
        self._zoom = 1.0
        self._pan = QPointF(0, 0)
        self._drag: str | None = None
        self._last = QPointF()
        self.pixels_action = QAction("Show pixels (no smoothing)", self, checkable=True)
        self.pixels_action.toggled.connect(self.update)
        self.setMinimumSize(256, 256)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(False)

    # --- content ---------------------------------------------------------------------------------------

    def set_image(self, image: np.ndarray, before: np.ndarray | None = None) -> None:
        """Show a new frame; frames of a lower preview level are scaled up to the picture's size."""
        self.image = to_qimage(image)
        if before is not None:
            self.before = to_qimage(before)
        self.update()

    @property
    def show_pixels(self) -> bool:
        """True: enlarged pixels are drawn as sharp blocks (nearest neighbour); False (default): smoothly."""
        return self.pixels_action.isChecked()

    def set_compare(self, on: bool) -> None:
        self.compare = on
        self.update()

    # --- zoom ------------------------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self._fit_zoom() if self.fit else self._zoom

    def _picture_size(self) -> tuple[int, int]:
        if self.resolution:
            return self.resolution, self.resolution
        return (self.image.width(), self.image.height()) if self.image is not None else (1, 1)

    def _fit_zoom(self) -> float:
        w, h = self._picture_size()
        return max(min((self.width() - 16) / w, (self.height() - 16) / h), _MIN_ZOOM)

    def set_zoom(self, zoom: float) -> None:
        self.fit = False
        self._zoom = min(max(zoom, _MIN_ZOOM), _MAX_ZOOM)
        self.zoom_changed.emit(self._zoom)
        self.update()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * _ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / _ZOOM_STEP)

    def zoom_fit(self) -> None:
        self.fit, self._pan = True, QPointF(0, 0)
        self.zoom_changed.emit(self.zoom)
        self.update()

    def zoom_actual(self) -> None:
        self._pan = QPointF(0, 0)
        self.set_zoom(1.0)

    def target_rect(self) -> QRectF:
        """Where the picture lands in widget coordinates (at the picture's full resolution)."""
        w, h = self._picture_size()
        z = self.zoom
        centre = QPointF(self.width() / 2, self.height() / 2) + self._pan
        return QRectF(centre.x() - w * z / 2, centre.y() - h * z / 2, w * z, h * z)

    # --- painting --------------------------------------------------------------------------------------

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#161618"))
        if self.image is None:
            p.setPen(QColor("#777"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No picture yet")
            return
        rect = self.target_rect()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not (self.show_pixels and self.zoom > 1.0))
        p.drawImage(rect, self.image)
        if self.compare and self.before is not None:
            x = rect.left() + rect.width() * self.divider
            left = QRectF(rect.left(), rect.top(), x - rect.left(), rect.height())
            p.save()
            p.setClipRect(left)
            p.drawImage(rect, self.before)
            p.restore()
            p.setPen(QPen(QColor(ACCENT), 2))
            p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            p.setPen(QColor("#f0f0f0"))
            p.drawText(QRectF(rect.left() + 6, rect.top() + 4, 80, 20), "before")
            p.drawText(QRectF(rect.right() - 86, rect.top() + 4, 80, 20), Qt.AlignmentFlag.AlignRight, "after")

    # --- mouse -----------------------------------------------------------------------------------------

    def contextMenuEvent(self, e: QContextMenuEvent) -> None:  # noqa: N802
        menu = QMenu(self)
        menu.addAction("Fit", self.zoom_fit)
        menu.addAction("Actual size (1:1)", self.zoom_actual)
        menu.addSeparator()
        menu.addAction(self.pixels_action)
        menu.exec(e.globalPos())

    def _on_divider(self, pos: QPointF) -> bool:
        rect = self.target_rect()
        return self.compare and abs(pos.x() - (rect.left() + rect.width() * self.divider)) <= _GRAB_PX

    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        if e.button() != Qt.MouseButton.LeftButton:
            return
        self._drag = "divider" if self._on_divider(e.position()) else "pan"
        self._last = e.position()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802
        pos = e.position()
        if self._drag == "divider":
            rect = self.target_rect()
            self.divider = min(max((pos.x() - rect.left()) / max(rect.width(), 1), 0.0), 1.0)
            self.update()
        elif self._drag == "pan" and not self.fit:
            self._pan += pos - self._last
            self._last = pos
            self.update()
        on_divider = self._on_divider(pos) or self._drag == "divider"
        cursor = Qt.CursorShape.SplitHCursor if on_divider else Qt.CursorShape.ArrowCursor
        self.setCursor(cursor)

    def mouseReleaseEvent(self, _e: QMouseEvent) -> None:  # noqa: N802
        self._drag = None

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802
        steps = e.angleDelta().y() / 120
        if steps:
            self.set_zoom(self.zoom * _ZOOM_STEP**steps)
