"""A class-conditional model in the studio window: the class picker beside the seeds, recipes, the gallery and
autosave carrying the class, style mixing and the A×B grid across classes, and every tool passing the class."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PySide6.QtWidgets import QMessageBox

from studio.engine import load_model
from studio.engine.edit.latents import z_from_seed
from studio.engine.edit.mixing import mixing_grid
from studio.engine.edit.portrait import Mixing, Portrait
from studio.engine.images import load_image, tensor_to_images
from studio.engine.model.labels import class_labels
from studio.ui.dialogs.mixing_grid import MixingGridDialog
from studio.ui.window.main_window import MainWindow
from tests.ui.conftest import TINY_CLASSES
from tests.ui.helpers import TIMEOUT, drawn, open_and_wait, opened_window, paint_and_search, settle


@pytest.fixture
def window(qtbot, tiny_cond_model_path) -> MainWindow:
    return opened_window(qtbot, tiny_cond_model_path)


def pick_class(window: MainWindow, index: int) -> None:
    """What choosing a class in the picker does."""
    box = window.seeds.class_box
    box.setCurrentIndex(index)
    box.activated.emit(index)


def test_the_picker_shows_the_cards_classes_and_redraws_the_seed_in_the_class(qtbot, window):
    assert window.seeds.class_row.isVisibleTo(window) and "3 classes" in window.model_label.text()
    box = window.seeds.class_box
    assert [box.itemText(i) for i in range(box.count())] == ["Portrait", "Still life", "Landscape"]  # as painters say
    assert box.currentIndex() == 0
    assert window.doc.portrait.class_index == 0 and window.session.directions  # GANSpace sliders, conditional model
    first = settle(qtbot, window)
    np.testing.assert_array_equal(first, drawn(window, window.doc.portrait))

    pick_class(window, 2)
    assert window.doc.portrait.class_index == 2 and window.doc.portrait.base.seed == 0
    landscape = settle(qtbot, window)
    np.testing.assert_array_equal(landscape, drawn(window, Portrait.from_seed(0, 0.7, 2)))
    assert not np.array_equal(landscape, first)
    assert window.tasks.wait_idle(TIMEOUT)
    assert window.seeds.class_index == 2  # the thumbnails are drawn in the class too
    window.choose_seed(4)  # a new seed comes in the picked class
    assert window.doc.portrait.class_index == 2
    assert window.mixing.history.itemText(0) == "seed 0 · Landscape"

    window.window_actions.undo.trigger()
    window.window_actions.undo.trigger()  # changing class is one undo step
    assert window.doc.portrait.class_index == 0 and box.currentIndex() == 0
    np.testing.assert_array_equal(settle(qtbot, window), first)


def test_a_found_w_plus_locks_the_picker(qtbot, window):
    ws = window.doc.portrait.ws(window.model.G)
    window.doc.commit(Portrait.from_w_plus(ws, class_index=0), "found")
    assert not window.seeds.class_box.isEnabled() and "W+" in window.seeds.class_box.toolTip()
    window.choose_class(1)
    assert window.doc.portrait.class_index == 0  # the W+ is that picture in any class: nothing to redraw
    window.choose_seed(3)
    assert window.seeds.class_box.isEnabled()


def test_unconditional_models_have_no_picker(qtbot, window, tiny_model_path):
    open_and_wait(qtbot, window, tiny_model_path)
    assert not window.seeds.class_row.isVisibleTo(window) and not window.mixing.b_class.isVisibleTo(window)
    assert window.doc.portrait.class_index is None and "classes" not in window.model_label.text()


def test_export_names_the_class_and_reopening_gives_the_same_pixels_and_class(qtbot, window):
    pick_class(window, 1)
    window.choose_seed(6)
    window.doc.commit(window.doc.portrait.with_slider("PC1", 1.5), "PC1")
    edited = settle(qtbot, window)
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT) as sig:
        window.window_actions.export.trigger()
    png = sig.args[0]
    assert "-still_life-" in png.name  # the gallery shows the class under the thumbnail
    np.testing.assert_array_equal(load_image(png), edited)
    recipe = json.loads(png.with_suffix(".json").read_text())
    assert (recipe["class"], recipe["class_index"], recipe["seed"]) == ("still_life", 1, 6)
    window.gallery.refresh()
    qtbot.waitUntil(lambda: png in window.gallery._rows, timeout=TIMEOUT)
    assert "still_life" in window.gallery._rows[png].text()

    pick_class(window, 2)
    window.choose_seed(2)
    assert not np.array_equal(settle(qtbot, window), edited)
    window.open_recipe_file(png)
    assert window.doc.portrait.class_index == 1 and window.seeds.class_box.currentIndex() == 1
    np.testing.assert_array_equal(settle(qtbot, window), edited)


def test_autosave_brings_the_class_back(qtbot, tiny_cond_model_path, dialogs):
    first = opened_window(qtbot, tiny_cond_model_path)
    pick_class(first, 2)
    first.mixing.b_class.setCurrentIndex(1)
    first.mixing.b_class.activated.emit(1)
    first.mixing.toggles["coarse"].setChecked(True)
    edited = first.doc.portrait
    pixels = settle(qtbot, first)
    first.autosave.flush()
    first.autosave.wait()
    saved = first.autosave.path.read_text()
    first.close()
    first.autosave.path.write_text(saved)  # as a crash would have left it

    dialogs.answer = QMessageBox.StandardButton.Yes
    second = MainWindow()
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.directions_ready, timeout=TIMEOUT):
        second.open_model(str(tiny_cond_model_path), then=second.offer_autosave)
    assert second.doc.portrait == edited
    assert second.doc.portrait.class_index == 2 and second.doc.portrait.mixing.other.class_index == 1
    np.testing.assert_array_equal(settle(qtbot, second), pixels)


def test_style_mixing_takes_b_in_its_own_class(qtbot, window):
    window.mixing.seed.setValue(9)
    window.mixing.b_class.setCurrentIndex(2)
    window.mixing.b_class.activated.emit(2)
    window.mixing.toggles["middle"].setChecked(True)
    portrait = window.doc.portrait
    assert portrait.class_index == 0 and (portrait.mixing.other.seed, portrait.mixing.other.class_index) == (9, 2)
    mixed = settle(qtbot, window)
    np.testing.assert_array_equal(mixed, drawn(window, portrait))
    same_class = portrait.with_mixing(Mixing(portrait.mixing.other.with_class(0), portrait.mixing.groups))
    assert not np.array_equal(mixed, drawn(window, same_class))


def test_the_mixing_grid_mixes_rows_and_columns_of_different_classes(qtbot, window):
    pick_class(window, 2)
    window.show_mixing_grid()
    dlg = window._grid_dialog
    assert dlg.rows_class.currentIndex() == 2 and dlg.rows_class.isVisibleTo(dlg)
    dlg.rows_edit.setText("1,2")
    dlg.cols_edit.setText("10-12")
    dlg.cols_class.setCurrentIndex(0)  # landscapes' coarse layers with portraits' ... as chosen
    dlg.render()
    assert dlg.tasks.wait_idle(TIMEOUT) and dlg.sheet is not None
    G = window.model.G
    expected = mixing_grid(G, [1, 2], [10, 11, 12], "coarse", 1.0, 0.7, rows_c=class_labels(G, 2),
                           cols_c=class_labels(G, 0)).to_image()
    np.testing.assert_array_equal(dlg.sheet, expected)
    one_class = mixing_grid(G, [1, 2], [10, 11, 12], "coarse", 1.0, 0.7, rows_c=class_labels(G, 2),
                            cols_c=class_labels(G, 2)).to_image()
    assert not np.array_equal(dlg.sheet, one_class)
    dlg.done(0)


def test_the_mixing_grid_of_an_unconditional_model_has_no_class_rows(qtbot, tiny_model_path):
    dlg = MixingGridDialog(load_model(tiny_model_path))
    qtbot.addWidget(dlg)
    assert not dlg.rows_class.isVisibleTo(dlg) and dlg._labels(dlg.rows_class) is None
    dlg.done(0)


def test_colour_search_keeps_to_the_class_and_records_it(qtbot, window):
    pick_class(window, 1)
    settle(qtbot, window)
    paint_and_search(qtbot, window, (40, 80, 230), (6, 6, 26, 6), steps=5)
    found = window.doc.portrait
    assert found.base.w_plus is not None and found.class_index == 1
    assert "5 steps" in window.search_panel.report.text()


def test_projection_goes_into_the_chosen_class(qtbot, window, tmp_path):
    from PIL import Image

    pick_class(window, 2)
    image = tmp_path / "painting.png"
    Image.fromarray(settle(qtbot, window)).save(image)
    dlg = window.edit_image(image)
    assert dlg.class_box.isVisibleTo(dlg) and dlg.class_box.currentIndex() == 2
    dlg.steps.setValue(10)
    qtbot.waitUntil(lambda: dlg.result is not None and dlg.worker is None, timeout=TIMEOUT)
    dlg.use_as_portrait()
    assert window.doc.portrait.base.w_plus is not None and window.doc.portrait.class_index == 2


def test_customize_window_customizes_the_current_class(qtbot, window):
    pick_class(window, 1)
    window.open_customize()
    cw = window._customize_window
    assert cw.class_box.currentIndex() == 1 and cw.make_config().class_index == 1
    assert cw.tasks.wait_idle(TIMEOUT) and not cw.domain_strip.pixmap().isNull()  # samples of the class sketched
    cw.close()


def test_blend_with_base_draws_the_seed_in_the_portraits_class(qtbot, tiny_cond_model_path, tmp_path):
    import copy

    from studio.engine import save_model
    from studio.ui.panels.blend_panel import BlendPanel

    base = load_model(tiny_cond_model_path)
    G = copy.deepcopy(base.G)
    with torch.no_grad():
        for p in G.mapping.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    card = {"name": "genres-sketched", "classes": TINY_CLASSES, "customized": {
        "base_model": {"weights_hash": base.weights_hash, "path": str(tiny_cond_model_path)},
        "settings": {"train": "mapping"}}}
    custom = load_model(save_model(tmp_path / "custom.safetensors", G, base.D, card))
    panel = BlendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_seed(5, 0.7, 2)
    with qtbot.waitSignal(panel.rendered, timeout=TIMEOUT):
        panel.set_model(custom)
    weights, w = panel.frames
    with torch.no_grad():
        out = G(z_from_seed(5, G.z_dim), class_labels(G, 2), truncation_psi=0.7, noise_mode="const")
        expected = tensor_to_images(out)[0]
    np.testing.assert_array_equal(weights, expected)
    np.testing.assert_array_equal(w, expected)
    panel.shutdown()
