"""The autosave writes on its own thread, in order, and a clean exit leaves no file even with a write in flight."""

from __future__ import annotations

import json
import threading

from studio.ui.window.autosave import Autosave


def test_writes_in_order_off_the_ui_thread_and_clear_waits_for_them(qtbot, tmp_path):
    save = Autosave(tmp_path / "autosave.json", delay_ms=10_000)
    threads, release = [], threading.Event()

    def slow() -> dict:
        threads.append(threading.current_thread())
        release.wait(5)
        return {"n": 1}

    save.schedule(slow)
    save.flush()  # returns at once although the write is blocked
    save.schedule(lambda: {"n": 2})
    save.flush()
    assert not save.path.exists()
    release.set()
    save.wait()
    assert json.loads(save.path.read_text()) == {"n": 2}  # the newer write landed last
    assert threads and threads[0] is not threading.main_thread()

    release.clear()
    save.schedule(slow)
    save.flush()
    threading.Timer(0.2, release.set).start()
    save.clear()  # waits for the write in flight, then removes what it wrote
    assert not save.path.exists() and save.pending() is None
