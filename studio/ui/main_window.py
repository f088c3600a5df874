"""The studio window: model picker, seed browser, canvas, sliders, mixing, undo, export and autosave.

Data flows one way: widgets edit the ``PortraitDocument``; its ``changed``/``previewed`` signals make the
window compute W+ and submit it to the latest-wins preview; frames come back to the canvas. Models load,
directions compute and exports write on worker threads, shown in the status bar with a Cancel button.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable, Optional

import torch
from PySide6.QtCore import QSettings, QStandardPaths, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QToolBar, QVBoxLayout, QWidget

from ..engine import LoadedModel, load_model
from ..engine.edit.directions import Direction, pca_directions, saved_directions
from ..engine.edit.portrait import Latent, Portrait
from ..engine.library.gallery import GalleryError, export_picture, read_recipe
from ..engine.paths import user_data_dir
from .autosave import Autosave
from .canvas import Canvas
from .document import PortraitDocument
from .job_status import JobStatus
from .mask_painter import MaskPainter, MaskTools
from .mixing_panel import MixingPanel
from .preview import Frame, Preview, make_backend
from .project_dialog import ProjectDialog, ask_image_path
from .search_panel import SearchPanel
from .seed_browser import MAX_SEED, SeedBrowser
from .sliders import LatentSliders
from .theme import icon

CHECKPOINT_FILTER = "Checkpoints (*.safetensors *.pt *.pth *.ckpt *.pkl);;All files (*)"
MAX_RECENT = 8
BACKEND_CHOICES = {"auto": "Fastest available", "cuda": "onnxruntime CUDA", "cpu": "onnxruntime CPU", "torch": "PyTorch"}


def load_for_studio(path: str, prefer: str, progress, token) -> tuple[LoadedModel, object]:
    """The job behind every model switch: read the checkpoint, then open its preview backend."""
    model = load_model(path)
    if model.classes:  # until the window has a class picker, the command line's --class is the way in
        raise ValueError(f"{model.path}: a class-conditional model ({len(model.classes)} classes); the window "
                         "cannot choose a class yet, the command line can (studio generate --class NAME).")
    token.check()
    return model, make_backend(model, prefer, progress, token)


def _preview_level(resolution: int, dragging: bool) -> str:
    if not dragging or resolution < 512:
        return "full"
    return "quarter" if resolution >= 1024 else "half"


class MainWindow(QMainWindow):
    model_changed = Signal(object)  # LoadedModel
    directions_ready = Signal()
    frame_shown = Signal(object)  # the Frame now on the canvas
    exported = Signal(object)  # Path of the new gallery picture

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("GAN Studio")
        self.setWindowIcon(icon("fa6s.palette"))
        self.setAcceptDrops(True)
        self.settings = QSettings()
        self.model: Optional[LoadedModel] = None
        self.model_path: Optional[str] = None
        self.preview: Optional[Preview] = None
        self.directions: dict[str, Direction] = {}
        self._directions_for: Optional[str] = None  # the weights hash the directions belong to
        self._last_full: Optional[tuple[Portrait, object]] = None  # the last full-quality frame and its portrait
        self._export_waiting = False
        self._grid_dialog: Optional[QWidget] = None
        self._project_dialog: Optional[ProjectDialog] = None
        self._customize_window: Optional[QWidget] = None
        self._blend_dock: Optional[QDockWidget] = None
        self.doc = PortraitDocument(parent=self)
        self.autosave = Autosave(user_data_dir() / "autosave.json", parent=self)

        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        self.seeds = SeedBrowser()
        self.sliders = LatentSliders(self.doc)
        self.mixing = MixingPanel(self.doc)
        self.seed_dock = self._dock("Seeds", self.seeds, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.slider_dock = self._dock("Latent sliders", self.sliders, Qt.DockWidgetArea.RightDockWidgetArea)
        self.mixing_dock = self._dock("Style mixing", self.mixing, Qt.DockWidgetArea.RightDockWidgetArea)
        self.gallery = self._make_gallery_panel()

        self.jobs = JobStatus()
        self.model_label, self.backend_label, self.fps_label = QLabel(), QLabel(), QLabel()
        for label in (self.model_label, self.backend_label, self.fps_label):
            self.statusBar().addPermanentWidget(label)
        self.statusBar().addPermanentWidget(self.jobs)
        self._make_paint_tool()
        self._build_actions()

        self.doc.changed.connect(self._on_changed)
        self.doc.previewed.connect(lambda p: self._render(p, dragging=True))
        self.seeds.seed_chosen.connect(self.choose_seed)
        self._restore_layout()
        self.paint_action.setChecked(not self.paint_dock.isHidden())  # a dock never shown sends no hide event

    # --- layout ----------------------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_").lower())
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _make_gallery_panel(self) -> Optional[QWidget]:
        try:
            from .gallery_panel import GalleryPanel
        except ImportError:
            return None
        panel = GalleryPanel(self.gallery_folder)
        panel.open_recipe_requested.connect(self.open_recipe)
        self.gallery_dock = self._dock("Gallery", panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        return panel

    def _action(self, text: str, slot: Callable, shortcut=None, icon_name: Optional[str] = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setToolTip(tip or text.replace("…", "").replace("&", ""))
        action.triggered.connect(lambda *_: slot())
        self.addAction(action)  # shortcuts work while any dock has focus
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence(K.Undo))
        undo.setIcon(icon("fa6s.rotate-left"))
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        redo.setIcon(icon("fa6s.rotate-right"))
        self.addActions([undo, redo])
        self.undo_action, self.redo_action = undo, redo
        a = self._action
        self.open_action = a("&Open checkpoint…", self.choose_checkpoint, K.Open, "fa6s.folder-open")
        self.open_recipe_action = a("Open &recipe…", self.choose_recipe, "Ctrl+Shift+O", "fa6s.file-import")
        self.default_action = a("&Default model", lambda: self.open_model("default"), icon_name="fa6s.brain")
        self.export_action = a("&Export to gallery", self.export_to_gallery, "Ctrl+E", "fa6s.floppy-disk")
        self.gallery_folder_action = a("Gallery &folder…", self.choose_gallery_folder, icon_name="fa6s.images")
        self.quit_action = a("&Quit", self.close, K.Quit)
        self.reset_action = a("Reset &edits", self.reset_edits, "Ctrl+R", "fa6s.eraser", "Reset sliders and mixing")
        self.prev_seed_action = a("&Previous seed", lambda: self.step_seed(-1), Qt.Key.Key_Left, "fa6s.chevron-left")
        self.next_seed_action = a("&Next seed", lambda: self.step_seed(1), Qt.Key.Key_Right, "fa6s.chevron-right")
        self.random_seed_action = a("Ra&ndom seed", self.random_seed, "Ctrl+D", "fa6s.dice")
        self.prev_page_action = a("Previous seed page", self.seeds.previous_page, Qt.Key.Key_Up)
        self.next_page_action = a("Next seed page", self.seeds.next_page, Qt.Key.Key_Down)
        self.zoom_in_action = a("Zoom &in", self.canvas.zoom_in, ["+", "="], "fa6s.magnifying-glass-plus")
        self.zoom_out_action = a("Zoom &out", self.canvas.zoom_out, "-", "fa6s.magnifying-glass-minus")
        self.fit_action = a("&Fit", self.canvas.zoom_fit, "F", "fa6s.expand")
        self.actual_action = a("&1:1", self.canvas.zoom_actual, "1", "mdi6.image-size-select-actual", "Actual pixels")
        self.compare_action = a("&Compare before/after", self.toggle_compare, "C", "fa6s.table-columns")
        self.compare_action.setCheckable(True)
        self.mixing_grid_action = self._mixing_grid_action()
        self.open_image_action = a("Open &image to edit…", self.open_image_to_edit, "Ctrl+I", "fa6s.file-image",
                                   "Project a picture into the model to edit it like a portrait")
        self.customize_action = a("&Customize model…", self.open_customize, "Ctrl+K", "fa6s.pen-nib",
                                  "Fine-tune the open model towards your sketches")
        self.blend_action = a("&Blend with base…", self.show_blend, None, "fa6s.sliders",
                              "Blend a customized model with the model it was made from")
        self.blend_action.setEnabled(False)
        self.model_changed.connect(self._on_model_for_tools)

        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addActions([self.open_action, self.default_action])
        self.recent_menu = file_menu.addMenu(icon("fa6s.clock-rotate-left"), "Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.open_recipe_action, self.open_image_action, self.export_action, self.gallery_folder_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = mb.addMenu("&Edit")
        edit_menu.addActions([undo, redo, self.reset_action])
        portrait_menu = mb.addMenu("&Portrait")
        portrait_menu.addActions([self.prev_seed_action, self.next_seed_action, self.random_seed_action,
                                  self.prev_page_action, self.next_page_action])
        if self.mixing_grid_action is not None:
            portrait_menu.addSeparator()
            portrait_menu.addAction(self.mixing_grid_action)
        portrait_menu.addSeparator()
        portrait_menu.addAction(self.paint_action)
        model_menu = mb.addMenu("&Model")
        model_menu.addActions([self.customize_action, self.blend_action])
        view_menu = mb.addMenu("&View")
        view_menu.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action, self.actual_action,
                              self.compare_action])
        backend_menu = view_menu.addMenu("Preview &backend")
        group = QActionGroup(self)
        current = self.settings.value("preview/backend", "auto")
        for key, label in BACKEND_CHOICES.items():
            choice = backend_menu.addAction(label)
            choice.setCheckable(True)
            choice.setChecked(key == current)
            choice.setToolTip("Takes effect when the next model opens")
            choice.triggered.connect(lambda _=False, k=key: self.settings.setValue("preview/backend", k))
            group.addAction(choice)
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())

        bar = QToolBar("Main", objectName="main_toolbar", movable=False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        bar.addActions([self.open_action, self.export_action])
        bar.addSeparator()
        bar.addActions([undo, redo, self.reset_action])
        bar.addSeparator()
        bar.addActions([self.prev_seed_action, self.random_seed_action, self.next_seed_action])
        bar.addSeparator()
        bar.addActions([self.zoom_out_action, self.zoom_in_action, self.fit_action, self.actual_action,
                        self.compare_action])
        bar.addSeparator()
        bar.addAction(self.paint_action)
        self.addToolBar(bar)

    def _mixing_grid_action(self) -> Optional[QAction]:
        try:
            from .mixing_grid import MixingGridDialog
        except ImportError:
            return None

        def show() -> None:
            if self.model is not None:
                seed = self.doc.portrait.base.seed or 0
                self._grid_dialog = MixingGridDialog(self.model, rows=range(seed, seed + 4), parent=self)
                self._grid_dialog.show()

        return self._action("Style-mixing &grid…", show, "Ctrl+G", "fa6s.border-all")

    # --- customization ---------------------------------------------------------------------------------

    def open_customize(self) -> None:
        """The sketch customization window for the open model (the one already open if it is training)."""
        from .customize_window import CustomizeWindow

        old = self._customize_window
        if old is not None and old.isVisible() and (old.running or old.model is self.model):
            old.raise_()
            old.activateWindow()
            return
        if self.model is None:
            return
        if old is not None:
            old.close()
            old.deleteLater()
        portrait = self._last_full[1] if self._last_full is not None else None
        self._customize_window = CustomizeWindow(self.model, portrait, parent=self)
        self._customize_window.model_offered.connect(self.offer_model)
        self._customize_window.show()

    def offer_model(self, path: str, open_now: bool = False) -> None:
        """A model made in the studio joins the recent models (the picker), and opens if asked."""
        self._remember_recent(path)
        if open_now:
            self.open_model(path)

    def show_blend(self) -> None:
        """The "Blend with base" dock, following the open model and the current seed."""
        from .model_blend import BlendPanel

        if self._blend_dock is None:
            panel = BlendPanel()
            self._blend_dock = self._dock("Blend with base", panel, Qt.DockWidgetArea.RightDockWidgetArea)
            self._blend_dock.setFeatures(self._blend_dock.features() | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.model_changed.connect(panel.set_model)
            self.doc.changed.connect(lambda p: panel.set_seed(p.base.seed or 0, p.psi))
            panel.set_seed(self.doc.portrait.base.seed or 0, self.doc.portrait.psi)
            panel.set_model(self.model)
        self._blend_dock.show()
        self._blend_dock.raise_()

    def _on_model_for_tools(self, model: LoadedModel) -> None:
        self.blend_action.setEnabled(isinstance(model.card.get("customized"), dict))

    # --- paint colours, search latents, edit real images -----------------------------------------------

    def _make_paint_tool(self) -> None:
        """The mask painter over the canvas; its tools and the colour search share one dock, toggled as a tool."""
        self.painter = MaskPainter(self.canvas, self.doc.undo_stack)  # strokes join the document's history
        self.mask_tools = MaskTools(self.painter)
        self.search_panel = SearchPanel(self.doc, self.painter, self.jobs)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.addWidget(self.mask_tools)
        lay.addWidget(self.search_panel)
        lay.addStretch(1)
        self.paint_dock = self._dock("Paint colours", box, Qt.DockWidgetArea.RightDockWidgetArea)
        self.paint_dock.setFeatures(self.paint_dock.features() | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.paint_dock.hide()
        self.paint_action = self.paint_dock.toggleViewAction()
        self.paint_action.setText("&Paint colours")
        self.paint_action.setIcon(icon("fa6s.palette"))
        self.paint_action.setToolTip("Paint target colours on the portrait and search for them")
        self.paint_action.setChecked(False)
        self.paint_action.toggled.connect(self.painter.set_active)
        self.search_panel.frame_ready.connect(self.canvas.set_image)
        self.search_panel.direction_saved.connect(self._add_saved_direction)
        self.model_changed.connect(self._paint_tool_model)
        self.directions_ready.connect(lambda: self.search_panel.set_directions(self.directions))

    def _paint_tool_model(self, model: LoadedModel) -> None:
        self.mask_tools.set_resolution(model.G.resolution)
        self.search_panel.set_model(model)

    def _add_saved_direction(self, direction: Direction) -> None:
        self.directions[direction.name] = direction
        if self.model is not None:
            self.sliders.set_directions(list(self.directions.values()), self.model.G.num_ws)

    def open_image_to_edit(self) -> None:
        if self.model is not None:
            path = ask_image_path(self)
            if path is not None:
                self.edit_image(path)

    def edit_image(self, path: Path) -> ProjectDialog:
        """Project ``path`` into the open model in a dialog; "Use as portrait" makes it the current portrait."""
        if self._project_dialog is not None:
            self._project_dialog.done(0)
        self._project_dialog = ProjectDialog(self.model, self.doc, self.jobs, parent=self)
        self._project_dialog.open()
        self._project_dialog.open_image(path)
        return self._project_dialog

    def _restore_layout(self) -> None:
        geometry, state = self.settings.value("window/geometry"), self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        if state is not None:
            self.restoreState(state)
            return
        self.resizeDocks([self.slider_dock, self.mixing_dock], [620, 150], Qt.Orientation.Vertical)
        self.resizeDocks([self.seed_dock, self.slider_dock], [300, 330], Qt.Orientation.Horizontal)
        if self.gallery is not None:
            self.resizeDocks([self.gallery_dock], [190], Qt.Orientation.Vertical)

    # --- models ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the default model, then offer back the document a crashed session left."""
        self.open_model("default", then=self.offer_autosave)

    def open_model(self, path: str, then: Optional[Callable[[], None]] = None) -> None:
        """Load ``path`` (or "default") off the UI thread; on failure a dialog, and the current model stays."""
        self.statusBar().showMessage(f"Opening {Path(path).name}…")

        def loaded(result: tuple[LoadedModel, object]) -> None:
            self._install(*result, path)
            if then is not None:
                then()

        prefer = str(self.settings.value("preview/backend", "auto"))
        self.jobs.start(f"Opening {Path(path).name}", load_for_studio, str(path), prefer, on_result=loaded,
                        on_error=lambda msg: self._warn("Cannot open model", msg))

    def choose_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", self._last_dir(), CHECKPOINT_FILTER)
        if path:
            self.open_model(path)

    def _install(self, model: LoadedModel, backend: object, path: str) -> None:
        if self.preview is not None:
            self.preview.close()
        self.model, self.model_path = model, path
        self.preview = Preview(backend, parent=self)
        self.preview.frame_ready.connect(self._on_frame)
        self.preview.failed.connect(lambda msg: self.statusBar().showMessage(f"Preview failed: {msg}", 8000))
        self.canvas.resolution = model.G.resolution
        self.model_label.setText(f"{model.name} · {model.G.resolution} px")
        self.backend_label.setText(self.preview.backend_name)
        self.setWindowTitle(f"GAN Studio — {model.name}")
        self.settings.setValue(f"model_hashes/{model.weights_hash}", path)
        if path != "default":
            self._remember_recent(path)
        self.directions, self._directions_for, self._last_full = {}, None, None
        self.sliders.set_directions([], model.G.num_ws)
        old = self.doc.portrait
        keep_base = old.base.seed is not None or old.base.w_plus.shape == (model.G.num_ws, model.G.w_dim)
        self.doc.replace(Portrait(old.base if keep_base else Latent(seed=0), old.psi))
        self.seeds.set_model(model.G, self.doc.portrait.psi)
        self._load_directions(model)
        self.model_changed.emit(model)
        self.statusBar().showMessage(f"Opened {model.name}", 4000)

    def _load_directions(self, model: LoadedModel) -> None:
        """PCA (computed once per model, then cached) plus the user's saved directions, in the background."""
        self.sliders.set_status("Finding principal directions…")

        def done(found: list[Direction]) -> None:
            if self.model is not model:
                return  # a newer model replaced this one meanwhile
            found = found + saved_directions(model.weights_hash)
            self.directions, self._directions_for = {d.name: d for d in found}, model.weights_hash
            self.sliders.set_directions(found, model.G.num_ws)
            self.sliders.set_status("")
            self._render(self.doc.portrait)
            self.directions_ready.emit()

        self.jobs.start("Principal directions", pca_directions, model.G, model.weights_hash, on_result=done,
                        on_error=lambda msg: self.sliders.set_status(f"No principal directions: {msg}"))

    def _remember_recent(self, path: str) -> None:
        recent = [p for p in self.recent_models() if p != path]
        self.settings.setValue("recent_models", [path, *recent][:MAX_RECENT])

    def recent_models(self) -> list[str]:
        value = self.settings.value("recent_models") or []
        return [value] if isinstance(value, str) else list(value)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_models():
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_model(p))
        self.recent_menu.setEnabled(True)
        if not self.recent_models():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _last_dir(self) -> str:
        recent = self.recent_models()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    # --- editing ---------------------------------------------------------------------------------------

    def choose_seed(self, seed: int) -> None:
        """Make ``seed`` the current portrait's base, keeping truncation, sliders and mixing."""
        old = self.doc.portrait
        if old.base.seed is not None:
            self.mixing.remember(old.base, f"seed {old.base.seed}")
        self.doc.commit(old.with_base(Latent(seed=seed)), f"Seed {seed}")

    def step_seed(self, step: int) -> None:
        seed = self.doc.portrait.base.seed
        seed = self.seeds.first if seed is None else min(max(seed + step, 0), MAX_SEED)
        self.choose_seed(seed)

    def random_seed(self) -> None:
        self.choose_seed(random.randrange(MAX_SEED))

    def reset_edits(self) -> None:
        self.doc.commit(self.doc.portrait.without_edits(), "Reset edits")

    def toggle_compare(self) -> None:
        self.canvas.set_compare(self.compare_action.isChecked())
        self._render(self.doc.portrait)

    def _on_changed(self, portrait: Portrait) -> None:
        self.seeds.set_current(portrait.base.seed)
        self.seeds.set_psi(portrait.psi)
        self.reset_action.setEnabled(portrait.edited)
        self._render(portrait)
        if self.model is not None:
            model = self.model
            self.autosave.schedule(lambda: {"recipe": portrait.to_recipe(model), "model_path": self.model_path})

    def _render(self, portrait: Portrait, dragging: bool = False) -> None:
        """Submit ``portrait`` to the preview (with its 'before' when comparing); frames arrive in ``_on_frame``."""
        if self.model is None or self.preview is None:
            return
        G = self.model.G
        try:
            ws = portrait.ws(G, self.directions)
            if self.canvas.compare:
                ws = torch.cat([ws, portrait.without_edits().ws(G)])
        except KeyError as e:
            if self._directions_for == self.model.weights_hash:  # not just waiting for the directions job
                self.statusBar().showMessage(f"Cannot show this portrait: {e.args[0]}.", 8000)
            return
        except ValueError as e:
            self.statusBar().showMessage(f"Cannot show this portrait: {e}.", 8000)
            return
        level = _preview_level(G.resolution, dragging)
        self.preview.submit(ws, level=level, tag=(self.preview, portrait, self.canvas.compare))

    def _on_frame(self, frame: Frame) -> None:
        preview, portrait, compare = frame.tag
        if preview is not self.preview:
            return  # a late frame from the model that was open before
        self.canvas.set_image(frame.image[0], frame.image[1] if compare and len(frame.image) > 1 else None)
        self.fps_label.setText(f"preview {1 / max(frame.seconds, 1e-3):.1f} fps ({frame.level})")
        if frame.level == "full" and portrait == self.doc.portrait:
            self._last_full = (portrait, frame.image[0])
            if self._export_waiting:
                self.export_to_gallery()
        self.frame_shown.emit(frame)

    # --- gallery ---------------------------------------------------------------------------------------

    @property
    def gallery_folder(self) -> Path:
        default = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)) / "GAN Studio"
        return Path(self.settings.value("gallery_folder", str(default)))

    def set_gallery_folder(self, folder: Path) -> None:
        self.settings.setValue("gallery_folder", str(folder))
        if self.gallery is not None:
            self.gallery.set_folder(folder)

    def choose_gallery_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Gallery folder", str(self.gallery_folder))
        if folder:
            self.set_gallery_folder(Path(folder))

    def export_to_gallery(self) -> None:
        """Write what the canvas shows at full quality, with its recipe; waits for that frame if need be."""
        if self.model is None:
            return
        portrait = self.doc.portrait
        if self._last_full is None or self._last_full[0] != portrait:
            self._export_waiting = True
            self._render(portrait)
            return
        self._export_waiting = False
        image, recipe, folder = self._last_full[1], portrait.to_recipe(self.model), self.gallery_folder

        def write(progress, token) -> Path:
            return export_picture(folder, image, recipe)

        def done(path: Path) -> None:
            self.statusBar().showMessage(f"Exported {path.name} to {folder}", 6000)
            if self.gallery is not None:
                self.gallery.set_folder(folder)
            self.exported.emit(path)

        self.jobs.start("Exporting", write, on_result=done,
                        on_error=lambda msg: self._warn("Cannot export", f"{folder}: {msg}"))

    def choose_recipe(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open recipe", str(self.gallery_folder), "Pictures (*.png *.json)")
        if path:
            self.open_recipe_file(Path(path))

    def open_recipe_file(self, path: Path) -> None:
        try:
            recipe = read_recipe(path)
        except GalleryError as e:
            self._warn("Cannot open recipe", str(e))
            return
        self.open_recipe(recipe, path)

    def open_recipe(self, recipe: dict, source: Optional[Path] = None) -> None:
        """Make a recipe's portrait current (one undo step), loading the model it needs if we know where it is."""
        where = str(source) if source is not None else "The recipe"
        try:
            portrait = Portrait.from_recipe(recipe)
        except ValueError as e:
            self._warn("Cannot open recipe", f"{where}: {e}.")
            return
        wanted = recipe.get("model_hash")
        if self.model is not None and wanted in (None, self.model.weights_hash):
            self.doc.commit(portrait, "Open recipe")
            return
        path = self.settings.value(f"model_hashes/{wanted}")
        if not path or (path != "default" and not Path(path).is_file()):
            name = recipe.get("model", "unknown")
            self._warn("Model needed", f"{where} was made with the model “{name}”, which is not among your "
                       "recent models; open that checkpoint first, then the recipe again.")
            return

        def loaded() -> None:
            if self.model.weights_hash == wanted:
                self.doc.commit(portrait, "Open recipe")
            else:
                self._warn("Model needed", f"{path} no longer holds the model that {where} was made with.")

        self.open_model(path, then=loaded)

    # --- autosave --------------------------------------------------------------------------------------

    def offer_autosave(self) -> None:
        """After a crash, offer the unsaved document back; either way the old autosave is then gone."""
        data = self.autosave.pending()
        if data is None or not isinstance(data.get("recipe"), dict):
            return
        answer = QMessageBox.question(self, "Restore portrait",
                                      "GAN Studio did not close properly last time. Restore the portrait you were working on?")
        recipe = data["recipe"]
        self.autosave.clear()
        if answer == QMessageBox.StandardButton.Yes:
            self.open_recipe(recipe, self.autosave.path)

    # --- drag and drop, messages, closing -------------------------------------------------------------

    def dragEnterEvent(self, e: QDragEnterEvent) -> None:  # noqa: N802
        if e.mimeData().hasUrls() and any(u.isLocalFile() for u in e.mimeData().urls()):
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent) -> None:  # noqa: N802
        files = [Path(u.toLocalFile()) for u in e.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_file(files[0])
            e.acceptProposedAction()

    def open_file(self, path: Path) -> None:
        """A dropped file: a gallery picture opens its recipe, anything else is tried as a checkpoint."""
        if path.suffix.lower() in (".png", ".json"):
            self.open_recipe_file(path)
        else:
            self.open_model(str(path))

    def _warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        if self._grid_dialog is not None:
            self._grid_dialog.done(0)
        if self._project_dialog is not None:
            self._project_dialog.done(0)
        if self._customize_window is not None:
            self._customize_window.close()
        if self._blend_dock is not None:
            self._blend_dock.widget().shutdown()
        if self.gallery is not None:
            self.gallery.shutdown()
        self.jobs.shutdown()
        self.seeds.shutdown()
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        self.autosave.clear()  # a clean exit: nothing to offer back next time
        super().closeEvent(event)
