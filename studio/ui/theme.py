"""The studio's look: a dark Fusion palette (pictures read best on grey), a little QSS and icon helpers."""

from __future__ import annotations

import numpy as np
import qtawesome as qta
from PySide6.QtGui import QColor, QIcon, QImage, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from studio.engine.paths import shipped

ACCENT = "#e0a040"
TEXT = "#d8d8d8"
STYLE_SHEET = shipped("resources", "studio.qss")


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2b2e",
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: "#1f1f22",
        QPalette.ColorRole.AlternateBase: "#2f2f33",
        QPalette.ColorRole.ToolTipBase: "#1f1f22",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#36363a",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#1a1a1a",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: "#808080",
    }
    for role, color in colors.items():
        pal.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6a6a6a"))
    app.setPalette(pal)
    if STYLE_SHEET.is_file():
        app.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))


def icon(name: str) -> QIcon:
    """A qtawesome icon in the theme's text colour, accent when active."""
    return qta.icon(name, color=TEXT, color_active=ACCENT, color_disabled="#666666")


def to_qimage(img: np.ndarray) -> QImage:
    """HxWx3 uint8 -> QImage that owns its pixels (the array may go away)."""
    img = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
    h, w, _ = img.shape
    return QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def to_pixmap(img: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(to_qimage(img))


def qimage_to_array(image: QImage) -> np.ndarray:
    """QImage -> HxWx3 uint8 (tests compare what the canvas shows with files)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = image.width(), image.height(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8, count=h * bpl).reshape(h, bpl)[:, : 3 * w].reshape(h, w, 3).copy()
