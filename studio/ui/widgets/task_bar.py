"""The status-bar face of the task runner: one row per running task, each with its own Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from studio.engine.jobs import Progress
from studio.ui.tasks import Task, TaskRunner
from studio.ui.theme import icon


class _TaskRow(QWidget):
    """One task in a TaskBar: what it is doing, how far, and a Cancel for it alone."""

    def __init__(self, task: Task, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.label = QLabel()
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
        self.label.setText(f"{self.task.title}{': ' + p.message if p.message else ''}")
        self.bar.setRange(0, 1000 if p.total else 0)  # a busy indicator until the job knows its size
        self.bar.setValue(int(1000 * p.fraction))


class TaskBar(QWidget):
    """The status-bar face of a runner: one row per running task, each with its own Cancel."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[_TaskRow] = []
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(1)
        runner.started.connect(self._add)
        self.setVisible(False)

    def _add(self, task: Task) -> None:
        row = _TaskRow(task, self)
        self.rows.append(row)
        self._lay.addWidget(row)
        task.ended.connect(lambda: self._remove(row))
        self.setVisible(True)

    def _remove(self, row: _TaskRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            row.deleteLater()
        self.setVisible(bool(self.rows))

    def row(self, title: str) -> _TaskRow | None:
        """The row of the running task called ``title``, if any."""
        return next((r for r in self.rows if r.task.title == title and r.task.attached), None)
