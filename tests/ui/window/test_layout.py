"""The window keeps its shape: opening and closing a tool never grows it, squeezes a panel or leaves a gap, and
it fits a 1366×768 laptop screen."""

from __future__ import annotations

import pytest

from studio.ui.window.main_window import MainWindow
from tests.ui.helpers import opened_window


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
