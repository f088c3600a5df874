"""Crash insurance: the current document written (atomically, debounced) on every change, removed on a clean exit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

from PySide6.QtCore import QObject, QTimer

from ..engine.atomic import atomic_write_text


class Autosave(QObject):
    """``schedule(make)`` writes ``make()`` as JSON to ``path`` after ``delay_ms`` of quiet."""

    def __init__(self, path: Path, delay_ms: int = 500, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.path = path
        self._make: Optional[Callable[[], dict]] = None
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.flush)

    def schedule(self, make: Callable[[], dict]) -> None:
        self._make = make
        self._timer.start()

    def flush(self) -> None:
        """Write now what was scheduled (a failed write only loses crash insurance, never the session)."""
        self._timer.stop()
        if self._make is not None:
            make, self._make = self._make, None
            try:
                atomic_write_text(self.path, json.dumps(make()))
            except OSError:
                pass

    def pending(self) -> Optional[dict]:
        """What a previous session left behind (it did not exit cleanly), or None."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def clear(self) -> None:
        self._timer.stop()
        self._make = None
        self.path.unlink(missing_ok=True)
