"""A picture that fits the space it is given (smoothly scaled down, never up, aspect kept) and never asks for more:
a growing preview grid must not push its neighbours aside, nor be cut off at the sides."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class FittedPicture(QLabel):
    """A QLabel for one picture; ``set_picture`` keeps the full-size pixmap, the label shows it fitted."""

    def __init__(self, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(hint, parent, wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._full: QPixmap | None = None

    def set_picture(self, pixmap: QPixmap) -> None:
        self._full = pixmap
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's override)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._full is None or self._full.isNull():
            return
        box = self.contentsRect().size()
        if self._full.width() <= box.width() and self._full.height() <= box.height():
            self.setPixmap(self._full)
        else:
            self.setPixmap(self._full.scaled(box, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))
