"""The studio window's tools beside the portrait: the paint dock with the colour search, the style-mixing
grid, "open image to edit", the customize window, "train on my pictures" and the blend dock. Each opens on
the current model and follows model changes; the window closes them all before it goes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QVBoxLayout, QWidget

from studio.engine.edit.directions import Direction
from studio.engine.model.loaded import LoadedModel
from studio.ui.canvas.mask_painter import MaskPainter
from studio.ui.canvas.mask_tools import MaskTools
from studio.ui.dialogs.project_dialog import ProjectDialog, ask_image_path
from studio.ui.panels.search_panel import SearchPanel

if TYPE_CHECKING:
    from studio.engine.train.runs import Run
    from studio.ui.dialogs.mixing_grid import MixingGridDialog
    from studio.ui.runs.customize_window import CustomizeWindow
    from studio.ui.runs.train_window import TrainWindow


class WindowTools:
    """Mixed into ``MainWindow``: opens and closes the tool windows and docks."""

    def make_tools(self) -> None:
        self._grid_dialog: MixingGridDialog | None = None
        self._project_dialog: ProjectDialog | None = None
        self._customize_window: CustomizeWindow | None = None
        self._train_window: TrainWindow | None = None
        self._blend_dock: QDockWidget | None = None
        self._make_paint_tool()
        self.model_changed.connect(self._follow_model)

    def _follow_model(self, model: LoadedModel) -> None:
        self.mask_tools.set_resolution(model.G.resolution)
        self.search_panel.set_model(model)

    # --- paint colours and the colour search -----------------------------------------------------------

    def _make_paint_tool(self) -> None:
        """The mask painter over the canvas; its tools and the colour search share one dock, toggled as a tool."""
        self.painter = MaskPainter(self.canvas, self.doc.undo_stack)  # strokes join the document's history
        self.mask_tools = MaskTools(self.painter)
        self.search_panel = SearchPanel(self.doc, self.painter, self.tasks)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.addWidget(self.mask_tools)
        lay.addWidget(self.search_panel)
        lay.addStretch(1)
        # a tab beside the seeds (not needed while painting): opening it never moves or grows the window
        self.paint_dock = self.add_dock("Paint colours", box, Qt.DockWidgetArea.LeftDockWidgetArea, scroll=True)
        self.tabifyDockWidget(self.seed_dock, self.paint_dock)
        self.paint_dock.hide()
        toggle = self.paint_dock.toggleViewAction()
        toggle.setChecked(False)
        toggle.toggled.connect(self.painter.set_active)
        toggle.triggered.connect(lambda on: on and self.paint_dock.raise_())  # after the dock has shown
        self.search_panel.frame_ready.connect(self.canvas.set_image)
        self.search_panel.direction_saved.connect(self._add_saved_direction)
        self.session.on_directions.append(self.search_panel.set_directions)

    def _add_saved_direction(self, direction: Direction) -> None:
        self.session.add_direction(direction)
        self.sliders.set_directions(list(self.session.directions.values()), self.model.G.num_ws)

    # --- dialogs and windows ---------------------------------------------------------------------------

    def show_mixing_grid(self) -> None:
        from studio.ui.dialogs.mixing_grid import MixingGridDialog

        if self.model is not None:
            portrait = self.doc.portrait
            seed, k = portrait.base.seed or 0, portrait.class_index or 0
            other = portrait.mixing.other
            k_b = other.class_index if other is not None and other.class_index is not None else k
            self._grid_dialog = MixingGridDialog(self.model, rows=range(seed, seed + 4), parent=self,
                                                 classes=(k, k_b), transform=portrait.transform())
            self._grid_dialog.show()

    def open_image_to_edit(self) -> None:
        if self.model is not None:
            path = ask_image_path(self)
            if path is not None:
                self.edit_image(path)

    def edit_image(self, path: Path) -> ProjectDialog:
        """Project ``path`` into the open model in a dialog; "Use as portrait" makes it the current portrait."""
        if self._project_dialog is not None:
            self._project_dialog.done(0)
        self._project_dialog = ProjectDialog(self.model, self.doc, parent=self)
        self._project_dialog.open()
        self._project_dialog.open_image(path)
        return self._project_dialog

    def open_customize(self) -> None:
        """The sketch customization window for the open model (the one already open if it is training)."""
        from studio.ui.runs.customize_window import CustomizeWindow

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
        portrait = self.last_full[1] if self.last_full is not None else None
        self._customize_window = CustomizeWindow(self.model, portrait, parent=self,
                                                 class_index=self.doc.portrait.class_index)
        self._customize_window.model_offered.connect(self.offer_model)
        self._customize_window.show()

    def open_train_window(self, run: Run | None = None) -> TrainWindow:
        """"Train on my pictures" on the open model, or continuing ``run``; a window that is training stays."""
        from studio.ui.runs.train_window import TrainWindow

        old = self._train_window
        if old is not None and old.isVisible() and (old.running or run is None):
            old.raise_()
            old.activateWindow()
            return old
        if old is not None:
            old.close()
            old.deleteLater()
        self._train_window = TrainWindow(self.model, run, parent=self)
        self._train_window.model_offered.connect(self.offer_model)
        self._train_window.show()
        return self._train_window

    def open_run(self, run: Run) -> None:
        """A run from Model → Recent runs: a finished one opens its model, any other continues in the train window."""
        if not run.resumable and run.model and Path(run.model).is_file():
            self.open_model(run.model)
        else:
            self.open_train_window(run)

    def offer_model(self, path: str, open_now: bool = False) -> None:
        """A model made in the studio joins the recent models (the picker), and opens if asked."""
        self.session.remember_recent(path)
        if open_now:
            self.open_model(path)

    def show_blend(self) -> None:
        """The "Blend with base" dock, following the open model and the current seed."""
        from studio.ui.panels.blend_panel import BlendPanel

        if self._blend_dock is None:
            panel = BlendPanel(tasks=self.tasks)
            self._blend_dock = self.add_dock("Blend with base", panel, Qt.DockWidgetArea.RightDockWidgetArea,
                                             scroll=True)
            self.model_changed.connect(panel.set_model)
            self.doc.changed.connect(lambda p: panel.set_seed(p.base.seed or 0, p.psi, p.class_index))
            panel.set_seed(self.doc.portrait.base.seed or 0, self.doc.portrait.psi, self.doc.portrait.class_index)
            panel.set_model(self.model)
        self._blend_dock.show()
        self._blend_dock.raise_()

    def close_tools(self) -> bool:
        """Close the tool windows (each stops and waits for its own jobs); False if one asked to stay open."""
        if self._train_window is not None and not self._train_window.close():
            return False
        if self._grid_dialog is not None:
            self._grid_dialog.done(0)
        if self._project_dialog is not None:
            self._project_dialog.done(0)
        if self._customize_window is not None:
            self._customize_window.close()
        return True
