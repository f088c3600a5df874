"""A panel's one long job: the Start ⇄ Cancel button and its progress bar, bound to a runner's task."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from studio.engine.jobs import Progress
from studio.ui.tasks import Task
from studio.ui.theme import icon


class RunControls(QWidget):
    """A panel's long job: a Start button that turns into Cancel while its task runs, and a progress bar.

    ``start_requested`` fires on Start; the panel starts its task and hands it to ``attach``. Cancel
    cancels that task (a job may still return its best so far); when it ends the button is Start again.
    """

    start_requested = Signal()

    def __init__(self, start_text: str, start_icon: str, cancel_text: str = "Cancel",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._start = (start_text, icon(start_icon))
        self._cancel = (cancel_text, icon("fa6s.stop"))
        self.task: Task | None = None
        self.button = QPushButton()
        self.button.clicked.connect(self._clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.button)
        lay.addWidget(self.progress, 1)
        widths = []
        for face in (self._cancel, self._start):  # as wide as its longer face: the row never moves
            self._show(*face)
            widths.append(self.button.sizeHint().width())
        self.button.setMinimumWidth(max(widths))

    @property
    def running(self) -> bool:
        return self.task is not None

    def attach(self, task: Task | None) -> None:
        """Show ``task`` (None: nothing started): Cancel, then Start again once it has ended."""
        if task is None:
            return
        self.task = task
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        task.progressed.connect(self._progressed)
        task.ended.connect(lambda: self._ended(task))
        self._show(*self._cancel)

    def _clicked(self) -> None:
        if self.task is not None:
            self.task.runner.cancel(self.task.owner)
        else:
            self.start_requested.emit()

    def _progressed(self, p: Progress) -> None:
        self.progress.setRange(0, p.total)  # 0 of 0: a busy indicator until the job knows its size
        self.progress.setValue(p.done)

    def _ended(self, task: Task) -> None:
        if task is self.task:
            self.task = None
            if task.token.cancelled:  # empty again: a stopped run's bar must not read as nearly done
                self.progress.setRange(0, 1)
                self.progress.setValue(0)
            self._show(*self._start)

    def _show(self, text: str, face: QIcon) -> None:
        self.button.setText(text)
        self.button.setIcon(face)
