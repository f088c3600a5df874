"""The studio window's commands as data: each action's name, words, shortcut, icon, tip and what it calls, and
where the menus and the toolbar show it (as napari's ``_qapp_model/qactions`` describe actions apart from the
window). ``menus.build_menus`` turns the table into QActions; nothing here holds a widget.

A command calls the window through ``StudioWindow``, the few parts and methods the actions need, so this module
never imports the window (``MainWindow`` fits the protocol as it is).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from studio.engine.model.checkpoints import GENRES_MODEL

if TYPE_CHECKING:
    from studio.engine.model.checkpoints import LoadedModel
    from studio.engine.session import Session
    from studio.engine.train.runs import Run
    from studio.ui.canvas.canvas import Canvas
    from studio.ui.document import PortraitDocument
    from studio.ui.panels.seed_browser import SeedBrowser

Key = QKeySequence.StandardKey | Qt.Key | str


class StudioWindow(Protocol):
    """What the commands call: the window's parts and its methods."""

    doc: PortraitDocument
    canvas: Canvas
    seeds: SeedBrowser
    paint_dock: QDockWidget
    settings: QSettings
    session: Session

    @property
    def model(self) -> LoadedModel | None: ...

    def choose_checkpoint(self) -> None: ...
    def open_model(self, path: str) -> None: ...
    def open_run(self, run: Run) -> None: ...
    def choose_recipe(self) -> None: ...
    def open_image_to_edit(self) -> None: ...
    def export_to_gallery(self) -> None: ...
    def choose_gallery_folder(self) -> None: ...
    def close(self) -> bool: ...
    def reset_edits(self) -> None: ...
    def drop_detail(self) -> None: ...
    def step_seed(self, step: int) -> None: ...
    def random_seed(self) -> None: ...
    def set_compare(self, on: bool) -> None: ...
    def show_mixing_grid(self) -> None: ...
    def open_customize(self) -> None: ...
    def open_train_window(self) -> object: ...
    def show_blend(self) -> None: ...


@dataclass(frozen=True)
class ActionSpec:
    """One command. ``run`` is called on a click or the shortcut; a checkable one's ``toggle`` gets the new state;
    ``adopt`` takes an action Qt already keeps in step (the undo stack's, a dock's show/hide) instead of a new
    one; ``enabled`` is asked again whenever the portrait or the model changes."""

    id: str
    text: str
    run: Callable[[StudioWindow], object] | None = None
    shortcut: Key | Sequence[Key] = ()
    icon: str | None = None
    tip: str = ""  # default: the words without "&" and "…"
    toggle: Callable[[StudioWindow, bool], None] | None = None
    adopt: Callable[[StudioWindow], QAction] | None = None
    enabled: Callable[[StudioWindow], bool] | None = None


K = QKeySequence.StandardKey

ACTIONS: tuple[ActionSpec, ...] = (
    # file
    ActionSpec("open", "&Open checkpoint…", lambda w: w.choose_checkpoint(), K.Open, "fa6s.folder-open"),
    ActionSpec("open_recipe", "Open &recipe…", lambda w: w.choose_recipe(), "Ctrl+Shift+O", "fa6s.file-import"),
    ActionSpec("default_model", "&Default model", lambda w: w.open_model("default"), icon="fa6s.brain"),
    ActionSpec("genres_model", "&Genre model (four genres)", lambda w: w.open_model("genres"), icon="fa6s.palette",
               tip="Portraits, still lifes, landscapes and cityscapes: one class-conditional model",
               enabled=lambda w: GENRES_MODEL.exists()),
    ActionSpec("open_image", "Open &image to edit…", lambda w: w.open_image_to_edit(), "Ctrl+I", "fa6s.file-image",
               "Project a picture into the model to edit it like a portrait"),
    ActionSpec("export", "&Export to gallery", lambda w: w.export_to_gallery(), "Ctrl+E", "fa6s.floppy-disk"),
    ActionSpec("gallery_folder", "Gallery &folder…", lambda w: w.choose_gallery_folder(), icon="fa6s.images"),
    ActionSpec("quit", "&Quit", lambda w: w.close(), K.Quit),
    # edit
    ActionSpec("undo", "&Undo", shortcut=K.Undo, icon="fa6s.rotate-left",
               adopt=lambda w: w.doc.undo_stack.createUndoAction(w, "&Undo")),
    ActionSpec("redo", "&Redo", shortcut=("Ctrl+Shift+Z", "Ctrl+Y"), icon="fa6s.rotate-right",
               adopt=lambda w: w.doc.undo_stack.createRedoAction(w, "&Redo")),
    ActionSpec("reset", "Reset &edits", lambda w: w.reset_edits(), "Ctrl+R", "fa6s.eraser", "Reset sliders and mixing",
               enabled=lambda w: w.doc.portrait.edited),
    ActionSpec("drop_detail", "Drop brush &detail", lambda w: w.drop_detail(), icon="fa6s.droplet-slash",
               tip="Render the projected picture from its latents alone: its fitted noise maps stay where the "
                   "original's strokes were, which shows as a ghost after big pose edits",
               enabled=lambda w: bool(w.doc.portrait.noise)),  # only a projected picture has any
    # portrait
    ActionSpec("prev_seed", "&Previous seed", lambda w: w.step_seed(-1), Qt.Key.Key_Left, "fa6s.chevron-left"),
    ActionSpec("next_seed", "&Next seed", lambda w: w.step_seed(1), Qt.Key.Key_Right, "fa6s.chevron-right"),
    ActionSpec("random_seed", "Ra&ndom seed", lambda w: w.random_seed(), "Ctrl+D", "fa6s.dice"),
    ActionSpec("prev_page", "Previous seed page", lambda w: w.seeds.previous_page(), Qt.Key.Key_Up),
    ActionSpec("next_page", "Next seed page", lambda w: w.seeds.next_page(), Qt.Key.Key_Down),
    ActionSpec("mixing_grid", "Style-mixing &grid…", lambda w: w.show_mixing_grid(), "Ctrl+G", "fa6s.border-all"),
    ActionSpec("paint", "&Paint colours", icon="fa6s.palette",
               tip="Paint target colours on the portrait and search for them",
               adopt=lambda w: w.paint_dock.toggleViewAction()),
    # model
    ActionSpec("customize", "&Customize model…", lambda w: w.open_customize(), "Ctrl+K", "fa6s.pen-nib",
               "Fine-tune the open model towards your sketches"),
    ActionSpec("train", "&Train on my pictures…", lambda w: w.open_train_window(), icon="fa6s.images",
               tip="Adapt the open model to a folder of your pictures, watching it learn"),
    ActionSpec("blend", "&Blend with base…", lambda w: w.show_blend(), icon="fa6s.sliders",
               tip="Blend a customized or trained model with the model it was made from",
               enabled=lambda w: w.model is not None and isinstance(w.model.card.get("customized"), dict)),
    # view
    ActionSpec("zoom_in", "Zoom &in", lambda w: w.canvas.zoom_in(), ("+", "="), "fa6s.magnifying-glass-plus"),
    ActionSpec("zoom_out", "Zoom &out", lambda w: w.canvas.zoom_out(), "-", "fa6s.magnifying-glass-minus"),
    ActionSpec("fit", "&Fit", lambda w: w.canvas.zoom_fit(), "F", "fa6s.expand"),
    ActionSpec("actual", "&1:1", lambda w: w.canvas.zoom_actual(), "1", "mdi6.image-size-select-actual",
               "Actual pixels"),
    ActionSpec("compare", "&Compare before/after", shortcut="C", icon="fa6s.table-columns",
               toggle=lambda w, on: w.set_compare(on)),
)

# Where each action shows, in order: "-" a separator; RECENT, RUNS, BACKENDS and DOCKS the menus filled from
# the session, the runs folder, the settings and the window's docks.
SEP, RECENT, RUNS, BACKENDS, DOCKS = "-", "<recent models>", "<recent runs>", "<preview backend>", "<docks>"
MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("open", "default_model", "genres_model", RECENT, SEP,
               "open_recipe", "open_image", "export", "gallery_folder", SEP, "quit")),
    ("&Edit", ("undo", "redo", "reset", "drop_detail")),
    ("&Portrait", ("prev_seed", "next_seed", "random_seed", "prev_page", "next_page", SEP, "mixing_grid", SEP,
                   "paint")),
    ("&Model", ("customize", "train", "blend", RUNS)),
    ("&View", ("zoom_in", "zoom_out", "fit", "actual", "compare", BACKENDS, SEP, DOCKS)),
)
TOOLBAR: tuple[str, ...] = ("open", "export", SEP, "undo", "redo", "reset", SEP, "prev_seed", "random_seed",
                            "next_seed", SEP, "zoom_out", "zoom_in", "fit", "actual", "compare", SEP, "paint")
BACKEND_CHOICES = {"auto": "Fastest available", "cuda": "onnxruntime CUDA", "cpu": "onnxruntime CPU",
                   "torch": "PyTorch"}
