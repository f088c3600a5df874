"""``gan-studio PATH`` and ``--install-desktop``: a checkpoint, a gallery picture or an image opens into the studio."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.engine.model.checkpoints import DEFAULT_MODEL
from studio.ui import desktop
from studio.ui.app import main, open_path, open_window, parse_args
from studio.ui.dialogs.project_dialog import ProjectDialog
from studio.ui.window.main_window import MainWindow
from tests.ui.helpers import TIMEOUT, opened_window, settle


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    return w


def test_a_gallery_picture_opens_with_its_recipe(qtbot, tmp_path):
    """What the desktop entry runs for a picture: ``gan-studio PICTURE`` opens a window with its recipe."""
    painter = opened_window(qtbot, "default")
    painter.choose_seed(4321)
    settle(qtbot, painter)
    with qtbot.waitSignal(painter.exported, timeout=TIMEOUT) as exported:
        painter.window_actions.export.trigger()
    png, made = exported.args[0], painter.doc.portrait
    png.with_suffix(".json").unlink()  # the PNG's own chunk is enough
    painter.close()

    window = open_window(png)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.doc.portrait == made, timeout=TIMEOUT)
    assert window.model.path == DEFAULT_MODEL
    settle(qtbot, window)


def test_a_checkpoint_opens_as_the_model(qtbot, window, tiny_model_path):
    open_path(window, tiny_model_path)
    qtbot.waitUntil(lambda: window.model is not None and window.model.name == "tiny", timeout=TIMEOUT)
    settle(qtbot, window)


def test_another_image_opens_to_project_into_the_default_model(qtbot, window, tmp_path):
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 30, 3), 120, np.uint8)).save(photo)
    open_path(window, photo)
    qtbot.waitUntil(lambda: window.findChild(ProjectDialog) is not None, timeout=TIMEOUT)
    dialog = window.findChild(ProjectDialog)
    assert dialog.path == photo and window.model.path == DEFAULT_MODEL
    qtbot.waitUntil(lambda: dialog.target is not None, timeout=TIMEOUT)
    dialog.done(0)


def test_a_missing_path_is_one_sentence_and_no_window(capsys, tmp_path):
    assert main(["gan-studio", str(tmp_path / "gone.png")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'gone.png'}: no such file.\n"


def test_install_and_uninstall_desktop_under_xdg_data_home(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["gan-studio", "--install-desktop"]) == 0
    files = desktop.installed_files()
    assert all(f.is_file() for f in files) and len(files) == 3
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(tmp_path / "share" / "applications" / "gan-studio.desktop")
    section = entry["Desktop Entry"]
    assert section["Exec"] == f"{desktop.exec_line(desktop.launcher())} %f"
    assert set(section["MimeType"].strip(";").split(";")) == {desktop.MODEL_MIME_TYPE, "image/png"}
    assert section["Icon"] == "gan-studio"

    assert main(["gan-studio", "--uninstall-desktop"]) == 0
    assert not any(f.exists() for f in files)
    assert main(["gan-studio", "--uninstall-desktop"]) == 0
    assert capsys.readouterr().out.endswith("nothing to remove\n")


def test_exec_line_quotes_what_the_spec_says():
    assert desktop.exec_line(["/opt/gan-studio/gan-studio"]) == "/opt/gan-studio/gan-studio"
    assert desktop.exec_line(["/home/a b/python", "-m", "studio.ui.app"]) == '"/home/a b/python" -m studio.ui.app'
    assert desktop.exec_line(['/x/$y"z']) == '"/x/\\\\$y\\\\"z"'
    assert desktop.exec_line(["/100%/gan"]) == "/100%%/gan"


def test_the_mime_type_tells_our_models_from_other_safetensors(tmp_path):
    """Qt's own MIME database, in a fresh process, reads the installed type from XDG_DATA_HOME."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    desktop.install_desktop(env)
    other = tmp_path / "weights.safetensors"
    other.write_bytes((DEFAULT_MODEL.parent / "world_probe.safetensors").read_bytes()[:20000])
    script = ("import json, sys; from PySide6.QtCore import QMimeDatabase; db = QMimeDatabase(); "
              "print(json.dumps([db.mimeTypeForFile(p).name() for p in sys.argv[1:]]))")
    run = subprocess.run([sys.executable, "-c", script, str(DEFAULT_MODEL), str(other)], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    ours, theirs = json.loads(run.stdout)
    assert ours == desktop.MODEL_MIME_TYPE and theirs != desktop.MODEL_MIME_TYPE



def test_the_command_line_names_a_path_and_leaves_qt_its_options():
    args, qt_args = parse_args(["picture.png", "-style", "fusion"])
    assert args.path == Path("picture.png") and qt_args == ["-style", "fusion"]
    assert not args.install_desktop and parse_args(["--install-desktop"])[0].install_desktop
