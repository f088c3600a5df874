"""The window keeps its shape: opening and closing a tool never grows it, squeezes a panel or leaves a gap, and
it fits a 1366×768 laptop screen."""

from __future__ import annotations

import time

import pytest

from studio.engine.jobs import Progress
from studio.ui.widgets.task_bar import TaskBar
from studio.ui.window.main_window import MainWindow
from tests.ui.helpers import open_and_wait, opened_window


@pytest.fixture
def window(qtbot, tiny_model_path) -> MainWindow:
    w = opened_window(qtbot, tiny_model_path)
    w.resize(1346, 690)  # a 1366×768 screen less its title bar and a task bar
    return w


def _shape(qtbot, w: MainWindow) -> tuple:
    """Where the window and its panels are, once the layout has settled (two looks alike)."""
    last = None
    for _ in range(40):
        qtbot.wait(25)
        now = w.size(), w.canvas.geometry(), w.slider_dock.geometry(), w.mixing_dock.geometry()
        if now == last:
            return now
        last = now
    return last


def test_paint_colours_keeps_the_window_and_the_panels_where_they_are(qtbot, window):
    before = _shape(qtbot, window)
    window.window_actions.paint.trigger()
    assert _shape(qtbot, window) == before
    assert window.paint_dock.isVisible() and not window.paint_dock.visibleRegion().isEmpty()  # its tab in front
    window.window_actions.paint.trigger()
    assert _shape(qtbot, window) == before
    assert not window.paint_dock.isVisible() and not window.seed_dock.visibleRegion().isEmpty()


def test_fits_a_laptop_screen_with_every_panel_open(qtbot, window):
    window.window_actions.paint.trigger()
    window.show_blend()
    _shape(qtbot, window)
    assert window.minimumSizeHint().height() <= 690 and window.minimumSizeHint().width() <= 1346


def _until_cancelled(progress, token) -> None:
    progress(Progress(0, 10, "hardware: 1 x CPU, 2 torch threads (bf16, non-fused modconv, channels-last) " * 3))
    while not token.cancelled:
        time.sleep(0.01)


def test_a_task_in_the_status_bar_moves_nothing_and_shows_its_words_whole_in_a_tip(qtbot, window):
    before = _shape(qtbot, window), window.statusBar().height()
    for i in range(3):
        window.tasks.run(_until_cancelled, title=f"Job {i}", owner=f"job {i}")
    qtbot.waitUntil(lambda: len(window.findChildren(TaskBar)[0].rows) == 3)
    row = window.findChildren(TaskBar)[0].rows[0]
    qtbot.waitUntil(lambda: "hardware" in row.label.toolTip())
    assert (_shape(qtbot, window), window.statusBar().height()) == before
    assert row.label.text().endswith("…") and row.label.toolTip().endswith("channels-last) ")
    for i in range(3):
        window.tasks.cancel(f"job {i}")
    assert window.tasks.wait_idle(5000)


def test_a_conditional_model_keeps_the_panels_width(qtbot, window, tiny_cond_model_path):
    before = _shape(qtbot, window)
    open_and_wait(qtbot, window, tiny_cond_model_path)  # adds class pickers to the seeds and to portrait B
    assert window.mixing.b_class.isVisible() and window.seeds.class_row.isVisible()
    assert _shape(qtbot, window) == before
