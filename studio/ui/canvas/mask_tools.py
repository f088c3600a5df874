"""The mask painter's tools panel: brush, eraser, fill, keep mode, colour swatches, sizes, mask files.

Its shortcuts (P brush, E eraser, G fill, K keep mode, [ ] brush size, H show/hide masks) live on this
panel, so they work only while it is shown, i.e. while painting; F stays the window's Fit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from studio.engine.images import ImageError
from studio.engine.outputs import dialog_output
from studio.ui.canvas.mask_painter import MaskPainter
from studio.ui.theme import icon

SWATCHES = {
    "blue": "#2f5fd8", "pink": "#f08cb4", "blond": "#e6cc88", "green": "#3a9f5a", "red": "#c8302c",
    "gold": "#d4a017", "brown": "#6b4226", "black": "#1c1c1c", "white": "#f2f2f2",
}
PNG_FILTER = "PNG images (*.png);;All images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"


class MaskTools(QWidget):
    """The painter's controls and its shortcuts (live only while this panel is shown)."""

    def __init__(self, painter: MaskPainter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.painter = painter
        brush = painter.brush
        self.tool_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        tools = QHBoxLayout()
        for tool, text, key, icon_name in (("brush", "Paint", "P", "fa6s.paintbrush"),
                                           ("eraser", "Erase", "E", "fa6s.eraser"),
                                           ("fill", "Fill", "G", "fa6s.fill-drip")):
            action = self._action(f"{text} ({key})", key, icon_name, checkable=True)
            action.setChecked(tool == brush.tool)
            action.triggered.connect(lambda _=False, t=tool: setattr(brush, "tool", t))
            group.addAction(action)
            tools.addWidget(self._button(action))
            self.tool_actions[tool] = action
        self.keep_action = self._action("Keep mode (K): mark where the portrait must stay as it is", "K",
                                        "fa6s.lock", checkable=True)
        self.keep_action.toggled.connect(lambda on: setattr(brush, "keep", on))
        tools.addSpacing(12)
        tools.addWidget(self._button(self.keep_action))
        tools.addStretch(1)

        self.colour_button = QToolButton(toolTip="Choose the target colour")
        self.colour_button.setFixedSize(38, 38)
        self.colour_button.clicked.connect(self.choose_colour)
        swatches = QGridLayout()
        swatches.setSpacing(2)
        swatches.addWidget(self.colour_button, 0, 0, 2, 1)
        for i, (name, hex_) in enumerate(SWATCHES.items()):
            b = QToolButton(toolTip=name)
            b.setFixedSize(18, 18)
            b.setStyleSheet(f"background: {hex_}; border: 1px solid #555;")
            b.clicked.connect(lambda _=False, c=hex_: self.set_colour(QColor(c)))
            swatches.addWidget(b, i // 5, 1 + i % 5)
        self.set_colour(QColor(*brush.colour))

        res = painter.resolution
        self.brush_size = self._slider(1, max(res // 4, 2), round(brush.radius),
                                       lambda v: setattr(brush, "radius", float(v)))
        self.brush_size.setToolTip("Brush radius in picture pixels ([ and ])")
        self.hardness = self._slider(0, 100, round(brush.hardness * 100), lambda v: setattr(brush, "hardness", v / 100))
        self.hardness.setToolTip("Soft edge (0) to hard edge (100)")
        self.opacity = self._slider(1, 100, round(brush.opacity * 100), lambda v: setattr(brush, "opacity", v / 100))
        self.opacity.setToolTip("Weight of the paint: how much the search cares about it")
        self.fill_by = QComboBox(
            toolTip="What a fill floods: a region of similar colour in the portrait, or in the mask")
        self.fill_by.addItem("Portrait colours", "portrait")
        self.fill_by.addItem("Mask", "mask")
        self.fill_by.currentIndexChanged.connect(lambda _: setattr(brush, "fill_by", self.fill_by.currentData()))
        self.tolerance = self._slider(0, 255, brush.tolerance, lambda v: setattr(brush, "tolerance", v))
        self.tolerance.setToolTip("How different a colour a fill still crosses")

        self.show_action = self._action("Show masks (H)", "H", "fa6s.eye", checkable=True)
        self.show_action.setChecked(True)
        self.show_action.toggled.connect(painter.set_show_masks)
        show = QCheckBox("Show")
        show.setChecked(True)
        show.toggled.connect(self.show_action.setChecked)
        self.show_action.toggled.connect(show.setChecked)
        self.mask_opacity = self._slider(0, 100, round(painter.mask_opacity * 100),
                                         lambda v: painter.set_mask_opacity(v / 100))
        show_row = QHBoxLayout()
        show_row.addWidget(show)
        show_row.addWidget(self.mask_opacity, 1)

        for key, factor in (("[", 1 / 1.25), ("]", 1.25)):
            grow = self._action("Smaller brush" if key == "[" else "Larger brush", key)
            grow.triggered.connect(lambda _=False, f=factor: self._scale_size(f))

        clear = QToolButton(toolTip="Clear the mask being edited (colour or keep)", icon=icon("fa6s.trash-can"))
        clear.clicked.connect(lambda: painter.clear(brush.keep))
        files = QToolButton(text="Masks", icon=icon("fa6s.file-export"), toolTip="Import or export the masks as PNG")
        files.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        files.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(files)
        for keep, name in ((False, "colour"), (True, "keep")):
            menu.addAction(icon("fa6s.file-import"), f"Import {name} mask…", lambda k=keep: self._import(k))
            menu.addAction(icon("fa6s.file-export"), f"Export {name} mask…", lambda k=keep: self._export(k))
        files.setMenu(menu)
        buttons = QHBoxLayout()
        buttons.addWidget(clear)
        buttons.addWidget(files)
        buttons.addStretch(1)

        form = QFormLayout()
        form.addRow("Colour", swatches)
        form.addRow("Size", self.brush_size)
        form.addRow("Hardness", self.hardness)
        form.addRow("Opacity", self.opacity)
        form.addRow("Fill by", self.fill_by)
        form.addRow("Tolerance", self.tolerance)
        form.addRow("Masks", show_row)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(tools)
        lay.addLayout(form)
        lay.addLayout(buttons)

    def _action(self, text: str, key: str, icon_name: str | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, self, checkable=checkable)
        action.setShortcut(QKeySequence(key))
        if icon_name:
            action.setIcon(icon(icon_name))
        self.addAction(action)  # shortcuts only while this panel is visible, i.e. while painting
        return action

    @staticmethod
    def _button(action: QAction) -> QToolButton:
        b = QToolButton()
        b.setDefaultAction(action)
        return b

    @staticmethod
    def _slider(lo: int, hi: int, value: int, on_change) -> QLabeledSlider:
        s = QLabeledSlider(Qt.Orientation.Horizontal)
        s.setRange(lo, hi)
        s.setValue(value)
        s.valueChanged.connect(on_change)
        return s

    def set_resolution(self, resolution: int) -> None:
        """Fit the size slider to a model's resolution (masks follow through the painter)."""
        self.painter.set_resolution(resolution)
        self.brush_size.setMaximum(max(resolution // 4, 2))
        self.brush_size.setValue(max(round(resolution / 32), 1))

    def _scale_size(self, factor: float) -> None:
        v = self.brush_size.value()
        self.brush_size.setValue(max(round(v * factor), v + (1 if factor > 1 else -1)))  # always moves, even at 1-3 px

    def set_colour(self, colour: QColor) -> None:
        self.painter.brush.colour = (colour.red(), colour.green(), colour.blue())
        self.colour_button.setStyleSheet(f"background: {colour.name()}; border: 1px solid #888;")
        if self.painter.brush.keep:
            self.keep_action.setChecked(False)  # picking a colour means painting colour
        if self.painter.brush.tool == "eraser":
            self.tool_actions["brush"].trigger()

    def choose_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(*self.painter.brush.colour), self, "Target colour")
        if colour.isValid():
            self.set_colour(colour)

    def _import(self, keep: bool) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Import {'keep' if keep else 'colour'} mask", "", PNG_FILTER)
        if path:
            try:
                self.painter.import_mask(path, keep)
            except (ImageError, ValueError) as e:
                QMessageBox.warning(self, "Cannot import mask", str(e))

    def _export(self, keep: bool) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export {'keep' if keep else 'colour'} mask",
                                              f"{'keep' if keep else 'colour'}-mask.png", "PNG images (*.png)")
        if path:
            try:
                self.painter.export_mask(dialog_output(path, ".png", "PNG"), keep)
            except ValueError as e:  # the output policy's OutputError, or ImageError
                QMessageBox.warning(self, "Cannot export mask", str(e))
