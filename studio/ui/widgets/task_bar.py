"""The status-bar face of the task runner: one row per running task, each with its own Cancel.

The rows stand side by side at the status bar's own height, and a long message is cut short with "…" (all of it
in the tooltip), so a task appearing never moves the window's panels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from studio.engine.jobs import Progress
from studio.ui.tasks import Task, TaskRunner
from studio.ui.theme import icon

LABEL_WIDTH = 320  # px: a row's words at most, the rest "…"


class _TaskRow(QWidget):
    """One task in a TaskBar: what it is doing, how far, and a Cancel for it alone."""

    def __init__(self, task: Task, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.label = QLabel()
        self.label.setMaximumWidth(LABEL_WIDTH)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(140)
        self.bar.setRange(0, 1000)
        self.cancel_button = QToolButton(toolTip=f"Cancel {task.title.lower()}")
        self.cancel_button.setIcon(icon("fa6s.xmark"))
        self.cancel_button.clicked.connect(lambda: task.runner.cancel(task.owner))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.cancel_button):
            lay.addWidget(w)
        task.progressed.connect(self.show_progress)
        self.show_progress(task.last)

    def show_progress(self, p: Progress) -> None:
        text = f"{self.task.title}{': ' + p.message if p.message else ''}"
        self.label.setText(self.label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, LABEL_WIDTH))
        self.label.setToolTip(text)
        self.bar.setRange(0, 1000 if p.total else 0)  # a busy indicator until the job knows its size
        self.bar.setValue(int(1000 * p.fraction))


class TaskBar(QWidget):
    """The status-bar face of a runner: one row per running task, each with its own Cancel."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[_TaskRow] = []
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(12)
        runner.started.connect(self._add)
        # always there, empty when idle: the status bar keeps one height whether or not a task runs
        self.setFixedHeight(max(QProgressBar().sizeHint().height(), QToolButton(icon=icon("fa6s.xmark")).sizeHint()
                                .height()))

    def _add(self, task: Task) -> None:
        row = _TaskRow(task, self)
        self.rows.append(row)
        self._lay.addWidget(row)
        task.ended.connect(lambda: self._remove(row))

    def _remove(self, row: _TaskRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            row.deleteLater()

    def row(self, title: str) -> _TaskRow | None:
        """The row of the running task called ``title``, if any."""
        return next((r for r in self.rows if r.task.title == title and r.task.attached), None)
