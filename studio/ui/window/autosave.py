"""Crash insurance: the current document written (atomically, debounced) on every change, removed on a clean exit.

Each write runs on a short-lived thread of its own, after the one before (so they land in order): a projected
portrait's recipe carries its noise maps, and for a 1024 px model encoding and writing them takes 60-90 ms (15 MB
of JSON), too long for the UI thread. ``make`` is called on that thread too, so it must only read immutable things
(a ``Portrait`` and the model's name, hash and classes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from studio.engine.atomic import atomic_write_text


class Autosave(QObject):
    """``schedule(make)`` writes ``make()`` as JSON to ``path`` after ``delay_ms`` of quiet."""

    def __init__(self, path: Path, delay_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._make: Callable[[], dict] | None = None
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.flush)
        self._last: threading.Thread | None = None

    def schedule(self, make: Callable[[], dict]) -> None:
        self._make = make
        self._timer.start()

    def flush(self) -> None:
        """Start writing what was scheduled now (``wait`` until it is on disk)."""
        self._timer.stop()
        if self._make is not None:
            make, self._make = self._make, None
            self._last = threading.Thread(target=self._write, args=(make, self._last), name="autosave")
            self._last.start()

    def _write(self, make: Callable[[], dict], before: threading.Thread | None) -> None:
        """A failed write only loses crash insurance, never the session."""
        if before is not None:
            before.join()
        try:
            atomic_write_text(self.path, json.dumps(make()))
        except OSError:
            pass

    def wait(self) -> None:
        """Block until every write started so far has finished."""
        if self._last is not None:
            self._last.join()

    def pending(self) -> dict | None:
        """What a previous session left behind (it did not exit cleanly), or None."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def clear(self) -> None:
        """Forget what is scheduled and remove the file, after any write in flight (it would bring it back)."""
        self._timer.stop()
        self._make = None
        self.wait()
        self.path.unlink(missing_ok=True)
