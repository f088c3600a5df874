"""The studio window (first cut): a grid of samples from the current model, rendered in the background."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QMainWindow, QMessageBox, QProgressBar, QWidget

from ..engine import CheckpointError, LoadedModel, load_model
from ..engine.generate import render_seeds
from .workers import JobWorker


def to_pixmap(img: np.ndarray) -> QPixmap:
    """HxWx3 uint8 -> QPixmap (copies, so the array may go away)."""
    h, w, _ = img.shape
    qimg = QImage(np.ascontiguousarray(img).data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimg.copy())


class MainWindow(QMainWindow):
    def __init__(self, seeds: int = 12, cols: int = 4) -> None:
        super().__init__()
        self.setWindowTitle("GAN Studio")
        self.model: Optional[LoadedModel] = None
        self.worker: Optional[JobWorker] = None
        self.cells: list[QLabel] = []
        grid = QGridLayout()
        for i in range(seeds):
            cell = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
            cell.setMinimumSize(128, 128)
            self.cells.append(cell)
            grid.addWidget(cell, i // cols, i % cols)
        host = QWidget()
        host.setLayout(grid)
        self.setCentralWidget(host)
        self.progress = QProgressBar()
        self.statusBar().addPermanentWidget(self.progress)

    def open_model(self, path: str) -> None:
        try:
            self.model = load_model(path)
        except CheckpointError as e:
            QMessageBox.warning(self, "Cannot open model", str(e))
            return
        self.statusBar().showMessage(f"{self.model.name}: {self.model.G.resolution} px")
        self.worker = JobWorker(
            lambda progress, token: list(render_seeds(self.model.G, range(len(self.cells)), 0.7, progress=progress, token=token))
        )
        self.worker.progressed.connect(lambda p: self.progress.setValue(int(100 * p.fraction)))
        self.worker.finished_ok.connect(self._show)
        self.worker.start()

    def _show(self, results: list) -> None:
        for cell, (_, img) in zip(self.cells, results):
            cell.setPixmap(to_pixmap(img).scaled(256, 256, Qt.AspectRatioMode.KeepAspectRatio))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait()
        super().closeEvent(event)
