"""The window's actions built from their description (``actions.py``) into one ``WindowActions``, with the menu
bar and the toolbar. Every action is added to the window as well, so its shortcut works while a dock has focus."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar

from studio.ui.theme import icon
from studio.ui.window.actions import (
    ACTIONS,
    BACKEND_CHOICES,
    BACKENDS,
    DOCKS,
    MENUS,
    RECENT,
    RUNS,
    SEP,
    TOOLBAR,
    ActionSpec,
    StudioWindow,
)

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_RUNS = 10


@dataclass(eq=False)
class WindowActions:
    """The window's actions, one field per ``ActionSpec.id``, and the two menus filled when they open."""

    open: QAction
    open_recipe: QAction
    default_model: QAction
    genres_model: QAction
    open_image: QAction
    export: QAction
    gallery_folder: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    reset: QAction
    drop_detail: QAction
    prev_seed: QAction
    next_seed: QAction
    random_seed: QAction
    prev_page: QAction
    next_page: QAction
    mixing_grid: QAction
    paint: QAction
    customize: QAction
    train: QAction
    blend: QAction
    zoom_in: QAction
    zoom_out: QAction
    fit: QAction
    actual: QAction
    compare: QAction
    recent_menu: QMenu
    runs_menu: QMenu
    _rules: list[tuple[QAction, Callable[[], bool]]] = field(default_factory=list)

    def refresh(self) -> None:
        """Enable each action whose rule holds now (the window calls it when the portrait or the model changes)."""
        for action, holds in self._rules:
            action.setEnabled(holds())


def _make(window: QMainWindow, spec: ActionSpec) -> QAction:
    studio = cast(StudioWindow, window)
    action = spec.adopt(studio) if spec.adopt is not None else QAction(window)
    action.setText(spec.text)
    keys = [spec.shortcut] if isinstance(spec.shortcut, (str, Qt.Key, QKeySequence.StandardKey)) else spec.shortcut
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    if spec.icon:
        action.setIcon(icon(spec.icon))
    if spec.tip or spec.adopt is None:
        action.setToolTip(spec.tip or spec.text.replace("…", "").replace("&", ""))
    if spec.run is not None:
        action.triggered.connect(lambda *_: spec.run(studio))
    if spec.toggle is not None:
        action.setCheckable(True)
        action.triggered.connect(lambda checked=False: spec.toggle(studio, checked))
    window.addAction(action)
    return action


def build_menus(window: QMainWindow) -> WindowActions:
    """Make the actions of ``window`` (the studio's main window, a ``StudioWindow``), its menus and toolbar."""
    studio = cast(StudioWindow, window)
    made = {spec.id: _make(window, spec) for spec in ACTIONS}
    rules = [(made[s.id], partial(s.enabled, studio)) for s in ACTIONS if s.enabled is not None]
    actions = WindowActions(**made, recent_menu=QMenu("Open &recent", window), runs_menu=QMenu("Recent &runs", window),
                            _rules=rules)
    actions.recent_menu.setIcon(icon("fa6s.clock-rotate-left"))
    actions.recent_menu.aboutToShow.connect(lambda: _fill_recent_menu(actions.recent_menu, studio))
    actions.runs_menu.setIcon(icon("fa6s.clock-rotate-left"))
    actions.runs_menu.aboutToShow.connect(lambda: _fill_runs_menu(actions.runs_menu, studio))
    special = {RECENT: actions.recent_menu, RUNS: actions.runs_menu}
    for title, entries in MENUS:
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry == SEP:
                menu.addSeparator()
            elif entry in special:
                menu.addMenu(special[entry])
            elif entry == BACKENDS:
                _add_backend_menu(menu, studio)
            elif entry == DOCKS:
                menu.addActions([dock.toggleViewAction() for dock in window.findChildren(QDockWidget)])
            else:
                menu.addAction(made[entry])
    bar = QToolBar("Main", objectName="main_toolbar", movable=False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for entry in TOOLBAR:
        if entry == SEP:
            bar.addSeparator()
        else:
            bar.addAction(made[entry])
    window.addToolBar(bar)
    actions.refresh()
    return actions


def _add_backend_menu(view_menu: QMenu, w: StudioWindow) -> None:
    """Preview backend: a choice kept in the settings, used when the next model opens."""
    menu = view_menu.addMenu("Preview &backend")
    group = QActionGroup(menu)
    current = w.settings.value("preview/backend", "auto")
    for key, label in BACKEND_CHOICES.items():
        choice = menu.addAction(label)
        choice.setCheckable(True)
        choice.setChecked(key == current)
        choice.setToolTip("Takes effect when the next model opens")
        choice.triggered.connect(lambda _=False, k=key: w.settings.setValue("preview/backend", k))
        group.addAction(choice)


def _fill_recent_menu(menu: QMenu, w: StudioWindow) -> None:
    menu.clear()
    recent = w.session.recent_models()
    for path in recent:
        action = menu.addAction(Path(path).name)
        action.setToolTip(path)
        action.triggered.connect(lambda _=False, p=path: w.open_model(p))
    if not recent:
        menu.addAction("(none yet)").setEnabled(False)


def _fill_runs_menu(menu: QMenu, w: StudioWindow) -> None:
    from studio.engine.train.runs import list_runs

    menu.clear()
    runs = list_runs()[:MAX_RUNS]
    for run in runs:
        action = menu.addAction(run.describe())
        action.setToolTip(f"{run.folder} (pictures: {run.data})")
        action.triggered.connect(lambda _=False, r=run: w.open_run(r))
    if not runs:
        menu.addAction("(none yet)").setEnabled(False)
