"""The studio window's actions, menus and toolbar: what each command is called, its shortcut and its icon.

Every action is added to the window as well, so its shortcut works while any dock has focus.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QToolBar

from studio.engine.model.checkpoints import GENRES_MODEL
from studio.ui.theme import icon

if TYPE_CHECKING:
    from studio.ui.window.main_window import MainWindow

MAX_RUNS = 10
BACKEND_CHOICES = {"auto": "Fastest available", "cuda": "onnxruntime CUDA", "cpu": "onnxruntime CPU", "torch": "PyTorch"}


def _action(w: MainWindow, text: str, slot: Callable, shortcut=None, icon_name: str | None = None,
            tip: str = "") -> QAction:
    action = QAction(text, w)
    if shortcut is not None:
        keys = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(k) for k in keys])
    if icon_name:
        action.setIcon(icon(icon_name))
    action.setToolTip(tip or text.replace("…", "").replace("&", ""))
    action.triggered.connect(lambda *_: slot())
    w.addAction(action)
    return action


def build_menus(w: MainWindow) -> None:
    """Make the window's actions (as attributes of ``w``), its menu bar and its toolbar."""
    K = QKeySequence.StandardKey
    undo = w.doc.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcut(QKeySequence(K.Undo))
    undo.setIcon(icon("fa6s.rotate-left"))
    redo = w.doc.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    redo.setIcon(icon("fa6s.rotate-right"))
    w.addActions([undo, redo])
    w.undo_action, w.redo_action = undo, redo

    def a(*args, **kwargs) -> QAction:
        return _action(w, *args, **kwargs)

    w.open_action = a("&Open checkpoint…", w.choose_checkpoint, K.Open, "fa6s.folder-open")
    w.open_recipe_action = a("Open &recipe…", w.choose_recipe, "Ctrl+Shift+O", "fa6s.file-import")
    w.default_action = a("&Default model", lambda: w.open_model("default"), icon_name="fa6s.brain")
    w.genres_action = a("&Genre model (four genres)", lambda: w.open_model("genres"), icon_name="fa6s.palette",
                        tip="Portraits, still lifes, landscapes and cityscapes: one class-conditional model")
    w.genres_action.setEnabled(GENRES_MODEL.exists())
    w.export_action = a("&Export to gallery", w.export_to_gallery, "Ctrl+E", "fa6s.floppy-disk")
    w.gallery_folder_action = a("Gallery &folder…", w.choose_gallery_folder, icon_name="fa6s.images")
    w.quit_action = a("&Quit", w.close, K.Quit)
    w.reset_action = a("Reset &edits", w.reset_edits, "Ctrl+R", "fa6s.eraser", "Reset sliders and mixing")
    w.drop_detail_action = a("Drop brush &detail", w.drop_detail, None, "fa6s.droplet-slash",
                             "Render the projected picture from its latents alone: its fitted noise maps stay where "
                             "the original's strokes were, which shows as a ghost after big pose edits")
    w.drop_detail_action.setEnabled(False)  # only a projected picture has any
    w.prev_seed_action = a("&Previous seed", lambda: w.step_seed(-1), Qt.Key.Key_Left, "fa6s.chevron-left")
    w.next_seed_action = a("&Next seed", lambda: w.step_seed(1), Qt.Key.Key_Right, "fa6s.chevron-right")
    w.random_seed_action = a("Ra&ndom seed", w.random_seed, "Ctrl+D", "fa6s.dice")
    w.prev_page_action = a("Previous seed page", w.seeds.previous_page, Qt.Key.Key_Up)
    w.next_page_action = a("Next seed page", w.seeds.next_page, Qt.Key.Key_Down)
    w.zoom_in_action = a("Zoom &in", w.canvas.zoom_in, ["+", "="], "fa6s.magnifying-glass-plus")
    w.zoom_out_action = a("Zoom &out", w.canvas.zoom_out, "-", "fa6s.magnifying-glass-minus")
    w.fit_action = a("&Fit", w.canvas.zoom_fit, "F", "fa6s.expand")
    w.actual_action = a("&1:1", w.canvas.zoom_actual, "1", "mdi6.image-size-select-actual", "Actual pixels")
    w.compare_action = a("&Compare before/after", w.toggle_compare, "C", "fa6s.table-columns")
    w.compare_action.setCheckable(True)
    w.mixing_grid_action = a("Style-mixing &grid…", w.show_mixing_grid, "Ctrl+G", "fa6s.border-all")
    w.open_image_action = a("Open &image to edit…", w.open_image_to_edit, "Ctrl+I", "fa6s.file-image",
                            "Project a picture into the model to edit it like a portrait")
    w.customize_action = a("&Customize model…", w.open_customize, "Ctrl+K", "fa6s.pen-nib",
                           "Fine-tune the open model towards your sketches")
    w.train_action = a("&Train on my pictures…", w.open_train_window, None, "fa6s.images",
                       "Adapt the open model to a folder of your pictures, watching it learn")
    w.blend_action = a("&Blend with base…", w.show_blend, None, "fa6s.sliders",
                       "Blend a customized or trained model with the model it was made from")
    w.blend_action.setEnabled(False)

    mb = w.menuBar()
    file_menu = mb.addMenu("&File")
    file_menu.addActions([w.open_action, w.default_action, w.genres_action])
    w.recent_menu = file_menu.addMenu(icon("fa6s.clock-rotate-left"), "Open &recent")
    w.recent_menu.aboutToShow.connect(lambda: _fill_recent_menu(w))
    file_menu.addSeparator()
    file_menu.addActions([w.open_recipe_action, w.open_image_action, w.export_action, w.gallery_folder_action])
    file_menu.addSeparator()
    file_menu.addAction(w.quit_action)
    edit_menu = mb.addMenu("&Edit")
    edit_menu.addActions([undo, redo, w.reset_action, w.drop_detail_action])
    portrait_menu = mb.addMenu("&Portrait")
    portrait_menu.addActions([w.prev_seed_action, w.next_seed_action, w.random_seed_action,
                              w.prev_page_action, w.next_page_action])
    portrait_menu.addSeparator()
    portrait_menu.addAction(w.mixing_grid_action)
    portrait_menu.addSeparator()
    portrait_menu.addAction(w.paint_action)
    model_menu = mb.addMenu("&Model")
    model_menu.addActions([w.customize_action, w.train_action, w.blend_action])
    w.runs_menu = model_menu.addMenu(icon("fa6s.clock-rotate-left"), "Recent &runs")
    w.runs_menu.aboutToShow.connect(lambda: _fill_runs_menu(w))
    view_menu = mb.addMenu("&View")
    view_menu.addActions([w.zoom_in_action, w.zoom_out_action, w.fit_action, w.actual_action, w.compare_action])
    backend_menu = view_menu.addMenu("Preview &backend")
    group = QActionGroup(w)
    current = w.settings.value("preview/backend", "auto")
    for key, label in BACKEND_CHOICES.items():
        choice = backend_menu.addAction(label)
        choice.setCheckable(True)
        choice.setChecked(key == current)
        choice.setToolTip("Takes effect when the next model opens")
        choice.triggered.connect(lambda _=False, k=key: w.settings.setValue("preview/backend", k))
        group.addAction(choice)
    view_menu.addSeparator()
    for dock in w.findChildren(QDockWidget):
        view_menu.addAction(dock.toggleViewAction())

    bar = QToolBar("Main", objectName="main_toolbar", movable=False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    bar.addActions([w.open_action, w.export_action])
    bar.addSeparator()
    bar.addActions([undo, redo, w.reset_action])
    bar.addSeparator()
    bar.addActions([w.prev_seed_action, w.random_seed_action, w.next_seed_action])
    bar.addSeparator()
    bar.addActions([w.zoom_out_action, w.zoom_in_action, w.fit_action, w.actual_action, w.compare_action])
    bar.addSeparator()
    bar.addAction(w.paint_action)
    w.addToolBar(bar)


def _fill_recent_menu(w: MainWindow) -> None:
    w.recent_menu.clear()
    recent = w.session.recent_models()
    for path in recent:
        action = w.recent_menu.addAction(Path(path).name)
        action.setToolTip(path)
        action.triggered.connect(lambda _=False, p=path: w.open_model(p))
    w.recent_menu.setEnabled(True)
    if not recent:
        w.recent_menu.addAction("(none yet)").setEnabled(False)


def _fill_runs_menu(w: MainWindow) -> None:
    from studio.engine.train.runs import list_runs

    w.runs_menu.clear()
    runs = list_runs()[:MAX_RUNS]
    for run in runs:
        action = w.runs_menu.addAction(run.describe())
        action.setToolTip(f"{run.folder} (pictures: {run.data})")
        action.triggered.connect(lambda _=False, r=run: w.open_run(r))
    if not runs:
        w.runs_menu.addAction("(none yet)").setEnabled(False)
