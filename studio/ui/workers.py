"""Run engine jobs off the UI thread: one QThread per job, signals for progress, result and failure.

An engine job is any callable ``fn(progress=..., token=...)``; the worker passes a progress callback that
emits a Qt signal (delivered on the UI thread) and a CancelToken the UI can cancel, pause and resume.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from PySide6.QtCore import QObject, QThread, Signal

from ..engine.atomic import describe_os_error
from ..engine.jobs import Cancelled, CancelToken, Progress


class JobWorker(QThread):
    """Runs ``fn(*args, progress=…, token=…, **kwargs)`` once; exactly one of finished_ok/failed/cancelled fires."""

    progressed = Signal(object)  # Progress
    finished_ok = Signal(object)  # the job's return value
    failed = Signal(str)  # one sentence for the user
    cancelled = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, parent: Optional[QObject] = None, **kwargs: Any) -> None:
        super().__init__(parent)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.token = CancelToken()

    def run(self) -> None:  # runs on the worker thread
        try:
            result = self.fn(*self.args, progress=self._emit_progress, token=self.token, **self.kwargs)
        except Cancelled:
            self.cancelled.emit()
        except OSError as e:  # disk full, permission, I/O: one sentence naming the file
            self.failed.emit(describe_os_error(e))
        except Exception as e:  # noqa: BLE001 - every failure must reach the user as a message
            self.failed.emit(str(e) or type(e).__name__)
        else:
            self.finished_ok.emit(result)

    def _emit_progress(self, p: Progress) -> None:
        self.progressed.emit(p)

    def cancel(self) -> None:
        self.token.cancel()

    def pause(self) -> None:
        self.token.pause()

    def resume(self) -> None:
        self.token.resume()
