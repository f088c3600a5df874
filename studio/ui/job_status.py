"""Status-bar face of background jobs: start engine jobs on workers, show progress, cancel, shut down cleanly."""

from __future__ import annotations

from typing import Any, Callable, Optional

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from ..engine.jobs import Progress
from .theme import icon
from .workers import JobWorker


class JobStatus(QWidget):
    """Runs jobs through ``JobWorker``; shows the newest one's progress; Cancel stops every running job."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setRange(0, 1000)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("fa6s.xmark"))
        self.cancel_button.setToolTip("Cancel the running jobs")
        self.cancel_button.clicked.connect(self.cancel_all)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.cancel_button):
            lay.addWidget(w)
        self.workers: list[JobWorker] = []
        self.closed = False  # after shutdown, late results are dropped rather than acted on
        self.setVisible(False)

    def start(
        self,
        title: str,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None],
        on_error: Optional[Callable[[str], None]] = None,
        on_end: Optional[Callable[[], None]] = None,
        **kwargs: Any,
    ) -> JobWorker:
        """Run ``fn(*args, progress=, token=, **kwargs)`` on a worker; exactly one of the callbacks runs, then ``on_end``."""
        worker = JobWorker(fn, *args, **kwargs)
        worker.progressed.connect(lambda p: self._progress(worker, title, p))
        worker.finished_ok.connect(lambda result: None if self.closed else on_result(result))
        if on_error is not None:
            worker.failed.connect(lambda msg: None if self.closed else on_error(msg))
        worker.finished.connect(lambda: self._ended(worker, on_end))
        self.workers.append(worker)
        self._progress(worker, title, Progress(0, 0))
        worker.start()
        return worker

    @property
    def busy(self) -> bool:
        return bool(self.workers)

    def _progress(self, worker: JobWorker, title: str, p: Progress) -> None:
        if not self.workers or worker is not self.workers[-1]:
            return
        self.label.setText(f"{title}{': ' + p.message if p.message else ''}")
        self.bar.setRange(0, 1000 if p.total else 0)  # busy indicator until the job knows its size
        self.bar.setValue(int(1000 * p.fraction))
        self.setVisible(True)

    def _ended(self, worker: JobWorker, on_end: Optional[Callable[[], None]]) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
        worker.deleteLater()
        self.setVisible(bool(self.workers))
        if on_end is not None and not self.closed:
            on_end()

    def cancel_all(self) -> None:
        for worker in self.workers:
            worker.cancel()

    def shutdown(self) -> None:
        """Cancel every job and wait for its thread (on close: no thread may outlive the window)."""
        self.closed = True
        for worker in list(self.workers):
            worker.cancel()
            worker.wait()
