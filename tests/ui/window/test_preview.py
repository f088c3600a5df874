"""The window's preview on a model opened for the first time: torch draws at once, onnxruntime takes over."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from studio.engine import save_model
from studio.ui.window.main_window import MainWindow
from tests.conftest import make_tiny_pair
from tests.ui.helpers import EXPORT_TIMEOUT, TIMEOUT, settle, shown


@pytest.fixture
def fresh(qtbot, tmp_path, monkeypatch):
    """A window about to open a model that was never exported (its own cache), with onnxruntime asked for;
    ``started`` records, for each task as it starts, its title and what the window showed then."""
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    G, D = make_tiny_pair(seed=3)
    path = save_model(tmp_path / "fresh.safetensors", G, D, card={"name": "fresh"})
    QSettings().setValue("preview/backend", "cpu")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.frames, window.started = [], []
    window.model_changed.connect(lambda _: window.preview.frame_ready.connect(window.frames.append))
    window.tasks.started.connect(lambda task: window.started.append(
        (task.title, window.last_full is not None, window.backend_label.text(), window.backend_label.toolTip())))
    return window, path


def test_the_first_picture_is_drawn_by_torch_before_the_export_and_onnxruntime_draws_it_again(qtbot, fresh):
    window, path = fresh
    window.open_model(str(path))
    qtbot.waitUntil(lambda: bool(window.frames) and window.frames[-1].backend.startswith("onnxruntime"),
                    timeout=EXPORT_TIMEOUT)
    export = [s for s in window.started if s[0] == "Preparing a faster preview"]
    assert len(export) == 1
    _, drawn, text, tip = export[0]
    assert drawn and text == "Drawn by PyTorch CPU" and "while the model is exported for onnxruntime" in tip
    first, last = window.frames[0], window.frames[-1]
    assert first.backend == "torch cpu" and first.level == "full" and last.tag == first.tag
    assert np.abs(first.image.astype(int) - last.image.astype(int)).max() <= 1  # the same picture
    np.testing.assert_array_equal(settle(qtbot, window), last.image[0])
    assert window.backend_label.text() == "Drawn by onnxruntime CPU"
    assert "checked against PyTorch" in window.backend_label.toolTip()
    assert window.tasks.task("preview") is None


def test_a_cancelled_export_leaves_torch_drawing_and_says_so(qtbot, fresh):
    window, path = fresh
    window.tasks.started.connect(lambda task: task.cancel() if task.title == "Preparing a faster preview" else None)
    window.open_model(str(path))
    qtbot.waitUntil(lambda: "cancelled" in window.backend_label.toolTip(), timeout=EXPORT_TIMEOUT)
    assert window.tasks.wait_idle(TIMEOUT)
    assert window.preview.backend_name == "torch cpu" and window.backend_label.text() == "Drawn by PyTorch CPU"
    assert {f.backend for f in window.frames} == {"torch cpu"} and shown(window).shape == (32, 32, 3)


def test_a_model_exported_before_draws_at_once_and_times_its_drag_after_the_first_picture(qtbot, fresh):
    window, path = fresh
    window.open_model(str(path))
    qtbot.waitUntil(lambda: bool(window.frames) and window.frames[-1].backend.startswith("onnxruntime"),
                    timeout=EXPORT_TIMEOUT)
    assert window.tasks.wait_idle(TIMEOUT)
    window.started.clear()
    window.open_model(str(path))  # its export is cached now: onnxruntime draws the first picture, untimed
    qtbot.waitUntil(lambda: any(s[0] == "Timing the preview" for s in window.started)
                    and window.tasks.task("preview") is None, timeout=EXPORT_TIMEOUT)
    titles = [s[0] for s in window.started]
    assert "Preparing a faster preview" not in titles and titles.count("Timing the preview") == 1
    _, _, text, tip = window.started[titles.index("Timing the preview")]
    assert text.startswith("Drawn by onnxruntime CPU") and "until the preview is timed on this machine" in tip
    assert window.preview.backend.drag.fps is not None
    assert "measured on this machine" in window.backend_label.toolTip()
