"""Application start-up: QApplication, settings identity, dark theme, the main window on the default model."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from PySide6.QtWidgets import QApplication

from .theme import apply_dark_theme

APP_NAME = "GAN Studio"
ORG_NAME = "GAN Studio"


def create_app(argv: Optional[Sequence[str]] = None) -> QApplication:
    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    apply_dark_theme(app)
    return app


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .main_window import MainWindow

    app = create_app(argv)
    window = MainWindow()
    window.show()
    window.start()
    return app.exec()
