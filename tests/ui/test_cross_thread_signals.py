"""Thousands of signals from worker threads must not crash the interpreter (PySide6 6.12.0 did: see pyproject)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal


class _Emitter(QThread):
    sig = Signal(object)

    def run(self) -> None:
        for i in range(5000):
            self.sig.emit({"step": i, "done": True, "preview": None})


class _Bridge(QObject):
    sig = Signal(object)


def test_many_signals_from_a_qthread(qtbot):
    got = []
    w = _Emitter()
    w.sig.connect(got.append)
    with qtbot.waitSignal(w.finished, timeout=60_000):
        w.start()
    qtbot.waitUntil(lambda: len(got) == 5000, timeout=60_000)
    w.wait()


def test_many_signals_from_a_python_thread(qtbot):
    got = []
    bridge = _Bridge()
    bridge.sig.connect(got.append)
    t = threading.Thread(target=lambda: [bridge.sig.emit((i, None, True)) for i in range(5000)])
    t.start()
    qtbot.waitUntil(lambda: len(got) == 5000, timeout=60_000)
    t.join()
