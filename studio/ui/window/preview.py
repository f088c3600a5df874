"""Live preview for Qt: the engine's latest-wins renderer, its frames re-emitted as a signal on the UI thread.

The renderer calls back on its own thread; a private signal queues each frame to this object on the UI
thread, which re-emits it only while open (as Orange's TaskState does), so once ``close`` returns no frame
of this preview reaches a widget, however late it was queued.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from studio.engine.jobs import CancelToken, ProgressFn
from studio.engine.model.loaded import LoadedModel
from studio.engine.preview.renderer import Frame, LatestWinsRenderer
from studio.engine.preview.runtime import ArrayLike, Backend, NoiseMaps, open_backend

__all__ = ["Frame", "Preview", "make_backend"]


def make_backend(
    model: LoadedModel, prefer: str = "auto", progress: ProgressFn | None = None, token: CancelToken | None = None
) -> Backend:
    """The fastest backend for ``model``; the first open of a model exports it (a job: run it on a worker)."""
    return open_backend(model, prefer=prefer, progress=progress, token=token)


class Preview(QObject):
    """Qt face of ``LatestWinsRenderer``: ``submit`` from the UI, ``frame_ready`` back on the UI thread."""

    frame_ready = Signal(object)  # Frame
    failed = Signal(str)
    _frame = Signal(object)  # from the renderer's thread
    _failed = Signal(str)

    def __init__(self, backend: Backend, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.closed = False
        self._frame.connect(self._deliver_frame, Qt.ConnectionType.QueuedConnection)
        self._failed.connect(self._deliver_error, Qt.ConnectionType.QueuedConnection)
        self._renderer = LatestWinsRenderer(backend, on_frame=self._frame.emit, on_error=self._error)

    def _error(self, _request_id: int, error: Exception) -> None:
        self._failed.emit(str(error) or type(error).__name__)

    def _deliver_frame(self, frame: Frame) -> None:
        if not self.closed:
            self.frame_ready.emit(frame)

    def _deliver_error(self, message: str) -> None:
        if not self.closed:
            self.failed.emit(message)

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def submit(self, ws: ArrayLike, level: str = "full", tag: Any = None, noise: NoiseMaps | None = None) -> int:
        """Ask for a frame; ``noise``: the portrait's noise maps by layer name (ValueError here if one does not fit)."""
        return self._renderer.submit(ws, level=level, tag=tag, noise=noise)

    def close(self) -> None:
        self.closed = True
        self._renderer.close()
