"""Colour search in the studio window: paint, search, frames on the canvas, undoable result, cancel, save direction."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine.edit.directions import saved_directions
from studio.engine.edit.portrait import Portrait
from studio.ui.window.main_window import MainWindow
from tests.ui.helpers import TIMEOUT, opened_window, settle


@pytest.fixture
def window(qtbot, tiny_model_path) -> MainWindow:
    w = opened_window(qtbot, tiny_model_path)
    w.window_actions.paint.trigger()
    return w


def paint_hair(window: MainWindow, colour=(40, 80, 230)) -> None:
    p = window.painter
    p.brush.colour, p.brush.radius, p.brush.hardness = colour, 3.0, 1.0
    for y in (4, 7, 10):
        p.begin_stroke(6, y)
        p.extend_stroke(26, y)
        p.end_stroke()


def run_search(qtbot, window: MainWindow, steps: int, cancel_after_frames: int = 0):
    panel, frames, results = window.search_panel, [], []
    panel.frame_ready.connect(frames.append)
    panel.steps.setValue(steps)
    panel.search_button.click()
    assert panel.running and panel.search_button.text() == "Cancel"
    task = panel.worker
    task.ended.connect(lambda: results.append(task.result))
    if cancel_after_frames:
        qtbot.waitUntil(lambda: len(frames) >= cancel_after_frames, timeout=TIMEOUT)
        panel.search_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=TIMEOUT)
    assert len(results) == 1 and results[0] is not None
    return frames, results[0]


def test_painter_tool_toggles_the_overlay_and_the_masks_fit_the_model(window):
    assert window.painter.isVisible() and window.paint_dock.isVisible()
    assert window.painter.paint_mask().shape == (32, 32, 4)
    window.window_actions.paint.trigger()
    assert not window.painter.isVisible()


def test_search_shows_frames_and_its_result_is_one_undo_step(qtbot, window):
    before = settle(qtbot, window)
    strokes = window.doc.undo_stack.count()
    panel = window.search_panel
    panel.search_button.click()
    assert "Paint some colour" in panel.report.text() and not panel.running  # nothing painted yet
    paint_hair(window)
    assert window.doc.undo_stack.count() == strokes + 3  # strokes share the document's history
    frames, result = run_search(qtbot, window, steps=8)
    assert len(frames) >= 4 and frames[-1].shape == (32, 32, 3)
    assert not result.cancelled and result.steps_done == 8
    portrait = window.doc.portrait
    assert portrait.base.w_plus is not None and portrait.psi == 1.0 and not portrait.sliders
    np.testing.assert_allclose(portrait.base.w_plus, result.ws[0].numpy())
    after = settle(qtbot, window)
    assert np.abs(after.astype(int) - result.image).max() <= 2  # the canvas shows what the search found
    assert not np.array_equal(after, before)
    assert "8 steps" in panel.report.text() and "colours" in panel.report.text() and "%" in panel.report.text()
    assert "/255" in panel.report.toolTip() and "L2" not in panel.report.text()
    assert window.doc.undo_stack.undoText() == "Colour search"
    window.window_actions.undo.trigger()
    np.testing.assert_array_equal(settle(qtbot, window), before)
    assert window.painter.paint_mask()[..., 3].any()  # undoing the search leaves the paint alone
    window.window_actions.undo.trigger()  # ...and the next undo takes back the last stroke
    assert not window.painter.paint_mask()[10, 6:27, 3].any()


def test_cancel_keeps_the_best_step_so_far(qtbot, window):
    paint_hair(window, (230, 200, 120))
    # a frame every 10 steps: the first comes soon even on a busy machine, the last long after the cancel
    frames, result = run_search(qtbot, window, steps=250, cancel_after_frames=1)
    assert result.cancelled and 0 < result.steps_done < 250
    assert window.doc.portrait.base.w_plus is not None and "Stopped" in window.search_panel.report.text()
    assert np.abs(settle(qtbot, window).astype(int) - result.image).max() <= 2


def test_save_as_direction_appears_among_the_saved_sliders(qtbot, window, monkeypatch):
    settle(qtbot, window)
    panel = window.search_panel
    assert not panel.save_button.isEnabled()
    paint_hair(window)
    _, result = run_search(qtbot, window, steps=6)
    assert panel.save_button.isEnabled()
    start = window.doc.undo_stack.command(window.doc.undo_stack.index() - 1).old
    monkeypatch.setattr("studio.ui.panels.search_panel.QInputDialog.getText", lambda *a, **k: ("blue hair", True))
    panel.save_button.click()
    saved = {d.name: d for d in saved_directions(window.model.weights_hash)}
    assert "blue hair" in saved and "blue hair" in window.sliders.rows and window.sliders.saved_box.isVisibleTo(window)
    expected = result.ws[0].numpy() - start.ws(window.model.G, window.session.directions)[0].numpy()
    np.testing.assert_allclose(saved["blue hair"].vector, expected, atol=1e-5)
    # applying it to the old portrait with the new slider gives the found picture back
    window.window_actions.undo.trigger()
    window.sliders.rows["blue hair"].value.slider.setValue(100)
    np.testing.assert_allclose(window.doc.portrait.ws(window.model.G, window.session.directions)[0].numpy(),
                               result.ws[0].numpy(), atol=1e-4)
    assert np.abs(settle(qtbot, window).astype(int) - result.image).max() <= 2


def test_random_start_cannot_be_saved_as_a_direction(qtbot, window):
    settle(qtbot, window)
    paint_hair(window)
    window.search_panel.mode.setCurrentIndex(1)
    assert window.search_panel.seed.isEnabled()
    _, result = run_search(qtbot, window, steps=5)
    assert result.steps_done == 5 and window.doc.portrait.base.w_plus is not None
    assert not window.search_panel.save_button.isEnabled()
    assert np.abs(settle(qtbot, window).astype(int) - result.image).max() <= 2


def test_a_search_from_a_projected_portrait_keeps_its_noise_maps(qtbot, window):
    """A projection's detail (its fitted noise maps) is part of the picture: the search starts from it as shown,
    and the found portrait keeps it, so the canvas shows what the search found."""
    G = window.model.G
    maps = {"b32.conv0": np.random.RandomState(0).randn(32, 32).astype(np.float32) * 3}
    window.doc.commit(Portrait.from_w_plus(window.doc.portrait.ws(G), noise=maps), "Open image")
    shown = settle(qtbot, window)
    paint_hair(window)
    _, result = run_search(qtbot, window, steps=6)
    np.testing.assert_array_equal(window.doc.portrait.noise["b32.conv0"], maps["b32.conv0"])
    assert np.abs(settle(qtbot, window).astype(int) - result.image).max() <= 2
    assert not np.array_equal(result.image, shown)
