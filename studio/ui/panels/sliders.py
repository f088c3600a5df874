"""Latent sliders: truncation and one row per direction (PCA first, then the user's saved ones).

Rows edit the document directly: while a slider is held they ``preview`` (the canvas follows at a low
level), on release they ``commit`` one undo step; undo/redo comes back through ``sync``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from studio.engine.edit.directions import Direction
from studio.engine.edit.latents import layer_indices
from studio.engine.edit.portrait import Portrait
from studio.engine.edit.ranges import SLIDER_RANGE
from studio.ui.document import PortraitDocument

LAYER_CHOICES = ("all", "coarse", "middle", "fine")
SLIDER_UNITS = 100  # slider steps per unit (one standard deviation for PCA directions)


class ValueSlider(QWidget):
    """A horizontal slider over floats with its value shown; ``moved(value, final)`` on drag and on release."""

    def __init__(self, lo: float, hi: float, fmt: str, on_move: Callable[[float, bool], None]) -> None:
        super().__init__()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(lo * SLIDER_UNITS), round(hi * SLIDER_UNITS))
        self.slider.setPageStep(SLIDER_UNITS // 4)
        self.label = QLabel(alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.label.setMinimumWidth(40)
        self.fmt = fmt
        self._on_move = on_move
        self.slider.valueChanged.connect(lambda _: self._changed(final=not self.slider.isSliderDown()))
        self.slider.sliderReleased.connect(lambda: self._changed(final=True))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        self.set_value(0.0)

    @property
    def value(self) -> float:
        return self.slider.value() / SLIDER_UNITS

    def set_value(self, value: float) -> None:
        """Show ``value`` without reporting a move."""
        self.slider.blockSignals(True)
        self.slider.setValue(round(value * SLIDER_UNITS))
        self.slider.blockSignals(False)
        self.label.setText(self.fmt.format(self.value))

    def _changed(self, final: bool) -> None:
        self.label.setText(self.fmt.format(self.value))
        self._on_move(self.value, final)


class DirectionRow(QWidget):
    """One direction: its name and the layers it moves (all, a group, or a typed range such as 2-5) on one line,
    its slider below across the panel's whole width (a short slider makes −3…+3 hard to hit)."""

    def __init__(self, direction: Direction, doc: PortraitDocument, num_ws: int) -> None:
        super().__init__()
        self.direction, self.doc, self.num_ws = direction, doc, num_ws
        self.layers = direction.layers
        self.value = ValueSlider(*SLIDER_RANGE, "{:+.2f}", self._moved)
        if direction.label:
            self.value.setToolTip(f"{direction.title}: what it moves most on the {direction.layers} layers, "
                                  "as measured for this model")
        self.combo = QComboBox(editable=True)
        self.combo.addItems(LAYER_CHOICES)
        self.combo.setToolTip("Layers this direction moves: all, coarse, middle, fine, or a range such as 2-5")
        self.combo.setFixedWidth(82)
        self.combo.setCurrentText(self.layers)
        self.combo.lineEdit().editingFinished.connect(lambda: self._layers_chosen(self.combo.currentText()))
        self.combo.activated.connect(self._layers_picked)
        self.title = QLabel(direction.title)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.combo)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 4)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.value)

    def _edited(self, value: float) -> Portrait:
        return self.doc.portrait.with_slider(self.direction.name, value, self.layers)

    def _moved(self, value: float, final: bool) -> None:
        if final:
            self.doc.commit(self._edited(value), f"{self.direction.name} {value:+.2f}")
        else:
            self.doc.preview(self._edited(value))

    def _layers_picked(self, index: int) -> None:
        """A choice from the list: the text field lets go of the keyboard, so ←/→ step the seed again."""
        self._layers_chosen(self.combo.itemText(index))
        self.combo.clearFocus()

    def _layers_chosen(self, text: str) -> None:
        text = text.strip().replace(" ", "")
        try:
            layer_indices(text, self.num_ws)
        except ValueError:
            self.combo.setCurrentText(self.layers)  # refuse quietly: the tooltip says what fits
            return
        if text != self.layers:
            self.layers = text
            if self.value.value:
                self.doc.commit(self._edited(self.value.value), f"{self.direction.name} on {text}")

    def sync(self, portrait: Portrait) -> None:
        edit = portrait.slider(self.direction.name)
        self.value.set_value(edit.value if edit else 0.0)
        if edit is not None:
            self.layers = edit.layers
            self.combo.setCurrentText(edit.layers)


class LatentSliders(QWidget):
    """Truncation plus a row per direction; ``set_directions`` rebuilds the rows for a new model."""

    def __init__(self, doc: PortraitDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.rows: dict[str, DirectionRow] = {}
        self.psi = ValueSlider(0.0, 1.5, "{:.2f}", self._psi_moved)
        self.psi.setToolTip("Truncation ψ: lower is more typical, higher more varied")
        top = QFormLayout()
        top.addRow("Variety", self.psi)
        self.status = QLabel("Directions appear here once the model is loaded.", objectName="hint", wordWrap=True)
        self.pca_box, self.pca_form = self._section("Directions in this model")
        self.pca_box.setToolTip("GANSpace: the principal components of the model's W space, strongest first")
        self.saved_box, self.saved_form = self._section("Saved directions")
        inner = QWidget()
        inner_lay = QVBoxLayout(inner)
        inner_lay.setContentsMargins(0, 0, 4, 0)
        inner_lay.addWidget(self.status)
        inner_lay.addWidget(self.pca_box)
        inner_lay.addWidget(self.saved_box)
        inner_lay.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(inner)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(scroll, 1)
        self.saved_box.setVisible(False)
        doc.changed.connect(self.sync)
        self.sync(doc.portrait)  # the document's truncation from the start, also while the first model loads

    @staticmethod
    def _section(title: str) -> tuple[QGroupBox, QFormLayout]:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return box, form

    def _psi_moved(self, value: float, final: bool) -> None:
        new = self.doc.portrait.with_psi(value)
        if final:
            self.doc.commit(new, f"Truncation {value:.2f}")
        else:
            self.doc.preview(new)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def set_directions(self, directions: list[Direction], num_ws: int) -> None:
        for form in (self.pca_form, self.saved_form):
            while form.rowCount():
                form.removeRow(0)
        self.rows = {}
        for d in directions:
            row = DirectionRow(d, self.doc, num_ws)
            (self.pca_form if d.kind == "pca" else self.saved_form).addRow(row)  # it says its own name
            self.rows[d.name] = row
        self.saved_box.setVisible(any(d.kind != "pca" for d in directions))
        self.sync(self.doc.portrait)

    def sync(self, portrait: Portrait) -> None:
        self.psi.set_value(portrait.psi)
        for row in self.rows.values():
            row.sync(portrait)
