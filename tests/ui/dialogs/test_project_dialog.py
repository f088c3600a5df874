"""Open image to edit: projection on a worker with frames and PSNR, "Use as portrait" undoable, bad files told."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtWidgets import QWidget

from studio.engine.edit.portrait import Portrait
from studio.engine.images import tensor_to_images
from studio.engine.library.recipe import portrait_recipe
from studio.engine.model.loaded import LoadedModel
from studio.ui.dialogs.project_dialog import ProjectDialog
from studio.ui.document import PortraitDocument
from studio.ui.window.main_window import MainWindow
from tests.conftest import make_tiny_pair
from tests.ui.helpers import TIMEOUT, open_and_wait, settle


@pytest.fixture
def dialog(qtbot) -> ProjectDialog:
    G, D = make_tiny_pair()
    holder = QWidget()
    qtbot.addWidget(holder)
    doc = PortraitDocument(parent=holder)  # Qt-owned: never left for the garbage collector on a worker thread
    dlg = ProjectDialog(LoadedModel(G, D, None, "test", {"name": "tiny"}), doc)
    qtbot.addWidget(dlg)
    dlg.steps.setValue(20)
    dlg.show()
    yield dlg
    dlg.tasks.shutdown()


@pytest.fixture
def painting(tmp_path):
    """A non-square palette PNG with transparency: odd on purpose (load_image copes, the dialog crops)."""
    G, _ = make_tiny_pair()
    with torch.no_grad():
        img = tensor_to_images(G(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(1))))[0]
    wide = np.concatenate([img, img[:, :8]], axis=1)
    path = tmp_path / "painting.png"
    Image.fromarray(wide).convert("P").save(path, transparency=0)
    return path


def wait_projected(qtbot, dlg: ProjectDialog) -> None:
    qtbot.waitUntil(lambda: dlg.result is not None and dlg.worker is None, timeout=TIMEOUT)


def test_projects_with_frames_and_psnr_then_use_as_portrait_is_undoable(qtbot, dialog, painting):
    frames = []
    dialog.open_image(painting)
    qtbot.waitUntil(lambda: dialog.worker is not None and dialog.project_button.text() == "Cancel", timeout=TIMEOUT)
    dialog.worker.progressed.connect(lambda p: frames.append(p.preview))
    wait_projected(qtbot, dialog)
    assert dialog.target.shape == (32, 32, 3) and not dialog.original.pixmap().isNull()
    assert [f for f in frames if f is not None] and not dialog.reconstruction.pixmap().isNull()
    rec = dialog.result
    assert rec.steps_done == 20 and np.isfinite(rec.psnr) and rec.psnr > 5
    assert set(rec.noise) == {"b32.conv0", "b32.conv1"}  # the detail pass ran on the 32 px maps
    assert f"{rec.psnr:.1f} dB" in dialog.message.text()
    doc = dialog.doc
    old = doc.portrait
    dialog.use_button.click()
    assert not dialog.isVisible() and doc.undo_stack.undoText() == "Open image painting.png"
    assert isinstance(doc.portrait, Portrait) and doc.portrait.psi == 1.0
    np.testing.assert_array_equal(doc.portrait.base.w_plus, rec.ws[0].numpy())
    np.testing.assert_array_equal(doc.portrait.noise["b32.conv1"], rec.noise["b32.conv1"])
    recipe = portrait_recipe(dialog.model, doc.portrait)
    assert recipe["w_plus"] and set(recipe["noise"]) == set(rec.noise)  # the recipe carries W+ and the maps
    doc.undo_stack.undo()
    assert doc.portrait == old


def test_broken_image_is_one_clear_sentence(qtbot, dialog, dialogs, tmp_path):
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    dialog.open_image(bad)
    qtbot.waitUntil(lambda: dialog.worker is None and bool(dialogs.texts()), timeout=TIMEOUT)
    [text] = dialogs.texts()
    assert "holiday.jpg" in text and text.endswith(".") and "Traceback" not in text
    assert not dialog.project_button.isEnabled() and not dialog.use_button.isEnabled()


def test_cancel_keeps_where_it_got_to_and_closing_stops_the_job(qtbot, dialog, painting):
    dialog.steps.setValue(5000)
    dialog.open_image(painting)
    qtbot.waitUntil(lambda: dialog.project_button.text() == "Cancel", timeout=TIMEOUT)
    dialog.project_button.click()
    wait_projected(qtbot, dialog)
    assert dialog.result.cancelled and "Stopped after" in dialog.message.text()
    dialog.project_button.click()  # project again, then close while it runs
    qtbot.waitUntil(lambda: dialog.worker is not None, timeout=TIMEOUT)
    task = dialog.worker
    dialog.reject()
    assert not task.running
    assert dialog.worker is None and not dialog.tasks.busy


def test_window_file_menu_opens_image_and_portrait_shows_the_reconstruction(
    qtbot, tiny_model_path, painting, monkeypatch
):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    open_and_wait(qtbot, window, tiny_model_path)
    monkeypatch.setattr("studio.ui.window.tools.ask_image_path", lambda parent: painting)
    window.window_actions.open_image.trigger()
    dlg = window._project_dialog
    dlg.steps.setValue(10)
    wait_projected(qtbot, dlg)
    dlg.use_button.click()
    # the preview renders the reconstruction with its noise maps, as the dialog showed it
    assert np.abs(settle(qtbot, window).astype(int) - dlg.result.image).max() <= 2
    assert np.abs(dlg.result.image.astype(int) - dlg.result.portrait).max() > 2  # ...which W+ alone would not
    assert window.window_actions.drop_detail.isEnabled()
    window.window_actions.drop_detail.trigger()  # W+ alone, as one undo step
    assert window.doc.portrait.noise == {} and not window.window_actions.drop_detail.isEnabled()
    assert np.abs(settle(qtbot, window).astype(int) - dlg.result.portrait).max() <= 2
    window.window_actions.undo.trigger()
    assert window.doc.portrait.noise.keys() == dlg.result.noise.keys() and window.window_actions.drop_detail.isEnabled()
    window.sliders.rows["PC1"].value.slider.setValue(150)  # sliders work on it as on any portrait
    assert window.doc.portrait.slider("PC1").value == 1.5
    assert window.doc.portrait.noise.keys() == dlg.result.noise.keys()  # and keep its detail
    # leaving it for a seed offers it as portrait B: its colours and texture on other portraits
    window.choose_seed(3)
    history = window.mixing.history
    assert history.itemText(0) == "found picture 1"
    history.activated.emit(0)
    window.mixing.toggles["middle"].setChecked(True)
    other = window.doc.portrait.mixing.other
    np.testing.assert_array_equal(other.w_plus, dlg.result.ws[0].numpy())
    assert other.noise == {} and window.doc.portrait.noise == {}  # B lends its W+ only
    settle(qtbot, window)
    window.close()
