"""A StyleGAN3 model in the studio window: it opens (onnxruntime draws it once exported), its mixing groups follow
the layers' sampling rates, and its picture moves and turns live, with undo, in the recipe and back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from studio.engine.edit.directions import save_direction
from studio.engine.edit.mixing import mixing_grid
from studio.engine.edit.portrait import Portrait
from studio.engine.images import load_image
from studio.engine.library.recipe import portrait_recipe
from studio.ui.dialogs.mixing_grid import MixingGridDialog
from studio.ui.window.main_window import MainWindow
from tests.ui.helpers import (
    EXPORT_TIMEOUT,
    TIMEOUT,
    drag,
    drawn,
    open_and_wait,
    opened_window,
    paint_and_search,
    settle,
    shown,
)


@pytest.fixture
def window(qtbot, tiny_sg3_model_path) -> MainWindow:
    return opened_window(qtbot, tiny_sg3_model_path)


def test_an_sg3_model_opens_with_its_groups_and_move_and_turn(window):
    assert "16 px · StyleGAN3-T" in window.model_label.text()
    assert window.view_dock.isVisibleTo(window) and not window.view_panel.hint.isVisibleTo(window)
    assert window.view_panel.dial.isEnabled() and window.view_panel.x.isEnabled()
    assert shown(window).shape == (16, 16, 3) and set(window.sliders.rows) >= {"PC1", "PC2"}
    assert window.preview.backend.levels == {"full": 16}  # SG3 cannot stop early: a drag draws the full picture too
    coarse, middle = window.mixing.toggles["coarse"], window.mixing.toggles["middle"]
    assert "sampling rate 16" in coarse.toolTip() and "W+ 0–5" in coarse.toolTip() and coarse.isEnabled()
    assert "no middle layers" in middle.toolTip() and not middle.isEnabled()
    assert not window.mixing.strengths["fine"].isEnabled()
    np.testing.assert_array_equal(shown(window), drawn(window, window.doc.portrait))


def test_move_and_turn_live_with_one_undo_step_each(qtbot, window):
    still = shown(window)
    drag(window.view_panel.x.slider, 40)
    assert window.doc.portrait.translate == (pytest.approx(0.4), 0.0)
    moved = settle(qtbot, window)
    assert not np.array_equal(moved, still)
    np.testing.assert_array_equal(moved, drawn(window, window.doc.portrait))
    drag(window.view_panel.y.slider, -20)
    drag(window.view_panel.dial, 90)  # the pointer to the right: the picture's top turns right (clockwise)
    assert window.doc.portrait.rotate == -90.0 and window.view_panel.angle.text() == "90° ↻"
    turned = settle(qtbot, window)
    np.testing.assert_array_equal(turned, drawn(window, Portrait.from_seed(0).with_view((0.4, -0.2), -90.0)))
    assert window.doc.undo_stack.count() == 3  # a drag is one step
    window.window_actions.undo.trigger()
    assert window.doc.portrait.rotate == 0.0 and window.view_panel.dial.value() == 0
    window.window_actions.undo.trigger()
    window.window_actions.undo.trigger()
    np.testing.assert_array_equal(settle(qtbot, window), still)
    assert window.view_panel.x.value == 0 and not window.view_panel.centre.isEnabled()
    window.window_actions.redo.trigger()
    window.window_actions.redo.trigger()
    window.window_actions.redo.trigger()
    np.testing.assert_array_equal(settle(qtbot, window), turned)
    window.view_panel.upright.click()
    assert window.doc.portrait.rotate == 0.0 and window.doc.portrait.translate == (0.4, -0.2)
    window.view_panel.centre.click()
    assert not window.doc.portrait.moved
    np.testing.assert_array_equal(settle(qtbot, window), still)


def test_dragging_previews_the_move_before_the_release(qtbot, window):
    frames = []
    window.preview.frame_ready.connect(frames.append)
    slider = window.view_panel.x.slider
    slider.setSliderDown(True)
    slider.setValue(-30)
    qtbot.waitUntil(lambda: any(f.tag[0].translate == (-0.3, 0.0) for f in frames), timeout=TIMEOUT)
    assert window.doc.portrait.translate == (0.0, 0.0) and window.doc.undo_stack.count() == 0  # not yet committed
    slider.setSliderDown(False)
    assert window.doc.portrait.translate == (-0.3, 0.0) and window.doc.undo_stack.count() == 1
    settle(qtbot, window)


def test_the_recipe_records_the_move_and_turn_and_reopening_restores_them(qtbot, window, tmp_path):
    drag(window.view_panel.x.slider, -25)
    drag(window.view_panel.dial, -30)
    drag(window.sliders.rows["PC1"].value.slider, 150)
    window.mixing.seed.setValue(7)
    window.mixing.toggles["coarse"].setChecked(True)
    drag(window.mixing.strengths["coarse"].slider, 40)
    edited = settle(qtbot, window)
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT) as sig:
        window.window_actions.export.trigger()
    png = sig.args[0]
    np.testing.assert_array_equal(load_image(png), edited)
    recipe = json.loads(png.with_suffix(".json").read_text())
    assert recipe["translate"] == [-0.25, 0.0] and recipe["rotate"] == 30.0
    assert recipe["model_hash"] == window.model.weights_hash and recipe["mixing"]["groups"]["coarse"]["enabled"]

    window.view_panel.centre.click()
    window.view_panel.upright.click()
    window.choose_seed(4)
    assert not np.array_equal(settle(qtbot, window), edited)
    window.open_recipe_file(png)
    np.testing.assert_array_equal(settle(qtbot, window), edited)
    panel = window.view_panel
    assert panel.x.value == -0.25 and panel.dial.value() == -30 and panel.angle.text() == "30° ↺"


def test_a_recipe_naming_the_sg3_model_opens_it(qtbot, tiny_model_path, tiny_sg3_model_path, window):
    window.view_panel.dial.setValue(45)  # a click on the dial: committed at once
    recipe = portrait_recipe(window.model, window.doc.portrait)
    open_and_wait(qtbot, window, tiny_model_path)
    assert not window.view_dock.isVisibleTo(window)
    assert "StyleGAN3" not in window.model_label.text() and not window.doc.portrait.moved
    assert "4–8 px" in window.mixing.toggles["coarse"].toolTip() and window.mixing.toggles["middle"].isEnabled()
    with qtbot.waitSignal(window.directions_ready, timeout=TIMEOUT):
        window.open_recipe(recipe)  # it names the StyleGAN3 model, among the recent ones
    settle(qtbot, window)
    assert window.model_path == str(tiny_sg3_model_path) and window.view_dock.isVisibleTo(window)
    assert window.doc.portrait.rotate == -45.0 and window.view_panel.dial.value() == 45


def test_an_sg2_model_hides_move_and_turn(qtbot, tiny_model_path):
    window = opened_window(qtbot, tiny_model_path)
    assert not window.view_dock.isVisibleTo(window)
    window.view_dock.toggleViewAction().trigger()  # shown by hand from the View menu: it says why it is off
    assert window.view_dock.isVisibleTo(window) and window.view_panel.hint.isVisibleTo(window)
    assert not window.view_panel.dial.isEnabled() and not window.view_panel.x.isEnabled()
    window.doc.commit(window.doc.portrait.with_view(rotate=10.0), "a recipe's turn")  # as a hand-edited recipe
    assert "only a StyleGAN3 model can move or turn" in window.statusBar().currentMessage()


def test_sg3_is_drawn_by_onnxruntime_once_exported_and_moves_there(qtbot, tiny_sg3_model_path, dialogs):
    """The one window test that exports a StyleGAN3 model (the others ask for torch, as conftest sets): torch
    draws at once, the export runs as the faster preview's task, then onnxruntime draws, moved and turned through
    its graph's transform input, a drag at full size."""
    QSettings().setValue("preview/backend", "cpu")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    titles, frames = [], []
    window.tasks.started.connect(lambda task: titles.append(task.title))
    window.model_changed.connect(lambda _: window.preview.frame_ready.connect(frames.append))
    window.open_model(str(tiny_sg3_model_path))
    qtbot.waitUntil(lambda: any(f.backend.startswith("onnxruntime") for f in frames), timeout=EXPORT_TIMEOUT)
    assert frames[0].backend == "torch cpu" and "Preparing a faster preview" in titles and not dialogs.shown
    assert window.backend_label.text() == "Drawn by onnxruntime CPU"
    assert "cannot draw a smaller one faster" in window.backend_label.toolTip()
    settle(qtbot, window)
    drag(window.view_panel.x.slider, 40)
    drag(window.view_panel.dial, 90)
    moved = settle(qtbot, window)
    assert frames[-1].backend == "onnxruntime CPU" and {f.level for f in frames} == {"full"}
    assert np.abs(moved.astype(int) - drawn(window, window.doc.portrait).astype(int)).max() <= 1


def test_a_saved_direction_on_sg3(qtbot, window):
    G = window.model.G
    before = shown(window)
    vector = np.random.default_rng(0).standard_normal((G.num_ws, G.w_dim)).astype(np.float32)
    saved = save_direction(window.model.weights_hash, "warmth", vector, "coarse")
    window.search_panel.direction_saved.emit(saved)  # as the colour search's "Save as direction" does
    row = window.sliders.rows["warmth"]
    assert window.sliders.saved_box.isVisibleTo(window)
    drag(row.value.slider, 100)
    assert window.doc.portrait.slider("warmth").layers == "coarse"
    warmer = settle(qtbot, window)
    assert not np.array_equal(warmer, before)
    np.testing.assert_array_equal(warmer, drawn(window, window.doc.portrait))
    open_and_wait(qtbot, window, window.model_path)  # opened again: the saved direction is read back
    assert "warmth" in window.sliders.rows


def test_the_mixing_grid_follows_the_rates_and_the_canvas_view(qtbot, window):
    window.view_panel.dial.setValue(60)
    window.window_actions.mixing_grid.trigger()
    dialog: MixingGridDialog = window._grid_dialog
    assert "sampling rate 16" in dialog.group_boxes["coarse"].toolTip()
    assert not dialog.group_boxes["middle"].isEnabled() and dialog.layers == "coarse"
    dialog.render()
    assert dialog.tasks.wait_idle(TIMEOUT) and dialog.sheet is not None
    turned = window.doc.portrait.transform()
    want = mixing_grid(window.model.G, [0, 1, 2, 3], [10, 11, 12, 13], "coarse", 1.0, 0.7, transform=turned)
    np.testing.assert_array_equal(dialog.sheet, want.to_image())  # turned as on the canvas
    assert not np.array_equal(want.rows[0], drawn(window, Portrait.from_seed(0, 0.7)))
    dialog.done(0)


def test_a_colour_search_on_a_moved_picture_searches_it_as_shown(qtbot, window):
    drag(window.view_panel.x.slider, 30)
    drag(window.view_panel.dial, 45)
    settle(qtbot, window)
    view = window.doc.portrait
    paint_and_search(qtbot, window, (230, 40, 40), (3, 3, 12, 3), steps=3)
    found = window.doc.portrait
    assert found.base.w_plus is not None
    assert (found.translate, found.rotate) == (view.translate, view.rotate)  # still moved and turned as painted
    np.testing.assert_array_equal(settle(qtbot, window), drawn(window, found))
