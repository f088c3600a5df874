"""The window's actions, built from their description: one typed object, every shortcut on the window, the menus
and the toolbar in the described order, and each enable rule asked again when the portrait or the model changes."""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QToolBar

from studio.engine.edit.seeds import MAX_SEED
from studio.ui.window.actions import ACTIONS, MENUS, SEP, TOOLBAR
from studio.ui.window.main_window import MainWindow
from studio.ui.window.menus import WindowActions
from tests.ui.helpers import opened_window, settle


def test_every_described_action_is_a_field_and_a_window_shortcut(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    acts = window.window_actions
    ids = [spec.id for spec in ACTIONS]
    assert [f.name for f in fields(WindowActions) if f.type == "QAction"] == ids  # one field per action, in order
    on_window = set(window.actions())
    for spec in ACTIONS:
        action = getattr(acts, spec.id)
        assert isinstance(action, QAction) and action in on_window and action.text() == spec.text
    assert acts.undo.shortcut().toString() == "Ctrl+Z" and [k.toString() for k in acts.redo.shortcuts()] == [
        "Ctrl+Shift+Z", "Ctrl+Y"]
    assert acts.paint is window.paint_dock.toggleViewAction() and acts.compare.isCheckable()


def test_menus_and_toolbar_follow_the_description(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    acts = window.window_actions
    menus = [a.menu() for a in window.menuBar().actions()]
    assert [m.title() for m in menus] == [title for title, _ in MENUS]
    assert menus[1].actions() == [acts.undo, acts.redo, acts.reset, acts.drop_detail]
    assert acts.recent_menu.menuAction() in menus[0].actions() and acts.runs_menu.menuAction() in menus[3].actions()
    bar = window.findChild(QToolBar, "main_toolbar")
    expected = [None if entry == SEP else getattr(acts, entry) for entry in TOOLBAR]
    assert [None if a.isSeparator() else a for a in bar.actions()] == expected
    view_docks = [a for a in menus[4].actions()[-len(window.findChildren(QDockWidget)):]]
    assert all(a.isEnabled() for a in view_docks)  # the dock entries are live choices, not greyed out
    acts.recent_menu.aboutToShow.emit()
    assert [a.text() for a in acts.recent_menu.actions()] == ["(none yet)"]


def test_enable_rules_follow_the_portrait(qtbot, tiny_model_path):
    window = opened_window(qtbot, tiny_model_path)
    acts = window.window_actions
    assert not acts.reset.isEnabled() and not acts.drop_detail.isEnabled() and not acts.blend.isEnabled()
    window.doc.commit(window.doc.portrait.with_slider("PC1", 1.0), "edit")
    assert acts.reset.isEnabled()
    acts.reset.trigger()
    assert not acts.reset.isEnabled()
    acts.compare.trigger()
    assert window.canvas.compare
    acts.compare.trigger()
    assert not window.canvas.compare


def test_the_window_takes_every_seed_the_engine_takes(qtbot, tiny_model_path):
    window = opened_window(qtbot, tiny_model_path)
    window.seeds.goto.setValue(MAX_SEED)  # past a QSpinBox's 2³¹−1, as the CLI allows
    window.window_actions.next_seed.trigger()  # clamps at the last seed
    assert window.doc.portrait.base.seed == MAX_SEED
    window.mixing.seed.setValue(3_000_000_000)
    assert window.doc.portrait.mixing.other.seed == 3_000_000_000
    settle(qtbot, window)
