"""The studio window: model picker, seed browser (with the class picker of a conditional model), canvas, sliders,
mixing, moving and turning (a StyleGAN3 model's picture), undo, export and autosave.

Data flows one way: widgets edit the ``PortraitDocument``; its ``changed``/``previewed`` signals make the
window compute W+ (through the engine ``Session``, which holds the model, its directions and the recent
models) and submit it to the latest-wins preview; frames come back to the canvas. Models load, directions
compute and exports write as tasks (ui/tasks.py), shown in the status bar, each with its own Cancel.
The actions are described in actions.py and built by menus.py into ``window_actions``; export and recipes are
in library.py, the tool windows and docks in tools.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QWidget,
)

from studio.engine import LoadedModel, load_model
from studio.engine.edit.directions import Direction, pca_directions
from studio.engine.edit.latents import group_notes
from studio.engine.edit.portrait import DEFAULT_PSI, Latent, Portrait
from studio.engine.edit.seeds import MAX_SEED
from studio.engine.library.recipe import portrait_recipe
from studio.engine.model.labels import class_title
from studio.engine.paths import user_data_dir
from studio.engine.preview.runtime import Backend
from studio.engine.session import Session
from studio.ui.canvas.canvas import Canvas
from studio.ui.document import PortraitDocument
from studio.ui.panels.gallery_panel import GalleryPanel
from studio.ui.panels.mixing_panel import MixingPanel
from studio.ui.panels.seed_browser import SeedBrowser
from studio.ui.panels.sliders import LatentSliders
from studio.ui.panels.view_panel import ViewPanel
from studio.ui.tasks import TaskRunner
from studio.ui.theme import icon
from studio.ui.widgets.task_bar import TaskBar
from studio.ui.window.autosave import Autosave
from studio.ui.window.library import WindowGallery
from studio.ui.window.menus import build_menus
from studio.ui.window.preview import Frame, Preview, first_backend
from studio.ui.window.tools import WindowTools

CHECKPOINT_FILTER = "Checkpoints (*.safetensors *.pt *.pth *.ckpt *.pkl);;All files (*)"


def load_for_studio(path: str, prefer: str, progress, token) -> tuple[LoadedModel, Backend]:
    """The job behind every model switch: read the checkpoint, then what draws it at once (torch, or onnxruntime
    when its export is cached); a first export follows the first picture as a task of its own."""
    model = load_model(path)
    token.check()
    return model, first_backend(model, prefer)


class _SettingsStore:
    """QSettings as the session's ``Store``."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.value(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self.settings.setValue(key, value)


class MainWindow(WindowGallery, WindowTools, QMainWindow):
    model_changed = Signal(object)  # LoadedModel
    directions_ready = Signal()
    exported = Signal(object)  # Path of the new gallery picture

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("GAN Studio")
        self.setWindowIcon(icon("fa6s.palette"))
        self.setAcceptDrops(True)
        self.settings = QSettings()
        self.session = Session(_SettingsStore(self.settings))
        self.tasks = TaskRunner(self)
        self.preview: Preview | None = None
        self._full: tuple[Portrait, np.ndarray] | None = None  # the last full-quality frame and its portrait
        self._when_drawn: Callable[[Portrait, np.ndarray], None] | None = None
        self._found = 0  # found pictures (W+) offered as portrait B so far, to name them
        self._seed_psi = DEFAULT_PSI  # the truncation of the last seed portrait: a found W+ is drawn at 1 (as found)
        self.doc = PortraitDocument(parent=self)
        self.autosave = Autosave(user_data_dir() / "autosave.json", parent=self)

        self.canvas = Canvas()
        self.setCentralWidget(self.canvas)
        self.seeds = SeedBrowser(tasks=self.tasks)
        self.sliders = LatentSliders(self.doc)
        self.mixing = MixingPanel(self.doc)
        self.view_panel = ViewPanel(self.doc)
        self.seed_dock = self.add_dock("Seeds", self.seeds, Qt.DockWidgetArea.LeftDockWidgetArea, scroll=True)
        self.slider_dock = self.add_dock("Latent sliders", self.sliders, Qt.DockWidgetArea.RightDockWidgetArea)
        self.mixing_dock = self.add_dock("Style mixing", self.mixing, Qt.DockWidgetArea.RightDockWidgetArea,
                                         scroll=True)
        self.view_dock = self.add_dock("Move and turn", self.view_panel, Qt.DockWidgetArea.RightDockWidgetArea,
                                       scroll=True)
        self.gallery = GalleryPanel(self.gallery_folder, tasks=self.tasks)
        self.gallery.open_recipe_requested.connect(self.open_recipe)
        self.gallery.export_scale.setValue(int(self.settings.value("export/scale", 1)))  # the painter's last choice
        self.gallery.export_scale.valueChanged.connect(lambda k: self.settings.setValue("export/scale", k))
        self.gallery_dock = self.add_dock("Gallery", self.gallery, Qt.DockWidgetArea.BottomDockWidgetArea)

        self.model_label, self.backend_label, self.fps_label = QLabel(), QLabel(), QLabel()
        for label in (self.model_label, self.backend_label, self.fps_label):
            self.statusBar().addPermanentWidget(label)
        self.statusBar().addPermanentWidget(TaskBar(self.tasks))
        self.make_tools()
        self.window_actions = build_menus(self)
        self.model_changed.connect(lambda _: self.window_actions.refresh())

        self.doc.changed.connect(self._on_changed)
        self.doc.previewed.connect(lambda p: self._render(p, dragging=True))
        self.seeds.seed_chosen.connect(self.choose_seed)
        self.seeds.class_chosen.connect(self.choose_class)
        self._restore_layout()
        self._show_view_dock(False)  # until a model that can move its picture opens (StyleGAN3)
        self.window_actions.paint.setChecked(not self.paint_dock.isHidden())  # a dock never shown sends no hide event

    # --- the session's state, as the widgets and tests read it ----------------------------------------

    @property
    def model(self) -> LoadedModel | None:
        return self.session.model

    @property
    def model_path(self) -> str | None:
        return self.session.model_path

    @property
    def last_full(self) -> tuple[Portrait, np.ndarray] | None:
        """The last frame drawn at full quality and the portrait it shows (not always the current one)."""
        return self._full

    def when_drawn(self, use: Callable[[Portrait, np.ndarray], None]) -> None:
        """Call ``use`` with the current portrait and its full-quality picture: now if it is on the canvas, else
        as soon as it is (the latest such request wins)."""
        if self._full is not None and self._full[0] == self.doc.portrait:
            use(*self._full)
        else:
            self._when_drawn = use
            self._render(self.doc.portrait)

    # --- layout ----------------------------------------------------------------------------------------

    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, scroll: bool = False) -> QDockWidget:
        """A dock for ``widget``; ``scroll``: inside a scroll area, so that a tall panel never makes the window
        taller than the screen (it scrolls instead), keeping its own width."""
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_").lower())
        if scroll:
            area_ = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
            area_.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area_.setWidget(widget)
            area_.setMinimumWidth(widget.minimumSizeHint().width() + area_.verticalScrollBar().sizeHint().width())
            widget = area_
        dock.setWidget(widget)
        feature = QDockWidget.DockWidgetFeature  # closable: View lists it as a live choice, not greyed out
        dock.setFeatures(feature.DockWidgetMovable | feature.DockWidgetFloatable | feature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _restore_layout(self) -> None:
        geometry, state = self.settings.value("window/geometry"), self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:  # 1400×900, or less on a smaller screen (a 1366×768 laptop)
            free = self.screen().availableGeometry()
            self.resize(min(1400, free.width() - 20), min(900, free.height() - 40))
        if state is not None:
            self.restoreState(state)
        self._first_layout = state is None  # the docks' first sizes are set once the window is shown

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's override)
        super().showEvent(event)
        if self._first_layout:
            self._first_layout = False
            QTimer.singleShot(0, self._size_docks)  # once the shown window has laid its docks out

    def _size_docks(self) -> None:
        """The docks' first sizes: style mixing at its own height (the sliders scroll), the gallery a fifth of
        the window at most."""
        self.resizeDocks([self.gallery_dock], [min(190, self.height() // 5)], Qt.Orientation.Vertical)
        self.resizeDocks([self.seed_dock, self.slider_dock], [300, 330], Qt.Orientation.Horizontal)
        column = self.slider_dock.height() + self.mixing_dock.height()  # sizes that fit: Qt scales any others
        mixing = min(self.mixing.sizeHint().height() + 12, column // 2)
        self.resizeDocks([self.slider_dock, self.mixing_dock], [column - mixing, mixing], Qt.Orientation.Vertical)

    # --- models ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open where the painter left off (the default model the first time), then offer back the document a
        crashed session left."""
        path, recipe = self.last_portrait()

        def opened() -> None:
            self.resume(recipe)
            self.offer_autosave()

        self.open_model(path, then=opened)

    def open_model(self, path: str, then: Callable[[], None] | None = None) -> None:
        """Load ``path`` (or "default") off the UI thread; on failure a dialog, and the current model stays."""
        self.statusBar().showMessage(f"Opening {Path(path).name}…")

        def loaded(result: tuple[LoadedModel, Backend]) -> None:
            self._install(*result, path)
            self.preview.speed_up(self.tasks, result[0], prefer)
            if then is not None:
                then()

        prefer = str(self.settings.value("preview/backend", "auto"))
        self.tasks.run(load_for_studio, str(path), prefer, title=f"Opening {Path(path).name}", owner="model",
                       on_done=loaded, on_error=lambda msg: self.warn("Cannot open model", msg))

    def choose_checkpoint(self) -> None:
        recent = self.session.recent_models()
        start = str(Path(recent[0]).parent) if recent else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", start, CHECKPOINT_FILTER)
        if path:
            self.open_model(path)

    def _install(self, model: LoadedModel, backend: Backend, path: str) -> None:
        if self.preview is not None:
            self.preview.close()
        self.preview = Preview(backend, parent=self, status=self.backend_label)
        self.preview.frame_ready.connect(self._on_frame)
        self.preview.failed.connect(lambda msg: self.statusBar().showMessage(f"Preview failed: {msg}", 8000))
        self.session.install(model, path)
        self.canvas.resolution = model.G.resolution
        classes = f" · {len(model.classes)} classes" if model.classes else ""
        kind = f" · StyleGAN3-{model.G.architecture[-1].upper()}" if self.session.movable else ""
        self.model_label.setText(f"{model.name} · {model.G.resolution} px{kind}{classes}")
        self.setWindowTitle(f"GAN Studio — {model.name}")
        self._full = None
        self.sliders.set_directions([], model.G.num_ws)
        self.mixing.set_groups(group_notes(model.G))
        self._show_view_dock(self.session.movable)
        old = self.doc.portrait
        keep_base = old.base.seed is not None or old.base.w_plus.shape == (model.G.num_ws, model.G.w_dim)
        base = old.base if keep_base else Latent(seed=0)
        k = old.class_index if old.class_index is not None and old.class_index < len(model.classes) else 0
        base = base.with_class(k if model.classes else None)  # a conditional model keeps the class it can
        self.seeds.set_model(model.G, self._seed_psi, model.classes, base.class_index)
        self.mixing.set_classes(model.classes, base.class_index)
        self.doc.replace(Portrait(base, old.psi))
        self._load_directions(model)
        self.model_changed.emit(model)
        self.statusBar().showMessage(f"Opened {model.name}", 4000)

    def _show_view_dock(self, movable: bool) -> None:
        """Move and turn shown for a model that can (StyleGAN3), hidden for one that cannot (View still lists it:
        shown by hand, it says why its controls are off)."""
        self.view_dock.setVisible(movable)
        self.view_panel.set_movable(movable)

    def _load_directions(self, model: LoadedModel) -> None:
        """PCA (computed once per model, then cached) plus the user's saved directions, in the background."""
        self.sliders.set_status("Finding the model's directions…")

        def done(found: list[Direction]) -> None:
            self.session.set_directions(found)
            self.sliders.set_directions(list(self.session.directions.values()), model.G.num_ws)
            self.sliders.set_status("")
            self._render(self.doc.portrait)
            self.directions_ready.emit()

        self.tasks.run(pca_directions, model.G, model.weights_hash, title="Principal directions", owner="directions",
                       on_done=done, on_error=lambda msg: self.sliders.set_status(f"No principal directions: {msg}"))

    # --- editing ---------------------------------------------------------------------------------------

    def choose_seed(self, seed: int) -> None:
        """Make ``seed`` (in the seed browser's class) the current portrait's base, keeping sliders, mixing and the
        truncation the painter chose for seeds (a found picture's 1.0 is its own, not a choice)."""
        old = self.doc.portrait
        self._remember(old)
        new = old.with_base(Latent(seed=seed, class_index=self.seeds.class_index)).with_psi(self._seed_psi)
        self.doc.commit(new, f"Seed {seed}")

    def choose_class(self, index: int) -> None:
        """Draw the current seed in class ``index`` of the conditional model (one undo step); a portrait found
        as a W+ (a search or projection) is that W+ in any class, so the picker is off for it."""
        old = self.doc.portrait
        if self.model is None or old.base.seed is None or old.class_index == index:
            return
        self._remember(old)
        self.doc.commit(old.with_class(index), f"Class {class_title(self.model.classes[index])}")

    def _remember(self, portrait: Portrait) -> None:
        """Offer the portrait being left as portrait B later: a seed, or a found picture (a projected painting's
        colours and texture on other portraits); B lends its W+ only, never its noise maps."""
        base = portrait.base
        if base.seed is not None:
            of_class = f" · {class_title(self.model.classes[base.class_index])}" if base.class_index is not None else ""
            self.mixing.remember(base, f"seed {base.seed}{of_class}")
        else:
            self._found += 1
            self.mixing.remember(base.without_noise(), f"found picture {self._found}")

    def step_seed(self, step: int) -> None:
        seed = self.doc.portrait.base.seed
        seed = self.seeds.first if seed is None else min(max(seed + step, 0), MAX_SEED)
        self.choose_seed(seed)

    def random_seed(self) -> None:
        self.choose_seed(random.randrange(MAX_SEED))

    def reset_edits(self) -> None:
        self.doc.commit(self.doc.portrait.without_edits(), "Reset edits")

    def drop_detail(self) -> None:
        """Drop a projected picture's noise maps (one undo step)."""
        self.doc.commit(self.doc.portrait.without_noise(), "Drop brush detail")

    def set_compare(self, on: bool) -> None:
        self.canvas.set_compare(on)
        self._render(self.doc.portrait)

    def _on_changed(self, portrait: Portrait) -> None:
        self.seeds.set_class(portrait.class_index)
        self.seeds.set_current(portrait.base.seed)
        if portrait.base.seed is not None:
            self._seed_psi = portrait.psi
        self.seeds.set_psi(self._seed_psi)
        self.seeds.lock_class(portrait.base.seed is None)
        self.window_actions.refresh()
        self._render(portrait)
        if self.model is not None:
            model, path = self.model, self.model_path
            self.autosave.schedule(lambda: {"recipe": portrait_recipe(model, portrait), "model_path": path})

    def _render(self, portrait: Portrait, dragging: bool = False) -> None:
        """Submit ``portrait`` to the preview (with its 'before' when comparing); frames arrive in ``_on_frame``."""
        if self.model is None or self.preview is None:
            return
        try:
            ws = self.session.render_ws(portrait, with_before=self.canvas.compare)
            transform = self.session.view_transform(portrait)
            level = "drag" if dragging else "full"  # the engine chose the drag's level for this model and machine
            # submit checks the noise maps against the model (a ValueError here, not on the render thread)
            self.preview.submit(ws, level=level, tag=(portrait, self.canvas.compare), noise=portrait.noise,
                                transform=transform)
        except KeyError as e:
            if self.session.directions_ready:  # not just waiting for the directions job
                self.statusBar().showMessage(f"Cannot show this portrait: {e.args[0]}.", 8000)
        except ValueError as e:
            self.statusBar().showMessage(f"Cannot show this portrait: {e}.", 8000)

    def _on_frame(self, frame: Frame) -> None:
        portrait, compare = frame.tag
        self.canvas.set_image(frame.image[0], frame.image[1] if compare and len(frame.image) > 1 else None)
        self.fps_label.setText(f"preview {1 / max(frame.seconds, 1e-3):.1f} fps ({frame.level})")
        if frame.level == "full" and portrait == self.doc.portrait:
            self._full = (portrait, frame.image[0])
            self.painter.set_portrait(frame.image[0])
            if self._when_drawn is not None:
                use, self._when_drawn = self._when_drawn, None
                use(*self._full)

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

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.close_tools():  # a training run asked, and the user stays
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.gallery.shutdown()
        self.tasks.shutdown()
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        self.remember_portrait()  # the next start opens here
        self.autosave.clear()  # a clean exit: nothing to offer back next time
        super().closeEvent(event)
