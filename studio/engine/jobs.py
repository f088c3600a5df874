"""The one protocol every long job speaks: progress reports, cancel and pause.

The CLI turns reports into a tqdm bar, the GUI into a progress bar and live previews; the engine code
only calls ``report`` and ``token.check()`` between steps, so every job cancels and pauses the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Cancelled(Exception):
    """Raised inside a job by ``CancelToken.check()`` once cancel was asked for."""


@dataclass
class Progress:
    """One report from a running job: ``done`` of ``total`` steps, a message, an optional preview."""

    done: int
    total: int
    message: str = ""
    preview: Any = None  # e.g. a uint8 HWC numpy image or a dict of figures
    metrics: dict = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressFn = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The default report sink: drops reports."""


class CancelToken:
    """Thread-safe cancel/pause flags shared between a job and whoever runs it."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()  # a paused job must wake up to see the cancel

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def stop_requested(self) -> bool:
        """Block while paused; True once cancel was asked for (for jobs that return their best so far)."""
        self._running.wait()
        return self._cancel.is_set()

    def check(self) -> None:
        """Block while paused; raise ``Cancelled`` if cancel was asked for."""
        self._running.wait()
        if self._cancel.is_set():
            raise Cancelled()


def ensure_token(token: CancelToken | None) -> CancelToken:
    return token if token is not None else CancelToken()
