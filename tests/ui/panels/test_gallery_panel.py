"""The gallery dock: lists exported pictures with thumbnails, reopens recipes, renames, trashes, publishes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox

from studio.engine.images import save_png
from studio.engine.library import gallery
from studio.engine.library.gallery import export_picture
from studio.ui.panels.gallery_panel import GalleryPanel
from studio.ui.widgets.task_bar import TaskBar

WAIT_MS = 20_000


def _img(value: int) -> np.ndarray:
    return np.full((48, 48, 3), value, np.uint8)


@pytest.fixture
def folder(tmp_path) -> Path:
    g = tmp_path / "gallery"
    export_picture(g, _img(10), {"seed": 1}, name="first")
    export_picture(g, _img(200), {"seed": 2}, name="second")
    return g


@pytest.fixture
def panel(qtbot, folder):
    p = GalleryPanel(folder)
    qtbot.addWidget(p)
    p.show()
    assert p.tasks.wait_idle(WAIT_MS)
    yield p
    p.shutdown()  # no worker thread outlives a test


@pytest.fixture
def messages(monkeypatch) -> dict[str, list]:
    """Record message boxes instead of showing them; questions are answered from ``answers`` (Yes by default)."""
    seen: dict[str, list] = {"warning": [], "question": [], "answers": []}

    def question(parent, title, text, *args):
        seen["question"].append(text)
        return seen["answers"].pop(0) if seen["answers"] else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen["warning"].append(text))
    monkeypatch.setattr(QMessageBox, "question", question)
    return seen


@pytest.fixture
def opened_urls(monkeypatch) -> list[QUrl]:
    urls: list[QUrl] = []
    monkeypatch.setattr("studio.ui.panels.gallery_panel.QDesktopServices.openUrl", lambda url: urls.append(url) or True)
    return urls


def _names(panel: GalleryPanel) -> set[str]:
    return {panel.model.item(r).text() for r in range(panel.model.rowCount())}


def _index(panel: GalleryPanel, name: str):
    return next(item.index() for item in map(panel.model.item, range(panel.model.rowCount())) if item.text() == name)


def test_lists_pictures_with_thumbnails(panel, folder):
    assert _names(panel) == {"first", "second"}
    assert set(panel.pictures()) == {folder / "first.png", folder / "second.png"}
    assert not panel.hint.isVisible()
    thumb = panel.model.item(0).icon().pixmap(128, 128).toImage()
    expected = 10 if panel.model.item(0).text() == "first" else 200
    assert thumb.pixelColor(64, 64).red() == expected  # the picture itself, not the placeholder


def test_empty_and_missing_folders_say_so(qtbot, tmp_path):
    panel = GalleryPanel(tmp_path / "nothing here")
    qtbot.addWidget(panel)
    assert panel.model.rowCount() == 0 and "No pictures in" in panel.hint.text()
    assert not panel.publish_button.isEnabled()
    panel.set_folder(None)
    assert panel.hint.text() == "Choose a gallery folder."


def test_new_exports_appear_by_themselves(qtbot, panel, folder):
    export_picture(folder, _img(99), {"seed": 3}, name="third")
    qtbot.waitUntil(lambda: "third" in _names(panel), timeout=WAIT_MS)
    assert panel.tasks.wait_idle(WAIT_MS)


def test_double_click_emits_the_recipe(qtbot, panel, folder):
    index = _index(panel, "second")
    rect = panel.view.visualRect(index)
    with qtbot.waitSignal(panel.open_recipe_requested, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    recipe, path = signal.args
    assert recipe["seed"] == 2 and path == folder / "second.png"


def test_a_picture_without_recipe_explains_itself(qtbot, panel, folder, messages):
    save_png(folder / "plain.png", _img(50))  # no recipe chunk, no sidecar
    panel.refresh()
    panel.open_picture(folder / "plain.png")
    qtbot.waitUntil(lambda: bool(messages["warning"]), timeout=WAIT_MS)
    plain = folder / "plain.png"
    assert messages["warning"] == [f"{plain} has no readable recipe, neither in the PNG nor in plain.json."]
    assert "No recipe stored" in panel.model.itemFromIndex(_index(panel, "plain")).toolTip()


def test_inline_rename(qtbot, panel, folder):
    panel.select(folder / "first.png")
    panel.rename_action.trigger()
    editor = panel.view.findChild(QLineEdit)
    assert editor is not None and editor.text() == "first"
    editor.setText("renamed")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "renamed" in _names(panel), timeout=WAIT_MS)
    assert sorted(p.name for p in folder.iterdir()) == ["renamed.json", "renamed.png", "second.json", "second.png"]
    assert panel.current_path() == folder / "renamed.png"
    assert panel.tasks.task("gallery thumbnails") is None  # the thumbnail followed the file: nothing to reload


def test_rename_refuses_to_overwrite(panel, folder, messages):
    assert panel.rename(folder / "first.png", "second") is None
    assert messages["warning"] == ["Cannot rename first.png: second.png or second.json already exists."]
    assert (folder / "first.png").exists() and _names(panel) == {"first", "second"}


def test_delete_asks_then_moves_to_the_trash(qtbot, panel, folder, tmp_path, messages, monkeypatch):
    trash = tmp_path / "trash"
    trash.mkdir()
    monkeypatch.setattr(gallery, "send2trash", lambda p: shutil.move(p, trash))
    panel.select(folder / "first.png")

    messages["answers"].append(QMessageBox.StandardButton.No)
    panel.delete_action.trigger()
    assert (folder / "first.png").exists() and messages["question"] == ["Move first.png and its recipe to the trash?"]

    panel.delete_action.trigger()  # answered Yes
    assert sorted(p.name for p in trash.iterdir()) == ["first.json", "first.png"]
    assert _names(panel) == {"second"}


def test_reveal_opens_the_folder(panel, folder, opened_urls):
    panel.reveal_action.trigger()
    assert [u.toLocalFile() for u in opened_urls] == [str(folder)]


def test_publish_writes_the_site_and_offers_to_open_it(qtbot, panel, tmp_path, messages, opened_urls, monkeypatch):
    site = tmp_path / "site"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(site))
    qtbot.mouseClick(panel.publish_button, Qt.MouseButton.LeftButton)
    assert not panel.publish_button.isEnabled()
    assert panel.tasks.wait_idle(WAIT_MS)
    assert (site / "index.html").is_file() and len(list((site / "pages").iterdir())) == 2
    assert messages["question"] == [f"Wrote {site / 'index.html'}. Open it in the browser?"]
    assert [u.toLocalFile() for u in opened_urls] == [str(site / "index.html")]
    assert panel.status.text() == f"Published the gallery to {site}." and panel.publish_button.isEnabled()


def test_publish_into_the_gallery_itself_is_refused(panel, folder, messages, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    panel.publish()
    assert messages["warning"] == [f"{folder} is the gallery itself; choose another folder for the website."]
    assert not panel.tasks.busy


def test_publish_can_be_cancelled(qtbot, panel, folder, tmp_path, monkeypatch):
    for i in range(30):
        export_picture(folder, _img(i), {"seed": i}, name=f"extra{i}")
    panel.refresh()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "site"))
    bar = TaskBar(panel.tasks)  # the status bar the panel's runner shows in
    qtbot.addWidget(bar)
    panel.publish()
    bar.row("Publishing").cancel_button.click()
    assert panel.tasks.wait_idle(WAIT_MS)
    assert panel.status.text() == "Publishing cancelled; the website may be incomplete."
    assert not (tmp_path / "site" / "index.html").exists() and panel.publish_button.isEnabled()
