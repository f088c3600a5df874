"""The face of a long training task, shared by the sketch customization and "Train on my pictures".

Start ⇄ Stop and discard (``RunControls``), Pause ⇄ Resume, Stop and keep, progress with step, images/s (when
the job reports ``imgs_per_s``) and ETA, the loss curves and the newest preview image. The window starts its
task on ``start_requested`` and hands it to ``attach``; what keeping and discarding mean (which files stay) is
the window's business: its on_cancel reads ``keep``.
"""

from __future__ import annotations

from time import monotonic

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.engine.jobs import Progress
from studio.ui.runs.loss_plot import LossPlot
from studio.ui.tasks import Task
from studio.ui.theme import icon, to_pixmap
from studio.ui.widgets.fitted_picture import FittedPicture
from studio.ui.widgets.run_controls import RunControls


def format_eta(seconds: float) -> str:
    """Time left as a painter reads it: to 10 s under ten minutes, to the minute above (no false precision)."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h {round(seconds / 60) % 60:02d}m"
    if seconds >= 600:
        return f"{round(seconds / 60)}m"
    seconds = int(round(seconds / 10) * 10)
    return f"{seconds // 60}m {seconds % 60:02d}s"


class StepClock:
    """Time left from the steps' rate since the first report of a stretch (a start, or a resume after a pause):
    over the whole stretch, slow steps (previews, checkpoints) and fast ones average out, so the estimate
    settles instead of swinging with the last few steps."""

    def __init__(self) -> None:
        self.first: tuple[float, int] | None = None
        self.last: tuple[float, int] | None = None

    def restart(self) -> None:
        self.first = self.last = None

    def tick(self, seconds: float, step: int) -> None:
        if self.first is None:
            self.first = (seconds, step)
        self.last = (seconds, step)

    def left(self, total: int) -> float | None:
        """Seconds to step ``total`` at the stretch's rate; None until two steps are in."""
        if self.first is None or self.last is None or self.last[1] <= self.first[1]:
            return None
        (t0, d0), (t1, d1) = self.first, self.last
        return (t1 - t0) / (d1 - d0) * max(total - d1, 0)


class RunPanel(QWidget):
    """Buttons, progress line, loss plot and preview of one training task at a time."""

    start_requested = Signal()

    def __init__(self, preview_hint: str, caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keep = False  # the last stop asked to keep what was trained
        self.clock = StepClock()
        self.controls = RunControls("Start", "fa6s.play", cancel_text="Stop and discard")
        self.controls.start_requested.connect(self.start_requested)
        self.start_button = self.controls.button
        self.start_button.setDefault(True)
        self.progress = self.controls.progress
        self.pause_button = QPushButton(icon("fa6s.pause"), "Pause", checkable=True)
        self.pause_button.toggled.connect(self.set_paused)
        self.keep_button = QPushButton(icon("fa6s.floppy-disk"), "Stop and keep")
        self.keep_button.setToolTip("Stop the run and keep the model as trained so far")
        self.keep_button.clicked.connect(lambda: self.stop(keep=True))
        buttons = QHBoxLayout()
        buttons.addWidget(self.controls, 1)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.keep_button)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #e06060")
        self.eta = QLabel(" ", wordWrap=True)
        self.losses = LossPlot()
        self.caption = QLabel(caption, wordWrap=True, objectName="hint")  # what the preview shows, always in view
        self.caption.setVisible(bool(caption))
        self.preview = FittedPicture(preview_hint)
        self.preview.setMinimumSize(240, 150)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(buttons)
        lay.addWidget(self.error)
        lay.addWidget(self.eta)
        lay.addWidget(self.losses, 1)
        lay.addWidget(self.caption)
        lay.addWidget(self.preview, 2)
        self._set_running(False)

    @property
    def task(self) -> Task | None:
        return self.controls.task

    @property
    def running(self) -> bool:
        return self.task is not None

    def attach(self, task: Task | None, total: int, message: str = "Preparing…") -> None:
        """Show ``task`` (None: it did not start) until it ends: its ``total`` steps, reports and previews."""
        if task is None:
            return
        self.keep = False
        self.error.clear()
        self.losses.clear()
        self.clock.restart()
        self.eta.setText(message)
        self.controls.attach(task)
        self.progress.setRange(0, total)
        task.progressed.connect(self._progressed)
        task.ended.connect(lambda: self._set_running(False))
        self._set_running(True)

    def set_paused(self, paused: bool) -> None:
        task = self.task
        if task is None:
            return
        if paused:
            task.pause()
            self._say_paused(task.last.done, task.last.total or self.progress.maximum())
        else:
            task.resume()
            self.clock.restart()  # the pause is no part of the rate
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setIcon(icon("fa6s.play" if paused else "fa6s.pause"))

    def stop(self, keep: bool) -> None:
        """Cancel the task; ``keep`` tells the window to keep what it trained."""
        if self.task is not None:
            self.keep = keep
            self.eta.setText("Stopping and saving…" if keep else "Stopping…")
            self.task.cancel()

    def _say_paused(self, step: int, total: int) -> None:
        self.eta.setText(f"Paused at step {step:,} of {total:,}")

    def show_error(self, text: str) -> None:
        self.error.setText(text)

    def _set_running(self, running: bool) -> None:
        for b in (self.pause_button, self.keep_button):
            b.setEnabled(running)
        if not running:
            self.pause_button.setChecked(False)

    def _progressed(self, p: Progress) -> None:
        if not p.metrics:  # a status report (setting up, resuming)
            if p.message:
                self.eta.setText(p.message)
            return
        if self.pause_button.isChecked():  # the step in flight when Pause was pressed lands: say that one
            self._say_paused(p.done, p.total)
        else:
            self.clock.tick(monotonic(), p.done)
            parts = [f"Step {p.done:,} of {p.total:,}"]
            if p.metrics.get("imgs_per_s"):
                parts.append(f"{p.metrics['imgs_per_s']:.1f} images/s")
            left = self.clock.left(p.total)
            if left is not None:
                parts.append(f"about {format_eta(left)} left")
            self.eta.setText(" · ".join(parts))
        self.losses.add(p.done, p.metrics)
        if p.preview is not None:
            self.preview.set_picture(to_pixmap(p.preview))
