"""The style-mixing dialog: renders on a worker, reports bad input, cancels, exports one PNG."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.engine.edit.mixing import mixing_grid
from studio.engine.images import load_image
from studio.engine.model.loaded import LoadedModel
from studio.ui.dialogs.mixing_grid import MixingGridDialog, seeds_text
from studio.ui.theme import qimage_to_array
from tests.conftest import make_tiny_pair


@pytest.fixture
def model() -> LoadedModel:
    G, D = make_tiny_pair()
    return LoadedModel(G, D, None, "test")


@pytest.fixture
def dialog(qtbot, model):
    dlg = MixingGridDialog(model, rows=[1, 2], cols=[10, 11, 12])
    qtbot.addWidget(dlg)
    dlg.show()
    yield dlg
    dlg.tasks.shutdown()  # no worker thread outlives a test


@pytest.fixture
def warnings(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    return shown


def _render(qtbot, dlg) -> None:
    qtbot.mouseClick(dlg.render_button, Qt.MouseButton.LeftButton)
    assert dlg.tasks.wait_idle(30_000)


def test_seeds_text_round_trips():
    assert seeds_text([0, 1, 2, 3, 7, 9, 10]) == "0-3,7,9,10"
    assert seeds_text([5, 6, 2]) == "5,6,2" and seeds_text([]) == ""


def test_initial_state(dialog):
    assert dialog.rows_edit.text() == "1,2" and dialog.cols_edit.text() == "10-12"
    assert dialog.layers == "coarse"
    assert not dialog.group_boxes["fine"].isEnabled()  # a 32 px model has no fine layers
    assert not dialog.export_button.isEnabled()


def test_render_shows_the_grid(qtbot, dialog, model):
    dialog.group_boxes["middle"].setChecked(True)
    dialog.strength.setValue(0.5)
    _render(qtbot, dialog)
    expected = mixing_grid(model.G, [1, 2], [10, 11, 12], "coarse+middle", 0.5, 0.7).to_image()
    assert dialog.sheet.shape == expected.shape == (3 * 32 + 4 * 2, 4 * 32 + 5 * 2, 3)
    np.testing.assert_allclose(dialog.sheet, expected, atol=1)
    assert not dialog.picture.pixmap().isNull()
    assert dialog.export_button.isEnabled() and dialog.render_button.isEnabled()
    assert "Rendered" in dialog.status.text()


def test_the_view_names_each_rows_and_columns_seed(qtbot, dialog):
    _render(qtbot, dialog)
    assert dialog.seeds == ([1, 2], [10, 11, 12])  # the seeds of the grid shown, not of the fields being edited
    dialog.rows_edit.setText("5")
    shown_image = dialog.picture.pixmap().toImage()
    bare_image = dialog._preview.scaled(dialog.picture.pixmap().size()).toImage()
    shown, bare = qimage_to_array(shown_image).copy(), qimage_to_array(bare_image).copy()
    h, w = shown.shape[:2]
    for y, x in ((h * 2 // 3 + 4, 4), (4, w // 4 + 6)):  # the last row's source, the first column's: a dark tag
        assert shown[y : y + 6, x : x + 12].mean() < bare[y : y + 6, x : x + 12].mean() - 20


@pytest.mark.parametrize(
    ("rows", "cols", "groups", "message"),
    [
        ("1,x", "10", ["coarse"], "Sources A: 'x' is not a seed: use whole numbers or ranges such as 0-7"),
        ("1", "5-1", ["coarse"], "Sources B: seed range '5-1' runs backwards."),
        ("0-8", "1", ["coarse"], "Sources A: 9 seeds is too many; use at most 8."),
        ("1", "-3", ["coarse"], "Sources B: seed -3 is out of range: seeds are whole numbers from 0 to 4294967295."),
        ("1", "5000000000", ["coarse"], "Sources B: seed 5000000000 is out of range: seeds are whole numbers from 0 to "
                                        "4294967295."),
        ("0-10000000", "1", ["coarse"], "Sources A: 10,000,001 seeds is too many; use at most 8."),
        ("1", "2", [], "Choose at least one layer group"),
    ],
)
def test_bad_input_is_reported_without_rendering(qtbot, dialog, rows, cols, groups, message):
    dialog.rows_edit.setText(rows)
    dialog.cols_edit.setText(cols)
    for name, box in dialog.group_boxes.items():
        box.setChecked(name in groups)
    qtbot.mouseClick(dialog.render_button, Qt.MouseButton.LeftButton)
    assert message in dialog.error.text()
    assert not dialog.tasks.busy and dialog.sheet is None


def test_cancel_leaves_a_clear_state(qtbot, dialog):
    dialog.rows_edit.setText("0-7")
    dialog.cols_edit.setText("10-17")  # 80 images in batches of 4: plenty of time to cancel
    dialog.render()
    assert dialog.tasks.busy and dialog.render_button.text() == "Cancel"  # no second render meanwhile
    qtbot.mouseClick(dialog.render_button, Qt.MouseButton.LeftButton)
    assert dialog.tasks.wait_idle(30_000)
    assert dialog.status.text() == "Cancelled."
    assert dialog.sheet is None and dialog.render_button.text() == "Render" and not dialog.export_button.isEnabled()


def test_export_writes_one_png(qtbot, dialog, tmp_path, monkeypatch):
    _render(qtbot, dialog)
    target = tmp_path / "out" / "my grid"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PNG images (*.png)"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.tasks.wait_idle(30_000)
    saved = tmp_path / "out" / "my grid.png"
    np.testing.assert_array_equal(load_image(saved), dialog.sheet)
    assert dialog.status.text() == f"Saved {saved}."
    assert [p.name for p in saved.parent.iterdir()] == ["my grid.png"]  # no temporary file left behind


def test_export_failure_names_the_file(qtbot, dialog, tmp_path, monkeypatch, warnings):
    _render(qtbot, dialog)
    (tmp_path / "not a folder").write_text("")
    target = tmp_path / "not a folder" / "grid.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialog.export()
    assert dialog.tasks.wait_idle(30_000)
    assert len(warnings) == 1 and str(target) in warnings[0]
    assert dialog.status.text().startswith("Failed:")


def test_export_dialog_follows_the_output_policy(qtbot, dialog, tmp_path, monkeypatch, warnings):
    _render(qtbot, dialog)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "grid.jpg"), ""))
    dialog.export()
    assert warnings == [f"{tmp_path / 'grid.jpg'}: the output is written as PNG, so its name must end in .png."]
    assert not dialog.tasks.busy and not (tmp_path / "grid.jpg").exists()


def test_closing_while_rendering_stops_the_worker(qtbot, dialog):
    dialog.rows_edit.setText("0-7")
    dialog.cols_edit.setText("10-17")
    dialog.render()
    task = dialog.tasks.task("mixing grid")
    dialog.reject()
    assert task is not None and not task.running
