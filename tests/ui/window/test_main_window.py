"""The studio window driven through its real widgets, offscreen, on a tiny model saved to tmp."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.engine import save_model
from studio.engine.edit.portrait import Portrait
from studio.engine.images import load_image, upscale
from studio.engine.library.recipe import portrait_recipe
from studio.ui.theme import qimage_to_array
from studio.ui.window.main_window import MainWindow
from tests.ui.helpers import TIMEOUT, drag, open_and_wait, opened_window, settle, shown


@pytest.fixture
def window(qtbot, tiny_model_path) -> MainWindow:
    return opened_window(qtbot, tiny_model_path)


def test_opens_model_and_shows_status(window, tiny_model_path):
    assert window.model.name == "tiny"
    assert "tiny" in window.model_label.text() and "32 px" in window.model_label.text()
    assert window.backend_label.text()
    assert shown(window).shape == (32, 32, 3)
    assert set(window.sliders.rows) >= {"PC1", "PC2"}
    assert window.session.recent_models() == [str(tiny_model_path)]


def test_sliders_carry_the_names_the_model_card_gives(qtbot, tiny_pair, tmp_path):
    G, D = tiny_pair
    card = {"name": "named", "pca_names": {"PC1": "head turn"}, "pca_layers": {"PC1": "coarse"}}
    window = opened_window(qtbot, save_model(tmp_path / "named.safetensors", G, D, card=card))
    row = window.sliders.rows["PC1"]
    assert row.title.text() == "PC1 · head turn" and window.sliders.rows["PC2"].title.text() == "PC2"
    drag(row.value.slider, 100)
    assert window.doc.portrait.slider("PC1").layers == "coarse"  # the group the name was measured on


def test_browse_seeds_and_click_thumbnail(qtbot, window):
    first = shown(window)
    window.seeds.next_button.click()
    assert window.seeds.first == 12
    assert window.tasks.wait_idle(TIMEOUT)
    assert window.seeds.buttons[3].icon().availableSizes()
    qtbot.mouseClick(window.seeds.buttons[3], Qt.MouseButton.LeftButton)
    assert window.doc.portrait.base.seed == 15
    assert not np.array_equal(settle(qtbot, window), first)
    window.seeds.goto.setValue(40)
    assert window.doc.portrait.base.seed == 40 and window.seeds.first == 36


def test_slider_drag_is_one_undo_step_and_undo_restores_pixels(qtbot, window):
    before = shown(window)
    drag(window.sliders.rows["PC1"].value.slider, 200)
    after = settle(qtbot, window)
    assert window.doc.portrait.slider("PC1").value == pytest.approx(2.0)
    assert not np.array_equal(after, before)
    assert window.doc.undo_stack.count() == 1
    window.window_actions.undo.trigger()
    np.testing.assert_array_equal(settle(qtbot, window), before)
    assert window.sliders.rows["PC1"].value.value == 0
    window.window_actions.redo.trigger()
    np.testing.assert_array_equal(settle(qtbot, window), after)


def test_layer_range_and_truncation(qtbot, window):
    row = window.sliders.rows["PC2"]
    row._layers_chosen("coarse")
    drag(row.value.slider, -150)
    coarse = settle(qtbot, window)
    assert window.doc.portrait.slider("PC2").layers == "coarse"
    row._layers_chosen("9-99")  # out of range: refused, the edit keeps its layers
    assert window.doc.portrait.slider("PC2").layers == "coarse"
    drag(window.sliders.psi.slider, 30)
    assert window.doc.portrait.psi == pytest.approx(0.3)
    assert not np.array_equal(settle(qtbot, window), coarse)
    window.window_actions.reset.trigger()
    assert window.doc.portrait.sliders == () and window.doc.portrait.psi == pytest.approx(0.3)


def test_style_mixing(qtbot, window):
    before = shown(window)
    window.mixing.seed.setValue(9)
    window.mixing.toggles["coarse"].setChecked(True)
    assert window.doc.portrait.mixing.active and window.doc.portrait.mixing.other.seed == 9
    mixed = settle(qtbot, window)
    assert not np.array_equal(mixed, before)
    drag(window.mixing.strengths["coarse"].slider, 50)
    assert window.doc.portrait.mixing.group("coarse").strength == pytest.approx(0.5)
    assert not np.array_equal(settle(qtbot, window), mixed)


def test_history_offers_visited_seeds_as_b(qtbot, window):
    window.choose_seed(5)
    window.choose_seed(6)
    labels = [window.mixing.history.itemText(i) for i in range(window.mixing.history.count())]
    assert labels[:2] == ["seed 5", "seed 0"]
    window.mixing.history.activated.emit(0)
    assert window.doc.portrait.mixing.other.seed == 5


def test_export_and_reopen_recipe_gives_same_pixels(qtbot, window, tmp_path):
    drag(window.sliders.rows["PC1"].value.slider, 120)
    window.mixing.toggles["middle"].setChecked(True)
    edited = settle(qtbot, window)
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT) as sig:
        window.window_actions.export.trigger()
    png = sig.args[0]
    assert png.parent == tmp_path / "gallery" and png.with_suffix(".json").exists()
    np.testing.assert_array_equal(load_image(png), edited)
    recipe = json.loads(png.with_suffix(".json").read_text())
    assert recipe["model_hash"] == window.model.weights_hash and recipe["sliders"][0]["direction"] == "PC1"

    window.choose_seed(3)
    window.window_actions.reset.trigger()
    assert not np.array_equal(settle(qtbot, window), edited)
    window.open_recipe_file(png)
    np.testing.assert_array_equal(settle(qtbot, window), edited)
    window.window_actions.undo.trigger()  # opening a recipe is an undoable step too
    assert window.doc.portrait.base.seed == 3


def test_recipe_for_an_unknown_model_says_so(qtbot, window, dialogs):
    recipe = portrait_recipe(window.model, window.doc.portrait)
    recipe["model_hash"], recipe["model"] = "0" * 64, "elsewhere"
    window.open_recipe(recipe, Path("/tmp/x.png"))
    assert "elsewhere" in dialogs.texts()[0] and "/tmp/x.png" in dialogs.texts()[0]


def test_bad_checkpoint_keeps_previous_model(qtbot, window, tmp_path, dialogs):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"PK\x03\x04 this is not a checkpoint")
    model = window.model
    window.open_model(str(bad))
    qtbot.waitUntil(lambda: bool(dialogs.shown), timeout=TIMEOUT)
    assert "broken.pt" in dialogs.texts()[0]
    assert window.model is model
    assert window.session.recent_models() == [str(window.model_path)]


def test_bad_recipe_file_is_a_dialog(window, tmp_path, dialogs):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"nope")
    seed = window.doc.portrait.base.seed
    window.open_file(junk)
    assert "junk.png" in dialogs.texts()[0] and window.doc.portrait.base.seed == seed


def test_autosave_is_offered_back_after_a_crash(qtbot, tiny_model_path, dialogs):
    first = MainWindow()
    qtbot.addWidget(first)
    open_and_wait(qtbot, first, tiny_model_path)
    first.choose_seed(21)
    G = first.model.G  # a projected picture: W+ with a fitted noise map, which the autosave must keep too
    maps = {"b32.conv1": np.random.RandomState(2).randn(32, 32).astype(np.float32)}
    first.doc.commit(Portrait.from_w_plus(first.doc.portrait.ws(G), noise=maps), "Open image")
    drag(first.sliders.rows["PC3"].value.slider, 80)
    settle(qtbot, first)
    first.autosave.flush()
    first.autosave.wait()
    saved = first.autosave.path.read_text()
    edited = first.doc.portrait
    first.close()  # a clean exit removes the autosave ...
    assert not first.autosave.path.exists()
    first.autosave.path.write_text(saved)  # ... so put it back, as a crash would have left it

    dialogs.answer = QMessageBox.StandardButton.Yes
    second = MainWindow()
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.directions_ready, timeout=TIMEOUT):
        second.open_model(str(tiny_model_path), then=second.offer_autosave)
    settle(qtbot, second)
    assert dialogs.texts("question")
    assert second.doc.portrait == edited and second.doc.portrait.noise.keys() == {"b32.conv1"}
    second.autosave.flush()  # the crash's file is gone; what is there now insures the restored portrait
    second.autosave.wait()
    restored = json.loads(json.dumps(portrait_recipe(second.model, edited)))
    assert json.loads(second.autosave.path.read_text())["recipe"] == restored


def test_shortcuts(qtbot, window):
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    assert window.doc.portrait.base.seed == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Left)
    assert window.doc.portrait.base.seed == 0
    qtbot.keyClick(window.canvas, Qt.Key.Key_1)
    assert not window.canvas.fit and window.canvas.zoom == 1.0
    qtbot.keyClick(window.canvas, Qt.Key.Key_F)
    assert window.canvas.fit
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.portrait.base.seed == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.doc.portrait.base.seed == 0


def test_compare_shows_before_and_after(qtbot, window):
    plain = shown(window)
    drag(window.sliders.rows["PC1"].value.slider, -250)
    window.window_actions.compare.trigger()
    assert window.canvas.compare
    qtbot.waitUntil(lambda: window.canvas.before is not None, timeout=TIMEOUT)
    settle(qtbot, window)
    np.testing.assert_array_equal(qimage_to_array(window.canvas.before), plain)
    grab = window.canvas.grab()  # paints the split without error
    assert not grab.isNull()


def test_settings_remember_layout_and_recent(qtbot, window, tiny_model_path):
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.session.recent_models() == [str(tiny_model_path)]
    assert again.settings.value("window/state") is not None


def test_a_portrait_whose_noise_map_does_not_fit_is_one_status_line(qtbot, window):
    settle(qtbot, window)
    w = window.doc.portrait.ws(window.model.G)
    window.doc.commit(Portrait.from_w_plus(w, noise={"b32.conv0": np.zeros((16, 16), np.float32)}), "Bad recipe")
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot show this portrait:") and "'b32.conv0'" in message


def test_found_picture_keeps_the_seeds_truncation(qtbot, window):
    """A colour search or a projection draws its W+ as found (ψ 1.0); the next seed is back at the painter's ψ."""
    window.doc.commit(window.doc.portrait.with_psi(0.55), "Truncation 0.55")
    found = Portrait.from_w_plus(window.doc.portrait.ws(window.model.G, window.session.directions))
    window.doc.commit(found, "Colour search")
    assert window.sliders.psi.value == 1.0 and window.seeds.psi == 0.55  # the thumbnails stay at the painter's ψ
    window.window_actions.next_seed.trigger()
    assert window.doc.portrait.psi == 0.55 and window.sliders.psi.value == 0.55
    window.window_actions.random_seed.trigger()
    assert window.doc.portrait.psi == 0.55


def test_truncation_shows_the_documents_before_a_model_loads(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.sliders.psi.value == 0.7


def test_a_clean_close_reopens_where_the_painter_left_off(qtbot, tiny_model_path):
    first = opened_window(qtbot, tiny_model_path)
    first.choose_seed(21)
    first.doc.commit(first.doc.portrait.with_slider("PC1", 1.5), "PC1")
    edited = first.doc.portrait
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.directions_ready, timeout=TIMEOUT):
        second.start()  # the last model, not the default one
    settle(qtbot, second)
    assert second.model_path == str(tiny_model_path) and second.doc.portrait == edited
    assert not second.doc.undo_stack.canUndo()  # where the history starts
    assert second.seeds.current == 21 and second.seeds.first == 12  # the seed grid is on its page


def test_arrow_keys_step_the_seed_after_a_layer_choice(qtbot, window):
    window.activateWindow()
    row = window.sliders.rows["PC1"]
    row.combo.setFocus()
    row.combo.setCurrentIndex(1)  # "coarse", picked from the drop-down
    row.combo.activated.emit(1)
    assert not row.combo.hasFocus() and row.layers == "coarse"
    seed = window.doc.portrait.base.seed
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Right)
    assert window.doc.portrait.base.seed == seed + 1


def test_pca_sliders_take_the_panels_width(qtbot, window):
    window.resize(1346, 690)
    qtbot.wait(100)
    slider = window.sliders.rows["PC1"].value.slider
    assert slider.width() >= 0.5 * window.slider_dock.width()


def test_export_size_enlarges_smoothly_and_the_recipe_says_so(qtbot, window):
    edited = settle(qtbot, window)
    window.gallery.export_scale.setValue(3)
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT) as sig:
        window.window_actions.export.trigger()
    png = sig.args[0]
    np.testing.assert_array_equal(load_image(png), upscale(edited, 3))  # 96 × 96 px, Lanczos
    assert load_image(png).shape == (96, 96, 3)
    assert json.loads(png.with_suffix(".json").read_text())["export"] == {"scale": 3, "resampling": "lanczos"}
    assert "96 × 96 px" in window.statusBar().currentMessage()
    again = MainWindow()  # the size is kept for the next session
    qtbot.addWidget(again)
    assert again.gallery.export_scale.value() == 3
