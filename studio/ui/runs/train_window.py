"""The "Train on my pictures" window: adapt a model to a folder of the user's own pictures, watching it learn.

Left: the folder (its summary and a contact sheet), where to start (the open model, warm-started, or a preset
from scratch), the length, and the few-shot settings chosen for the folder's size, one sentence each. Right:
the run (``RunPanel``): progress with images/s and ETA, loss curves, and a snapshot grid for fixed z beside
the start model's grid for the same z. The run is a studio run (engine/train/runs.py): it trains as a task,
pauses, stops and keeps (the model is published with its card) or discards (its folder is deleted); a run
that was killed resumes from its last checkpoint when opened again from Model → Recent runs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.model.loaded import LoadedModel
from studio.engine.train import PRESETS, TrainConfig, preset
from studio.engine.train.few_shot import apply_few_shot, few_shot_choices
from studio.engine.train.folder_summary import FolderSummary, summarize_folder
from studio.engine.train.runs import Run, discard_run, new_run, publish_run, train_run
from studio.ui.runs.run_panel import RunPanel
from studio.ui.tasks import TaskRunner
from studio.ui.theme import icon, to_pixmap
from studio.ui.widgets.disclosure import Disclosure
from studio.ui.widgets.task_bar import TaskBar

WARM_PRESET = "cpu64"  # the recipe of a warm start (its architecture is the start model's)
PRESET_TITLES = {"default128": "128 px pictures (needs a GPU)", "cpu64": "64 px pictures (a CPU can)",
                 "tiny32": "32 px pictures (a quick try)"}
CHECKPOINT_EVERY = 100  # steps: what a killed run can lose (about a minute and a half at 64 px on a CPU)
DEFAULT_KIMG = 10.0


class TrainWindow(QMainWindow):
    """Set a run up on a folder and train it, or continue ``run``; finished models are offered via ``model_offered``."""

    model_offered = Signal(str, bool)  # the published model, whether the user wants it opened now

    def __init__(self, model: LoadedModel | None, run: Run | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model  # the open model: the warm start
        self.active: Run | None = run  # the run that Start trains (a new one is made from the settings)
        self.summary: FolderSummary | None = None
        self.result: Path | None = None
        self.setWindowTitle("Train on my pictures")
        self.setWindowIcon(icon("fa6s.images"))
        self.tasks = TaskRunner(self)
        self.statusBar().addPermanentWidget(TaskBar(self.tasks))
        self.run_panel = RunPanel("The snapshot grid appears here as training runs.",
                                  caption="Left: the start model. Right: the model now. The same portrait in the same "
                                          "place; the top rows at full variety, the bottom rows more typical.")
        self.run_panel.caption.setToolTip("The same z in each place; top rows ψ = 1, bottom rows ψ = 0.7")
        self.run_panel.start_requested.connect(self.start)
        splitter = QSplitter()
        splitter.addWidget(self._settings_column())
        splitter.addWidget(self.run_panel)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self.resize(1300, 800)
        if run is not None:
            self._show_run(run)
        self._refresh_plan()

    # --- layout ----------------------------------------------------------------------------------------

    def _settings_column(self) -> QWidget:
        self.folder = QLineEdit(readOnly=True, placeholderText="Choose a folder of your pictures…")
        browse = QToolButton(icon=icon("fa6s.folder-open"), toolTip="Choose the folder (searched with its subfolders)")
        browse.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.summary_label = QLabel("Pick a folder: its pictures are counted and a few shown here.", wordWrap=True)
        self.sheet = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        pictures = QGroupBox("Your pictures")
        lay = QVBoxLayout(pictures)
        lay.addLayout(row)
        lay.addWidget(self.summary_label)
        lay.addWidget(self.sheet)

        name = self.model.name if self.model is not None else "no model open"
        can_warm = self.model is not None and self.model.path is not None
        conditional = can_warm and self.model.G.c_dim > 0  # its classes need class sub-folders (train --cond)
        can_warm = can_warm and not conditional
        self.from_model = QRadioButton(f"The open model ({name}), warm-started", checked=can_warm, enabled=can_warm)
        if conditional:
            self.from_model.setToolTip(f"{name} is class-conditional: warm-start it on a folder of class sub-folders "
                                       "with studio train --cond --init.")
        self.from_scratch = QRadioButton("From scratch with", checked=not can_warm)
        group = QButtonGroup(self)
        group.addButton(self.from_model)
        group.addButton(self.from_scratch)
        self.preset = QComboBox()
        for key in PRESETS:
            self.preset.addItem(PRESET_TITLES.get(key, key), key)
        self.preset.setCurrentIndex(self.preset.findData(WARM_PRESET))
        self.preset.setToolTip("The recipe of a new model: " + "; ".join(
            f"{k}: {v.resolution} px, batch {v.batch}" for k, v in PRESETS.items()))
        scratch = QHBoxLayout()
        scratch.addWidget(self.from_scratch)
        scratch.addWidget(self.preset, 1)
        start = QGroupBox("Start from")
        lay = QVBoxLayout(start)
        lay.addWidget(self.from_model)
        lay.addLayout(scratch)

        self.kimg = QDoubleSpinBox(minimum=0.1, maximum=100_000, value=DEFAULT_KIMG, decimals=1,
                                   suffix=" thousand pictures")
        self.kimg.setToolTip("kimg: how many thousand pictures (with repeats) training shows the model")
        self.batch = QSpinBox(minimum=4, maximum=256, value=PRESETS[WARM_PRESET].batch, singleStep=4)
        self.batch.setToolTip("Batch size: pictures per training step (more is steadier and needs more memory)")
        self.snapshot_every = QSpinBox(minimum=1, maximum=100_000, value=20, suffix=" steps")
        self.snapshot_every.setToolTip("How often the snapshot grid is refreshed")
        self.few_shot = QCheckBox("Settings for small folders", checked=True)
        self.few_shot.setToolTip("Few-shot settings (stylegan2-ada's for small data sets); Advanced says which")
        self.name = QLineEdit(placeholderText="named after the folder")
        form = QFormLayout()
        form.addRow("How long it learns", self.kimg)
        form.addRow("Pictures per step", self.batch)
        form.addRow("Refresh the grid every", self.snapshot_every)
        form.addRow("Name", self.name)
        form.addRow(self.few_shot)
        self.plan = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        form.addRow(self.plan)
        self.plan_details = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText, objectName="hint")
        self.advanced = Disclosure(self.plan_details)
        form.addRow(self.advanced)
        settings = QGroupBox("Settings")
        settings.setLayout(form)
        for signal in (self.from_model.toggled, self.preset.currentIndexChanged, self.batch.valueChanged,
                       self.few_shot.toggled):
            signal.connect(lambda *_: self._refresh_plan())

        self.setup = QWidget()
        lay = QVBoxLayout(self.setup)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(start)
        lay.addWidget(settings)
        col = QWidget()
        lay = QVBoxLayout(col)
        lay.addWidget(pictures)
        lay.addWidget(self.setup)
        lay.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame,
                             horizontalScrollBarPolicy=Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(col)
        scroll.setMinimumWidth(440)
        return scroll

    # --- the folder --------------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        start = self.folder.text() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Folder of your pictures", start)
        if folder:
            self.set_folder(Path(folder))

    def set_folder(self, folder: Path) -> None:
        """Read ``folder`` in the background; its summary and contact sheet appear when done."""
        self.folder.setText(str(folder))
        self.summary = None
        self.sheet.clear()
        self.summary_label.setText("Reading the pictures…")
        self._refresh_plan()
        self.tasks.run(summarize_folder, folder, title="Reading pictures", owner="summary",
                       on_done=self._summarized, on_error=self._unreadable)

    def _summarized(self, summary: FolderSummary) -> None:
        self.summary = summary
        self.summary_label.setText("\n".join(summary.lines(self._resolution())))
        self.sheet.setPixmap(to_pixmap(summary.sheet))
        self._refresh_plan()

    def _unreadable(self, message: str) -> None:
        self.summary_label.setText(message)
        self._refresh_plan()

    # --- the plan ----------------------------------------------------------------------------------------

    @property
    def warm(self) -> bool:
        return self.from_model.isChecked()

    def _resolution(self) -> int:
        return self.model.G.resolution if self.warm else PRESETS[self.preset.currentData()].resolution

    def make_config(self) -> tuple[TrainConfig, list[str]]:
        """The run the settings describe (its few-shot lines too); ValueError (one sentence) if it cannot run."""
        if self.summary is None:
            raise ValueError("Choose a folder with pictures first.")
        name = WARM_PRESET if self.warm else self.preset.currentData()
        snapshot = self.snapshot_every.value()
        cfg = preset(name, data=str(self.summary.root), batch=self.batch.value(), sample_every=snapshot,
                     checkpoint_every=max(CHECKPOINT_EVERY, snapshot), init=str(self.model.path) if self.warm else None)
        cfg = cfg.with_kimg(self.kimg.value())
        cfg.validate()
        if not self.few_shot.isChecked():
            return cfg, [f"Few-shot settings off: the {name} recipe as it is."]
        return apply_few_shot(cfg, self.summary.pictures, resolution=self._resolution())

    def _refresh_plan(self) -> None:
        if self.active is not None:
            return  # a run's settings are its own
        self.preset.setEnabled(not self.warm)
        if self.summary is not None:
            self.summary_label.setText("\n".join(self.summary.lines(self._resolution())))
        try:
            config, lines = self.make_config()
        except ValueError as e:
            self._show_plan([str(e)], [])
            return
        if not self.few_shot.isChecked():
            self._show_plan(["Settings for small folders off: the recipe as it is."], lines)
            return
        choices = few_shot_choices(self.summary.pictures, config.batch, self.warm, self._resolution())
        head = "settings for small folders:" if choices else "the standard recipe."
        self._show_plan([f"{self.summary.pictures:,} pictures: {head}", *(c.plain for c in choices)], lines)

    def _show_plan(self, plain: list[str], technical: list[str]) -> None:
        """The plan in a painter's words; the settings by their names and numbers under Advanced and as a tip."""
        self.plan.setText("\n".join("• " + line for line in plain))
        details = "\n".join("• " + line for line in technical)
        self.plan_details.setText(details)
        self.plan.setToolTip(details)
        self.advanced.setVisible(bool(technical))

    def _show_run(self, run: Run) -> None:
        """Show ``run``'s own settings (fixed) and where it stands; Start continues it."""
        self.setWindowTitle(f"Train on my pictures — {run.name}")
        self.name.setText(run.name)
        self.kimg.setValue(run.config.steps * run.config.batch / 1000)
        self.batch.setValue(run.config.batch)
        self.snapshot_every.setValue(run.config.sample_every)
        self._show_plan(["This run keeps the settings it started with (Advanced lists them)."], run.few_shot)
        self.setup.setEnabled(False)
        if run.step:
            self.run_panel.eta.setText(f"{run.status.capitalize()} at step {run.step:,} of {run.config.steps:,}: "
                                       "Start continues from its last checkpoint.")
        if Path(run.data).is_dir():
            self.set_folder(Path(run.data))
        else:
            self.folder.setText(run.data)

    # --- the run -----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.run_panel.running

    def start(self) -> None:
        """Train the run this window continues, or a new one from the settings (one sentence if they are bad)."""
        if self.running:
            return
        if self.active is None:
            try:
                cfg, lines = self.make_config()
                name = self.name.text().strip() or self.summary.root.name
                self.name.setText(name)  # greyed out while it trains: the name itself, not the placeholder
                self.active = new_run(name, cfg, self.summary.pictures, WARM_PRESET if self.warm else
                                      self.preset.currentData(), self.model if self.warm else None, lines)
            except (ValueError, OSError) as e:
                self.run_panel.show_error(str(e))
                return
        run = self.active
        self.setup.setEnabled(False)
        task = self.tasks.run(train_run, run, title=f"Training {run.name}", owner="train", on_done=self._finished,
                              on_error=self._failed, on_cancel=self._cancelled)
        self.run_panel.attach(task, run.config.steps)

    def _finished(self, path: Path) -> None:
        self.run_panel.eta.setText(f"Done: saved {path}")
        self._new_settings()
        self._offer(Path(path))

    def _failed(self, message: str) -> None:
        if self.active.step:
            self.run_panel.show_error(f"{message} The run keeps its last checkpoint: Start continues from there.")
            return
        try:
            discard_run(self.active)  # it never trained: let the settings be changed
        except ValueError:
            pass  # another process is training it (what ``message`` says): it stays theirs
        self._new_settings()
        self.run_panel.show_error(message)

    def _new_settings(self) -> None:
        """The next Start makes a new run from the settings."""
        self.active = None
        self.setup.setEnabled(True)
        self._refresh_plan()

    def _cancelled(self) -> None:
        run = self.active
        if not self.run_panel.keep:
            discard_run(run)
            self._new_settings()
            self.run_panel.eta.setText("Stopped; the run was discarded.")
        elif not run.exported.exists():
            self.run_panel.eta.setText("Stopped before the first step; there is nothing to keep yet.")
        else:
            self.run_panel.eta.setText("Stopped; saving the model…")
            self.tasks.run(lambda progress, token: publish_run(run, finished=False), title="Saving model",
                           owner="publish", on_done=self._kept, on_error=self.run_panel.show_error)

    def _kept(self, path: Path) -> None:
        self.run_panel.eta.setText(f"Stopped at step {self.active.step:,}; kept {path}. Start continues the run.")
        self._offer(path)

    def _offer(self, path: Path) -> None:
        self.result = path
        answer = QMessageBox.question(self, "Model ready", f"Open {path.name} in the studio now? It can be blended "
                                      "with its start model (Model → Blend with base).")
        self.model_offered.emit(str(path), answer == QMessageBox.StandardButton.Yes)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Closing while training asks; stopping keeps what was trained (the run can be continued later)."""
        run, running = self.active, self.running
        if running:
            answer = QMessageBox.question(
                self, "Training is running", "Stop training and close? What it has trained so far is kept: the "
                "model joins your models, and Model → Recent runs continues the run.")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.tasks.shutdown()  # a training task checkpoints as it stops
        if running and run.exported.exists():
            self.model_offered.emit(str(publish_run(run, finished=False)), False)
        elif running and not run.step:
            discard_run(run)  # stopped before its first step: nothing to keep or continue
        super().closeEvent(event)
