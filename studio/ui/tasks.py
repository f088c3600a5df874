"""One task runner for every UI job: engine jobs on worker threads, their results back on the UI thread.

An engine job is any callable ``fn(*args, progress=..., token=..., **kwargs)`` (studio/engine/jobs.py).
``TaskRunner.run`` starts one on its own QThread and calls ``on_progress``/``on_done``/``on_error``/
``on_cancel``/``on_end`` on the UI thread. As in Orange's ``ConcurrentMixin`` each *owner* has at most one
task: starting another cancels the previous one *and detaches it*, so nothing of it (progress, result,
error) lands any more. Everything the thread reports goes through its ``Task`` (a QObject on the UI
thread), which drops it once detached: a panel never checks whether a result is still wanted.
``latest_only=True`` keeps the running task and lets the newest request wait its turn instead (newer
requests replace the waiting one), for previews that should keep up with a slider.

The runner's ``idle`` signal (and ``wait_idle``) tell when no thread of it runs any more. It holds no widget
(Orange keeps its threading apart from widgets the same way): ``widgets/task_bar.py`` shows its tasks in a
status bar, ``widgets/run_controls.py`` is a panel's Start ⇄ Cancel button.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QThread, QTimer, Signal

from studio.engine.atomic import describe_os_error
from studio.engine.jobs import Cancelled, CancelToken, Progress

Callback = Callable[..., Any] | None


class _Thread(QThread):
    """Runs the job once and keeps its outcome; reports travel as ``progressed`` (queued to the UI thread)."""

    progressed = Signal(object)

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, token: CancelToken) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs, self.token = fn, args, kwargs, token
        self.outcome: tuple[str, Any] = ("cancelled", None)

    def run(self) -> None:  # the worker thread
        try:
            result = self.fn(*self.args, progress=self.progressed.emit, token=self.token, **self.kwargs)
        except Cancelled:
            self.outcome = ("cancelled", None)
        except OSError as e:  # disk full, permission, I/O: one sentence naming the file
            self.outcome = ("error", describe_os_error(e))
        except Exception as e:  # noqa: BLE001 - every failure must reach the user as a message
            self.outcome = ("error", str(e) or type(e).__name__)
        else:
            self.outcome = ("done", result)


@dataclass
class _Request:
    fn: Callable[..., Any]
    args: tuple
    kwargs: dict
    title: str
    callbacks: dict[str, Callback] = field(default_factory=dict)


class Task(QObject):
    """One running job. While attached its reports reach the callbacks; detached, they are dropped."""

    progressed = Signal(object)  # Progress, while attached
    ended = Signal()  # once: after the final callbacks, or when detached (the thread may still wind down)

    def __init__(self, runner: TaskRunner, owner: Hashable, request: _Request) -> None:
        super().__init__(runner)
        self.runner, self.owner, self.title = runner, owner, request.title
        self.callbacks = request.callbacks
        self.token = CancelToken()
        self.attached = True
        self.last: Progress = Progress(0, 0)  # the newest report
        self.result: Any = None  # what the job returned, once it has
        self._thread = _Thread(request.fn, request.args, request.kwargs, self.token)
        self._thread.progressed.connect(self._progressed)
        self._thread.finished.connect(self._finished)

    @property
    def running(self) -> bool:
        try:
            return self._thread.isRunning()
        except RuntimeError:  # the thread object is gone, so is its thread
            return False

    def cancel(self) -> None:
        """Ask the job to stop; it still reports how it ended (a job may return its best so far)."""
        self.token.cancel()

    def pause(self) -> None:
        self.token.pause()

    def resume(self) -> None:
        self.token.resume()

    def detach(self) -> None:
        """Cancel, and drop whatever the job still reports: its callbacks never run again."""
        self.token.cancel()
        self._release()

    def _release(self) -> None:
        if self.attached:
            self.attached = False
            self.ended.emit()

    def wait(self) -> None:
        self._thread.wait()

    def _call(self, name: str, *args: Any) -> None:
        fn = self.callbacks.get(name)
        if fn is not None and self.attached:
            fn(*args)

    def _progressed(self, p: Progress) -> None:
        if self.attached:
            self.last = p
            self.progressed.emit(p)
            self._call("on_progress", p)

    def _finished(self) -> None:
        self._thread.wait()  # ``finished`` is sent just before the thread ends: let it end
        kind, value = self._thread.outcome
        self.runner._forget(self)
        try:
            if kind == "done":
                self.result = value
                self._call("on_done", value)
            elif kind == "error":
                self._call("on_error", value)
            else:
                self._call("on_cancel")
            self._call("on_end")
        finally:  # a failing callback must not leave the runner busy for ever
            self._release()
            self.runner._settle(self)
            self._thread.deleteLater()
            self.deleteLater()


class TaskRunner(QObject):
    """Starts jobs per owner (one each), shows them to ``TaskBar``s and says when it is ``idle``."""

    started = Signal(object)  # Task
    idle = Signal()  # no thread of this runner runs any more

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live: dict[Hashable, Task] = {}  # owner -> its attached task
        self._threads: list[Task] = []  # every task whose thread has not ended (attached or not)
        self._waiting: dict[Hashable, _Request] = {}  # latest_only: the newest request behind a running task
        self.closed = False

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        title: str,
        owner: Hashable = None,
        on_done: Callback = None,
        on_progress: Callback = None,
        on_error: Callback = None,
        on_cancel: Callback = None,
        on_end: Callback = None,
        latest_only: bool = False,
        **kwargs: Any,
    ) -> Task | None:
        """Run ``fn(*args, progress=, token=, **kwargs)`` as ``owner``'s task (None: a task of its own).

        The previous task of ``owner`` is cancelled and detached, or with ``latest_only`` left running
        while this request waits for it to end (returns None then). Exactly one of on_done(result),
        on_error(message) and on_cancel() runs, then on_end(), unless the task was detached first.
        """
        if self.closed:
            return None
        callbacks = dict(on_done=on_done, on_progress=on_progress, on_error=on_error, on_cancel=on_cancel,
                         on_end=on_end)
        request = _Request(fn, args, kwargs, title, callbacks)
        if owner is not None and owner in self._live:
            if latest_only:
                self._waiting[owner] = request
                return None
            self._live.pop(owner).detach()
        self._waiting.pop(owner, None)
        return self._start(owner, request)

    def _start(self, owner: Hashable, request: _Request) -> Task:
        task = Task(self, owner if owner is not None else object(), request)
        self._live[task.owner] = task
        self._threads.append(task)
        self.started.emit(task)
        task._thread.start()
        return task

    def _forget(self, task: Task) -> None:
        if self._live.get(task.owner) is task:
            del self._live[task.owner]

    def _settle(self, task: Task) -> None:
        """After a task's callbacks: start what waited for it, or tell that all is quiet."""
        self._threads.remove(task)
        waiting = self._waiting.pop(task.owner, None)
        if waiting is not None and not self.closed and task.owner not in self._live:
            self._start(task.owner, waiting)
        if not self.busy:
            self.idle.emit()

    # --- asking and stopping -----------------------------------------------------------------------------

    def task(self, owner: Hashable) -> Task | None:
        """The attached task of ``owner``, if one runs."""
        return self._live.get(owner)

    def tasks(self) -> list[Task]:
        """The attached tasks, oldest first (what a TaskBar shows)."""
        return list(self._live.values())

    def waiting(self, owner: Hashable) -> bool:
        """True if a latest_only request of ``owner`` waits for the running one."""
        return owner in self._waiting

    @property
    def busy(self) -> bool:
        """A task still runs or has callbacks to deliver (a detached one: while its thread runs)."""
        return any(task.attached or task.running for task in self._threads)

    def cancel(self, owner: Hashable) -> None:
        """Stop ``owner``'s task and drop its waiting request; it still reports how it ended."""
        self._waiting.pop(owner, None)
        task = self._live.get(owner)
        if task is not None:
            task.cancel()

    def drop(self, *owners: Hashable) -> list[Task]:
        """Detach the owners' tasks (superseded ones too) without waiting: nothing of them lands any more."""
        for owner in owners:
            self._waiting.pop(owner, None)
            self._live.pop(owner, None)
        ending = [task for task in self._threads if task.owner in owners]
        for task in ending:
            task.detach()
        return ending

    def stop(self, *owners: Hashable) -> None:
        """``drop`` the owners' tasks and wait for their threads (a panel closing)."""
        for task in self.drop(*owners):
            task.wait()

    def shutdown(self) -> None:
        """Detach every task and wait for every thread; later ``run`` calls do nothing (a window closing)."""
        self.closed = True
        self._waiting.clear()
        self._live.clear()
        for task in list(self._threads):
            task.detach()
        for task in list(self._threads):
            task.wait()

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Process events until no thread runs (callbacks delivered); False if ``timeout_ms`` ran out first."""
        if not self.busy:
            return True
        loop = QEventLoop()
        self.idle.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        self.idle.disconnect(loop.quit)
        return not self.busy
