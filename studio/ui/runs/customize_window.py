"""The "Customize model" window: draw a sketch set, then fine-tune the open model towards it (Sketch Your Own GAN).

Left: the sketch set and, beside it, what the chosen extractor F makes of a few model samples, since the
sketch critic compares the user's sketches with exactly those (a large gap in style means a hard run).
Middle: the canvas. Right: the settings and the run: progress with ETA, loss curves and the live preview
grid (base vs customised, same z). ``customize`` runs as a task (ui/tasks.py): pause and resume block it between
steps; "Stop and discard" cancels and deletes what it saved, "Stop and keep" keeps the model trained so far.
A class-conditional model is customized for one class (the settings' Class; the studio's current one at first).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.customize import SketchError, load_extractor, sketches_from_arrays
from studio.engine.customize.card import kept_note
from studio.engine.customize.config import TRAIN_MODES, CustomizeConfig, CustomizeError, recommended_settings
from studio.engine.customize.loop import PREVIEW_SEEDS, customize
from studio.engine.edit.latents import z_from_seeds
from studio.engine.images import ImageError, image_to_tensor, tensor_to_images
from studio.engine.jobs import CancelToken, ProgressFn
from studio.engine.model.checkpoints import DEFAULT_MODEL
from studio.engine.model.labels import batch_labels, class_labels, class_title
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.safetensors_io import card_path
from studio.engine.model.stylegan2 import Generator
from studio.engine.outputs import dialog_output
from studio.engine.paths import user_data_dir
from studio.ui.runs.run_panel import RunPanel
from studio.ui.runs.sketch_canvas import SketchCanvas, sketch_toolbar, working_size
from studio.ui.runs.sketch_set import IMAGE_FILTER, THUMB, SketchSetPanel
from studio.ui.tasks import Task, TaskRunner
from studio.ui.theme import icon, to_pixmap
from studio.ui.widgets.task_bar import TaskBar

DOMAIN_SAMPLES = 4
EXTRACTORS = {"default": "Edges (no weights)", "world": "World contour net", "photosketch": "PhotoSketch file…"}
REAL_IMAGES = {"world": "World portraits", "folder": "A folder of images…", "none": "None (stay near the base weights)"}


def extractor_views(
    G: Generator, spec: str, portrait: np.ndarray | None, class_index: int | None, progress: ProgressFn,
    token: CancelToken,
) -> tuple[np.ndarray, np.ndarray | None]:
    """F's sketches of the first preview samples (as the run's preview renders them, in ``class_index`` of a
    conditional G) and of ``portrait``."""
    F = load_extractor(spec)
    token.check()
    with torch.no_grad():
        z = z_from_seeds(list(PREVIEW_SEEDS)[:DOMAIN_SAMPLES], G.z_dim).to(G.w_avg.device)
        c = batch_labels(class_labels(G, class_index), len(z))
        samples = tensor_to_images(F(G.synthesis(G.mapping(z, c), noise_mode="const")))[..., 0]
        own = None if portrait is None else tensor_to_images(F(image_to_tensor(portrait)))[0, ..., 0]
    return samples, own


def default_output(model: LoadedModel) -> Path:
    return user_data_dir() / "models" / f"{model.name}-sketched-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"


class CustomizeWindow(QMainWindow):
    """Sketch a set, set the run up, train on a worker; the finished model is offered via ``model_offered``."""

    model_offered = Signal(str, bool)  # path of the new model, whether the user wants it opened now

    def __init__(
        self,
        model: LoadedModel,
        portrait: np.ndarray | None = None,
        sketch_folder: Path | None = None,
        parent: QWidget | None = None,
        class_index: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.portrait = portrait
        self._first_class = class_index or 0  # a conditional model's class to customize, at first
        self.portrait_sketch: np.ndarray | None = None
        self.config: CustomizeConfig | None = None  # the running (or last) run's settings
        self.result: Path | None = None
        self._photosketch = ""
        self._image_folder = ""
        self.recommended = recommended_settings(model)  # the settings the window starts from (and what it hides)
        self.setWindowTitle(f"Customize {model.name} with sketches")
        self.setWindowIcon(icon("fa6s.pen-nib"))
        self.tasks = TaskRunner(self)
        self.statusBar().addPermanentWidget(TaskBar(self.tasks))

        self.canvas = SketchCanvas(working_size(model.G.resolution))
        self.sketch_set = SketchSetPanel(self.canvas.size_px, sketch_folder)
        self.sketch_set.selected.connect(self.canvas.load)
        self.canvas.changed.connect(lambda: self.sketch_set.update_current(self.canvas.image()))
        self.canvas.load(self.sketch_set.current())
        self.tools = sketch_toolbar(self.canvas, self)
        self._add_page_actions()
        self.addToolBar(self.tools)

        splitter = QSplitter()
        splitter.addWidget(self._left_column())
        splitter.addWidget(self.canvas)
        splitter.addWidget(self._right_column())
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self.resize(1400, 820)
        self.refresh_extractor_views()

    # --- layout ----------------------------------------------------------------------------------------

    def _add_page_actions(self) -> None:
        bar = self.tools
        bar.addSeparator()
        for text, icon_name, slot in (("Import image into page…", "fa6s.file-import", self.import_page),
                                      ("Export page as PNG…", "fa6s.file-export", self.export_page)):
            action = QAction(icon(icon_name), text, bar)
            action.triggered.connect(lambda *_, s=slot: s())
            bar.addAction(action)
        bar.addSeparator()
        self.onion_action = QAction(icon("fa6s.layer-group"), "Onion skin", bar, checkable=True, checked=True)
        self.onion_action.setToolTip("Show the current portrait faintly under the page, to trace")
        self.onion_action.toggled.connect(self.canvas.set_onion_visible)
        bar.addAction(self.onion_action)
        self.onion_source = QComboBox()
        self.onion_source.addItems(["Portrait", "Portrait's sketch"])
        self.onion_source.setToolTip("Trace the portrait itself, or what the chosen extractor draws from it")
        self.onion_source.currentIndexChanged.connect(lambda *_: self._show_onion())
        bar.addWidget(self.onion_source)
        self.onion_opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=30)
        self.onion_opacity.setFixedWidth(100)
        self.onion_opacity.setToolTip("Onion skin opacity")
        self.onion_opacity.valueChanged.connect(lambda v: self.canvas.set_onion_opacity(v / 100))
        bar.addWidget(self.onion_opacity)
        self.canvas.set_onion_opacity(0.3)
        self._show_onion()

    def _left_column(self) -> QWidget:
        self.domain_strip = QLabel("…", alignment=Qt.AlignmentFlag.AlignCenter)
        self.domain_strip.setToolTip("The extractor's sketches of model samples: what your sketches are compared with")
        gap = QGroupBox("What the extractor sees")
        QVBoxLayout(gap).addWidget(self.domain_strip)
        gap.setMinimumWidth(gap.fontMetrics().horizontalAdvance(gap.title()) + 32)  # the title whole, never cut
        mine = QGroupBox("Your sketches")
        QVBoxLayout(mine).addWidget(self.sketch_set)
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(mine)
        lay.addWidget(gap)
        return row

    def _right_column(self) -> QWidget:
        rec = self.recommended
        self.steps = QSpinBox(minimum=1, maximum=200_000, value=rec["steps"], singleStep=50)
        self.train_mode = QComboBox()
        self.train_mode.addItems(TRAIN_MODES)
        self.train_mode.setCurrentText(rec["train"])
        self.train_mode.setToolTip("mapping: only the mapping network (W stays blendable); shift: one W offset; "
                                   "full: every weight of G")
        self.extractor = QComboBox()
        for key, label in EXTRACTORS.items():
            self.extractor.addItem(label, key)
        key, _, path = rec["extractor"].partition(":")
        if key == "photosketch":
            self._photosketch = path
        self.extractor.setCurrentIndex(max(0, self.extractor.findData(key)))
        self.extractor.setToolTip("The sketch extractor F; the one shown first is what benchmarks/customize.py "
                                  "found best for this kind of model")
        self.extractor.currentIndexChanged.connect(lambda *_: self._extractor_chosen())
        self.real_images = QComboBox()
        for key, label in REAL_IMAGES.items():
            self.real_images.addItem(label, key)
        is_default = self.model.path is not None and self.model.path.resolve() == DEFAULT_MODEL.resolve()
        self.real_images.setCurrentIndex(0 if is_default else 2)
        self.real_images.setToolTip("Real images keep quality and variety (L_image); without them the weights are "
                                    "held near the base instead (L_weight)")
        self.real_images.currentIndexChanged.connect(lambda *_: self._images_chosen())
        self.class_box = QComboBox()
        self.class_box.addItems([class_title(c) for c in self.model.classes])
        self.class_box.setCurrentIndex(self._first_class)
        self.class_box.setToolTip("The class of this class-conditional model the sketches customize")
        self.class_box.currentIndexChanged.connect(lambda *_: self.refresh_extractor_views())
        self.batch = QSpinBox(minimum=1, maximum=64, value=rec["batch"])
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.output = QLineEdit()
        self.output.textChanged.connect(self._output_shown)
        self.output.setText(str(default_output(self.model)))
        browse = QToolButton(icon=icon("fa6s.folder-open"), toolTip="Choose where to save the customized model")
        browse.clicked.connect(self._choose_output)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Steps", self.steps)
        form.addRow("Train", self.train_mode)
        form.addRow("Extractor", self.extractor)
        form.addRow("Real images", self.real_images)
        if self.model.classes:
            form.addRow("Class", self.class_box)
        form.addRow("Batch", self.batch)
        form.addRow("Seed", self.seed)
        form.addRow("Save as", out_row)
        self.settings_box = QGroupBox("Settings")
        self.settings_box.setLayout(form)

        self.run = RunPanel("The preview grid appears here as training runs.",
                            caption="Rows: the model before, after, and what the extractor sees of it; each column "
                                    "is one portrait.")
        self.run.caption.setToolTip("Each column renders the same z with the base G and with G′")
        self.run.start_requested.connect(self.start)
        # the run's parts, as the tests and the rest of this window name them
        self.start_button, self.progress, self.eta = self.run.start_button, self.run.progress, self.run.eta
        self.pause_button, self.keep_button = self.run.pause_button, self.run.keep_button
        self.error, self.losses, self.preview = self.run.error, self.run.losses, self.run.preview
        col = QWidget()
        lay = QVBoxLayout(col)
        lay.addWidget(self.settings_box)
        lay.addWidget(self.run, 1)
        return col

    # --- pages and onion skin --------------------------------------------------------------------------

    def import_page(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import into page", str(Path.home()), IMAGE_FILTER)
        if path:
            try:
                self.canvas.import_png(Path(path))
            except ImageError as e:
                self.show_error(str(e))

    def export_page(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export page", str(Path.home() / "sketch.png"), "PNG (*.png)")
        if path:
            try:
                self.canvas.export_png(dialog_output(path, ".png", "PNG"))
            except (ImageError, ValueError) as e:
                self.show_error(str(e))

    def _show_onion(self) -> None:
        use_sketch = self.onion_source.currentIndex() == 1
        self.canvas.set_onion(self.portrait_sketch if use_sketch else self.portrait)
        self.onion_action.setEnabled(self.portrait is not None)

    # --- settings --------------------------------------------------------------------------------------

    def extractor_spec(self) -> str:
        key = self.extractor.currentData()
        return f"photosketch:{self._photosketch}" if key == "photosketch" else key

    def _extractor_chosen(self) -> None:
        if self.extractor.currentData() == "photosketch":
            path, _ = QFileDialog.getOpenFileName(self, "PhotoSketch weights (latest_net_G.pth)", str(Path.home()),
                                                  "PyTorch weights (*.pth *.pt);;All files (*)")
            if not path:
                self.extractor.setCurrentIndex(0)
                return
            self._photosketch = path
        self.refresh_extractor_views()

    def _images_chosen(self) -> None:
        if self.real_images.currentData() == "folder":
            folder = QFileDialog.getExistingDirectory(self, "Folder of real images", str(Path.home()))
            if not folder:
                self.real_images.setCurrentIndex(2)
                return
            self._image_folder = folder
            self.real_images.setToolTip(folder)

    def _output_shown(self, path: str) -> None:
        """A long path shows from its start (the folder), the whole of it in the tooltip."""
        if not self.output.hasFocus():
            self.output.setCursorPosition(0)
        self.output.setToolTip(path)

    def _choose_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save customized model as", self.output.text(),
                                              "GAN Studio models (*.safetensors)")
        if path:
            self.output.setText(path if path.endswith(".safetensors") else path + ".safetensors")

    def make_config(self) -> CustomizeConfig:
        """The run's settings as shown; raises CustomizeError naming a bad one."""
        images = {"world": "world", "folder": self._image_folder, "none": ""}[self.real_images.currentData()]
        steps = self.steps.value()
        cfg = CustomizeConfig(out=self.output.text().strip(), steps=steps, batch=self.batch.value(),
                              train=self.train_mode.currentText(), extractor=self.extractor_spec(), images=images,
                              seed=self.seed.value(), preview_every=max(1, min(50, steps // 10)),
                              mapping_lr_multiplier=self.recommended["mapping_lr_multiplier"],
                              class_index=self.class_index)
        cfg.validate()
        return cfg

    # --- extractor views -------------------------------------------------------------------------------

    def refresh_extractor_views(self) -> None:
        """Sketch a few model samples (and the portrait, for the onion skin) with the chosen extractor."""

        def done(result: tuple[np.ndarray, np.ndarray | None]) -> None:
            samples, self.portrait_sketch = result
            strip = np.concatenate([np.pad(s, 2, constant_values=40) for s in samples])
            self.domain_strip.setPixmap(to_pixmap(np.repeat(strip[..., None], 3, axis=2)).scaledToWidth(
                THUMB + 24, Qt.TransformationMode.SmoothTransformation))
            self._show_onion()

        self.tasks.run(extractor_views, self.model.G, self.extractor_spec(), self.portrait, self.class_index,
                       title="Extractor preview", owner="extractor views", on_done=done, on_error=self.show_error)

    @property
    def class_index(self) -> int | None:
        """The class a conditional model is customized for (None for an unconditional model)."""
        return self.class_box.currentIndex() if self.model.classes else None

    # --- the run ---------------------------------------------------------------------------------------

    @property
    def worker(self) -> Task | None:
        return self.tasks.task("customize")

    @property
    def running(self) -> bool:
        return self.worker is not None

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.statusBar().showMessage(text, 10_000)

    def start(self) -> None:
        """Check the sketches and settings (one sentence if bad), then train on a worker."""
        if self.running:
            return
        self.error.clear()
        try:
            sketches = sketches_from_arrays(self.sketch_set.sketches(), self.sketch_set.names(),
                                            self.model.G.resolution)
            cfg = self.make_config()
        except (SketchError, CustomizeError) as e:
            self.show_error(str(e))
            return
        out = Path(cfg.out)
        if out.exists() and QMessageBox.question(self, "Replace model", f"{out} exists. Replace it?") \
                != QMessageBox.StandardButton.Yes:
            return
        self.sketch_set.save()
        self.config, self.result = cfg, None
        task = self.tasks.run(customize, self.model, sketches, cfg, title="Customizing", owner="customize",
                              on_done=self._finished, on_error=self.show_error, on_cancel=self._cancelled,
                              on_end=lambda: self.settings_box.setEnabled(True))
        self.run.attach(task, cfg.steps)
        self.settings_box.setEnabled(task is None)

    def _finished(self, path: Path) -> None:
        note = kept_note(path)
        self.eta.setText(f"Done: {note}; saved {path}" if note else f"Done: saved {path}")
        self._offer(Path(path))

    def _cancelled(self) -> None:
        cfg = self.config
        cfg.checkpoint_path.unlink(missing_ok=True)  # the window never resumes; the model file is what counts
        out = Path(cfg.out)
        if not self.run.keep:
            out.unlink(missing_ok=True)
            card_path(out).unlink(missing_ok=True)
            self.eta.setText("Stopped; nothing was saved.")
        elif out.exists():
            note = kept_note(out)
            self.eta.setText(f"Stopped at step {self.progress.value()}{f'; {note}' if note else ''}; saved {out}")
            self._offer(out)
        else:
            self.eta.setText("Stopped before the first step; there is no model to keep.")

    def _offer(self, path: Path) -> None:
        self.result = path
        self.output.setText(str(default_output(self.model)))  # the next run must not overwrite this one
        answer = QMessageBox.question(self, "Customized model ready", f"Open {path.name} in the studio now?")
        self.model_offered.emit(str(path), answer == QMessageBox.StandardButton.Yes)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Closing stops a run (keeping what it trained, not offering it) and waits: no thread outlives the window."""
        self.tasks.shutdown()
        if self.config is not None:
            self.config.checkpoint_path.unlink(missing_ok=True)
        self.sketch_set.save()
        super().closeEvent(event)
