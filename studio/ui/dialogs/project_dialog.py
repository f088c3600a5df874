"""Open a real image to edit: project it into W+ (Image2StyleGAN) on a worker, compare, use it as the portrait.

The projection fits W+, then the fine noise maps to the brushwork (its detail pass); the portrait carries both
(``Latent.noise``: the preview, recipes and autosave keep the maps), so the reconstruction shown and its PSNR are
exactly what "Use as portrait" gives, and sliders and colour searches edit it with its detail kept.
A class-conditional model projects into the chosen class (the search starts at its mean w), and the portrait
records that class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.edit.portrait import Portrait
from studio.engine.images import load_fitted
from studio.engine.invert.projection import ProjectionResult, project
from studio.engine.jobs import CancelToken, Progress, ProgressFn
from studio.engine.model.labels import class_labels, class_title
from studio.engine.model.loaded import LoadedModel
from studio.ui.document import PortraitDocument
from studio.ui.tasks import Task, TaskRunner
from studio.ui.theme import icon, to_pixmap
from studio.ui.widgets.run_controls import RunControls

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff *.tga *.ppm *.pgm);;All files (*)"
VIEW_SIZE = 256


def ask_image_path(parent: QWidget) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open image to edit", "", IMAGE_FILTER)
    return Path(path) if path else None


def read_target(path: Path, resolution: int, progress: ProgressFn, token: CancelToken) -> np.ndarray:
    """The picture as the projection sees it: RGB (transparency over white), centre-cropped to the model's size."""
    return load_fitted(path, resolution)


def reconstruct(
    model: LoadedModel, target: np.ndarray, steps: int, class_index: int | None, progress: ProgressFn,
    token: CancelToken,
) -> ProjectionResult:
    return project(model.G, target, D=model.D, steps=steps, preview_every=max(1, steps // 30),
                   progress=progress, token=token, c=class_labels(model.G, class_index))


class ProjectDialog(QDialog):
    """The original beside its reconstruction, steps, Project/Cancel, PSNR, and "Use as portrait"."""

    def __init__(self, model: LoadedModel, doc: PortraitDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open image to edit")
        self.model, self.doc = model, doc
        self.tasks = TaskRunner(self)
        self.path: Path | None = None
        self.target: np.ndarray | None = None
        self.result: ProjectionResult | None = None
        self.result_class: int | None = None  # the class the result was projected into

        self.original, self.reconstruction = self._view("original"), self._view("reconstruction")
        views = QGridLayout()
        views.addWidget(QLabel("Original (as projected)"), 0, 0)
        views.addWidget(QLabel("Reconstruction (as a portrait)"), 0, 1)
        views.addWidget(self.original, 1, 0)
        views.addWidget(self.reconstruction, 1, 1)
        self.choose_button = QPushButton(icon("fa6s.folder-open"), "Choose image…")
        self.choose_button.clicked.connect(self.choose)
        self.steps = QSpinBox(minimum=10, maximum=5000, value=300, singleStep=50, suffix=" steps")
        self.steps.setToolTip("More steps come closer to the picture (about 300 is a good start)")
        self.class_box = QComboBox()
        self.class_box.addItems([class_title(c) for c in model.classes])
        self.class_box.setCurrentIndex(doc.portrait.class_index or 0)
        self.class_box.setToolTip("The class of this class-conditional model to project the picture into")
        self.class_box.setVisible(bool(model.classes))
        self.controls = RunControls("Project", "fa6s.wand-magic-sparkles")
        self.controls.start_requested.connect(self.project)
        self.project_button = self.controls.button  # Project ⇄ Cancel
        self.project_button.setEnabled(False)
        self.message = QLabel("Choose a picture: it is centre-cropped to a square and searched for in the model.",
                              wordWrap=True, objectName="hint")
        self.use_button = QPushButton(icon("fa6s.user-check"), "Use as portrait")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_as_portrait)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        controls = QHBoxLayout()
        for w in (self.choose_button, self.class_box, self.steps):
            controls.addWidget(w)
        controls.addWidget(self.controls, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(views)
        lay.addLayout(controls)
        lay.addWidget(self.message)
        lay.addLayout(buttons)

    @staticmethod
    def _view(name: str) -> QLabel:
        label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, objectName=name)
        label.setFixedSize(VIEW_SIZE, VIEW_SIZE)
        label.setStyleSheet("background: #161618;")
        return label

    @staticmethod
    def _show(label: QLabel, image: np.ndarray) -> None:
        label.setPixmap(to_pixmap(image).scaled(VIEW_SIZE, VIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.SmoothTransformation))

    # --- jobs ------------------------------------------------------------------------------------------

    def choose(self) -> None:
        path = ask_image_path(self)
        if path is not None:
            self.open_image(path)

    @property
    def worker(self) -> Task | None:
        """The running job (reading or projecting), if any."""
        return self.tasks.task("projection")

    def open_image(self, path: Path) -> None:
        """Read ``path`` on a worker, show it, then project it; a bad file is one warning sentence."""
        if self.worker is not None:
            return
        self.path, self.target, self.result = Path(path), None, None
        self.original.clear()
        self.reconstruction.clear()
        self.use_button.setEnabled(False)
        self.project_button.setEnabled(False)
        self.message.setText(f"Reading {self.path.name}…")

        def read(target: np.ndarray) -> None:
            self.target = target
            self._show(self.original, target)
            self.project_button.setEnabled(True)
            self.project()

        def failed(msg: str) -> None:
            self.message.setText("Choose another picture.")
            QMessageBox.warning(self, "Cannot open image", msg)

        self.tasks.run(read_target, self.path, self.model.G.resolution, title="Reading image", owner="projection",
                       on_done=read, on_error=failed)

    def project(self) -> None:
        """Project the chosen picture; cancel keeps where it got to."""
        if self.target is None or self.worker is not None:
            return
        self.result = None
        self.use_button.setEnabled(False)
        self.message.setText("Projecting…")
        k = self.class_index
        self.controls.attach(self.tasks.run(
            reconstruct, self.model, self.target, self.steps.value(), k, title="Projecting image", owner="projection",
            on_progress=self._progressed, on_done=lambda rec: self._projected(rec, k),
            on_error=lambda msg: self.message.setText(f"The projection failed: {msg}")))

    def _progressed(self, p: Progress) -> None:
        if p.preview is not None:
            self._show(self.reconstruction, p.preview)
        if "psnr" in p.metrics:
            self.message.setText(f"Step {p.done}/{p.total}: {p.metrics['psnr']:.1f} dB.")

    @property
    def class_index(self) -> int | None:
        """The class to project into (None for an unconditional model)."""
        return self.class_box.currentIndex() if self.model.classes else None

    def _projected(self, result: ProjectionResult, class_index: int | None) -> None:
        self.result, self.result_class = result, class_index
        self._show(self.reconstruction, result.image)
        self.use_button.setEnabled(True)
        stopped = f"Stopped after {result.steps_done} steps" if result.cancelled else f"{result.steps_done} steps"
        detail = f" ({result.portrait_psnr:.1f} dB before the detail pass)" if result.noise else ""
        self.message.setText(f"{stopped}: PSNR {result.psnr:.1f} dB{detail}.")

    # --- result ----------------------------------------------------------------------------------------

    def use_as_portrait(self) -> None:
        """Make the projection the current portrait (one undo step; its recipe carries the W+ and noise maps)."""
        if self.result is None:
            return
        r = self.result
        self.doc.commit(Portrait.from_w_plus(r.ws, class_index=self.result_class, noise=r.noise),
                        f"Open image {self.path.name}")
        self.accept()

    def done(self, r: int) -> None:
        self.tasks.shutdown()
        super().done(r)
