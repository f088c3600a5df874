"""Live preview for Qt: the engine's latest-wins renderer, its frames re-emitted as a signal on the UI thread.

The renderer calls back on its own thread; a private signal queues each frame to this object on the UI
thread, which re-emits it only while open (as Orange's TaskState does), so once ``close`` returns no frame
of this preview reaches a widget, however late it was queued.

A model draws at once: ``first_backend`` is torch (the model as loaded) unless the model's export for
onnxruntime is already cached. ``speed_up`` then opens the fastest backend as a task once the first frame is
drawn (the first open of a model exports it, its progress in the task bar), and that backend draws from then
on: the last picture is drawn again by it, the same within 1/255. The status label says which draws, and at
which size a drag draws (the engine times it on this machine on a task's worker: a backend that draws at once is
timed after the first picture, so that picture does not wait for it; one that replaces it as it opens); its
tooltip says why.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel

from studio.engine.jobs import CancelToken, ProgressFn
from studio.engine.model.loaded import LoadedModel
from studio.engine.preview.export.parity import PARITY_TOLERANCE
from studio.engine.preview.renderer import Frame, LatestWinsRenderer
from studio.engine.preview.runtime import (
    ArrayLike,
    Backend,
    NoiseMaps,
    OrtBackend,
    TorchBackend,
    Transform,
    open_backend,
    timed,
)
from studio.ui.tasks import Task, TaskRunner

__all__ = ["Frame", "Preview", "first_backend", "make_backend"]

SPEED_UP = "preview"  # the task runner's owner of the export that makes a faster preview, or of timing the drag


def first_backend(model: LoadedModel, prefer: str = "auto") -> Backend:
    """What draws ``model`` at once: onnxruntime if its export is cached, else torch; never exports, and its drag
    is timed later (``Preview.speed_up``)."""
    return open_backend(model, prefer=prefer, export=False, time_drag=False)


def make_backend(
    model: LoadedModel, prefer: str = "auto", progress: ProgressFn | None = None, token: CancelToken | None = None
) -> Backend:
    """The fastest backend for ``model``; the first open of a model exports it (a job: run it on a worker)."""
    return open_backend(model, prefer=prefer, progress=progress, token=token)


def time_preview(
    backend: Backend, model: LoadedModel, progress: ProgressFn | None = None, token: CancelToken | None = None
) -> Backend:
    """``backend`` with its drag timed on this machine (``timed``; seconds for a big model: run it on a worker)."""
    return timed(backend, model, token)


def runtime_words(backend: Backend, preparing: bool = False) -> tuple[str, str]:
    """The status label's text and tooltip for ``backend``; ``preparing``: a faster one is being made."""
    name = f"PyTorch {backend.device.type.upper()}" if isinstance(backend, TorchBackend) else backend.name
    tip = f"{name} draws the picture"
    if preparing:
        tip += (" while the model is exported for onnxruntime, which draws faster; the export shows in the task "
                "bar, is checked against PyTorch and is kept for the next time.")
    else:
        tip += f" ({backend.why})." if backend.why else "."
    if isinstance(backend, OrtBackend):
        worst = max(backend.info.parity.values())
        tip += (f" Its export ({backend.info.path}) was checked against PyTorch: the pictures differ by at most "
                f"{worst:.0e} of their range (the limit is {PARITY_TOLERANCE:g}).")
    tip += " View → Preview backend chooses by hand."
    drag = backend.drag.words()
    return (f"Drawn by {name} · {drag}" if drag else f"Drawn by {name}"), f"{tip} {backend.drag.detail()}"


class Preview(QObject):
    """Qt face of ``LatestWinsRenderer``: ``submit`` from the UI, ``frame_ready`` back on the UI thread.

    ``status``: a label kept saying which backend draws (``runtime_words``)."""

    frame_ready = Signal(object)  # Frame
    failed = Signal(str)
    runtime_changed = Signal()  # another backend draws from now on
    _frame = Signal(object)  # from the renderer's thread
    _failed = Signal(str)

    def __init__(self, backend: Backend, parent: QObject | None = None, status: QLabel | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.closed = False
        self.status = status
        self._last: tuple | None = None  # the newest request's arguments, drawn again by a new backend
        # a speed-up waiting for a frame: tasks, model, prefer, and whether a faster backend replaces this one
        # (else this one's drag is timed)
        self._when_drawn: tuple[TaskRunner, LoadedModel, str, bool] | None = None
        self._task: Task | None = None
        self._frame.connect(self._deliver_frame, Qt.ConnectionType.QueuedConnection)
        self._failed.connect(self._deliver_error, Qt.ConnectionType.QueuedConnection)
        self._renderer = LatestWinsRenderer(backend, on_frame=self._frame.emit, on_error=self._error)
        self._show(preparing=False)

    def _error(self, _request_id: int, error: Exception) -> None:
        self._failed.emit(str(error) or type(error).__name__)

    def _deliver_frame(self, frame: Frame) -> None:
        if not self.closed:
            self.frame_ready.emit(frame)
            self._start_speed_up()

    def _deliver_error(self, message: str) -> None:
        if not self.closed:
            self.failed.emit(message)
            self._start_speed_up()

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def submit(
        self, ws: ArrayLike, level: str = "full", tag: Any = None, noise: NoiseMaps | None = None,
        transform: Transform | None = None,
    ) -> int:
        """Ask for a frame; ``noise``: the portrait's noise maps by layer name, ``transform``: a StyleGAN3 picture's
        input transform (ValueError here if either does not fit)."""
        request_id = self._renderer.submit(ws, level=level, tag=tag, noise=noise, transform=transform)
        self._last = (ws, level, tag, noise, transform)
        return request_id

    def speed_up(self, tasks: TaskRunner, model: LoadedModel, prefer: str) -> None:
        """Once the first frame is drawn, open the fastest backend for ``model`` as a task of ``tasks`` (exporting
        the model the first time; it is timed as it opens) and draw with it when it is ready. Where torch was asked
        for or onnxruntime already draws, time the drag of the backend that draws instead."""
        replace = prefer != "torch" and isinstance(self.backend, TorchBackend)
        self._when_drawn = (tasks, model, prefer, replace)
        self._show(preparing=replace)

    def _start_speed_up(self) -> None:
        if self._when_drawn is None:
            return
        tasks, model, prefer, replace = self._when_drawn
        self._when_drawn = None
        if not replace:
            self._task = tasks.run(
                time_preview, self.backend, model, title="Timing the preview", owner=SPEED_UP, on_done=self.use,
                on_error=lambda message: self._stay(f"timing the preview failed: {message}"))
            return
        self._task = tasks.run(
            make_backend, model, prefer, title="Preparing a faster preview", owner=SPEED_UP, on_done=self.use,
            on_error=lambda message: self._stay(f"the faster preview failed: {message}"),
            on_cancel=lambda: self._stay("the faster preview was cancelled; it is prepared when the model is opened"),
        )

    def _stay(self, why: str) -> None:
        self.backend.why = why
        self._show(preparing=False)

    def use(self, backend: Backend) -> None:
        """Draw with ``backend`` (the same model's) from now on, starting with the newest request again."""
        if self.closed:
            return
        if isinstance(backend, TorchBackend):  # nothing faster started; its ``why`` says why
            self._stay(backend.why)
            return
        if backend is not self.backend:
            self._renderer.use(backend)
            self.backend = backend
            if self._last is not None:
                ws, level, tag, noise, transform = self._last
                self._renderer.submit(ws, level=level, tag=tag, noise=noise, transform=transform)
        self._show(preparing=False)
        self.runtime_changed.emit()

    def _show(self, preparing: bool) -> None:
        if self.status is not None:
            text, tip = runtime_words(self.backend, preparing)
            self.status.setText(text)
            self.status.setToolTip(tip)

    def close(self) -> None:
        self.closed = True
        self._when_drawn = None
        if self._task is not None and self._task.runner.task(SPEED_UP) is self._task:
            self._task.runner.drop(SPEED_UP)  # the export of a model no longer shown
        self._renderer.close()
