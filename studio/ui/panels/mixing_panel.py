"""Style mixing: pick portrait B (a seed, or one from this session's history), then per group how much of B.

With a class-conditional model, B's seed has a class of its own (a picker beside the seed), so a portrait's
coarse layers can take a landscape's fine ones. Each group's tooltip says which layers it holds in the open model
(``latents.group_notes``: resolutions, or a StyleGAN3 model's sampling rates and sizes); a group the model lacks
is off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QVBoxLayout, QWidget

from studio.engine.edit.portrait import Latent, Mixing, Portrait
from studio.engine.model.architecture import GROUPS
from studio.engine.model.labels import class_title
from studio.ui.document import PortraitDocument
from studio.ui.panels.sliders import ValueSlider
from studio.ui.widgets.seed_box import SeedBox

_HINTS = {
    "coarse": "Pose, face shape, composition",
    "middle": "Features, hair, brush strokes",
    "fine": "Colours, texture",
}


class MixingPanel(QWidget):
    """Edits ``portrait.mixing`` through the document: toggles commit at once, strength drags preview first."""

    def __init__(self, doc: PortraitDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.seed = SeedBox()
        self.seed.setToolTip("Portrait B: the seed whose styles are mixed in")
        self.seed.valueChanged.connect(lambda s: self._set_other(self._seed_b()))
        self.b_class = QComboBox()  # on a row of its own: a conditional model must not widen the panel
        self.b_class.setToolTip("The class portrait B's seed is drawn in")
        self.b_class.activated.connect(lambda _: self._set_other(self._seed_b()))
        self.history = QComboBox(minimumWidth=72)
        self.history.setToolTip("Portrait B from the portraits you visited")
        self.history.setPlaceholderText("from history…")
        self.history.activated.connect(lambda i: self._set_other(self.history.itemData(i)))
        b_row = QHBoxLayout()
        b_row.addWidget(self.seed, 1)
        b_row.addWidget(self.history, 1)
        self.form = form = QFormLayout()
        form.addRow("Portrait B", b_row)
        form.addRow("B's class", self.b_class)
        form.setRowVisible(self.b_class, False)
        self.toggles: dict[str, QCheckBox] = {}
        self.strengths: dict[str, ValueSlider] = {}
        for name in GROUPS:
            toggle = QCheckBox(name.capitalize(), toolTip=_HINTS[name])  # the model's layers join it (set_groups)
            toggle.toggled.connect(
                lambda on, n=name: self._commit(self._mixing().with_group(n, enabled=on), f"Mix {n}"))
            strength = ValueSlider(0.0, 1.0, "{:.2f}", lambda v, final, n=name: self._strength(n, v, final))
            self.toggles[name], self.strengths[name] = toggle, strength
            form.addRow(toggle, strength)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addStretch(1)
        doc.changed.connect(self.sync)
        self.sync(doc.portrait)

    def set_groups(self, notes: Mapping[str, str]) -> None:
        """A new model's layer groups (``latents.group_notes``): what each holds in the tooltip, a group the model
        lacks (a small model's fine layers) off."""
        for name, note in notes.items():
            has = bool(note)
            self.toggles[name].setToolTip(f"{_HINTS[name]}: {note}" if has else
                                          f"{_HINTS[name]}: this model has no {name} layers")
            self.toggles[name].setEnabled(has)
            self.strengths[name].setEnabled(has)

    def set_classes(self, classes: Sequence[str], class_index: int | None) -> None:
        """A new model: a conditional one's class names for B's picker, starting at ``class_index``."""
        self.b_class.clear()
        self.b_class.addItems([class_title(c) for c in classes])
        if class_index is not None:
            self.b_class.setCurrentIndex(class_index)
        self.form.setRowVisible(self.b_class, bool(classes))

    def _seed_b(self) -> Latent:
        """Portrait B as the seed and class pickers show it."""
        k = self.b_class.currentIndex()
        return Latent(seed=self.seed.value(), class_index=k if k >= 0 else None)

    def _mixing(self) -> Mixing:
        mixing = self.doc.portrait.mixing
        return mixing if mixing.other is not None else Mixing(self._seed_b(), mixing.groups)

    def _commit(self, mixing: Mixing, text: str) -> None:
        self.doc.commit(self.doc.portrait.with_mixing(mixing), text)

    def _set_other(self, other: Latent) -> None:
        self._commit(Mixing(other, self.doc.portrait.mixing.groups), "Choose portrait B")

    def _strength(self, name: str, value: float, final: bool) -> None:
        mixing = self._mixing().with_group(name, strength=value)
        if final:
            self._commit(mixing, f"Mix {name} {value:.2f}")
        else:
            self.doc.preview(self.doc.portrait.with_mixing(mixing))

    def remember(self, latent: Latent, label: str) -> None:
        """Offer ``latent`` as portrait B later (newest first, no repeats)."""
        for i in range(self.history.count()):
            if self.history.itemData(i) == latent:
                self.history.removeItem(i)
                break
        self.history.insertItem(0, label, latent)
        while self.history.count() > 30:
            self.history.removeItem(self.history.count() - 1)
        self.history.setCurrentIndex(-1)

    def sync(self, portrait: Portrait) -> None:
        mixing = portrait.mixing
        widgets = [self.seed, self.b_class, *self.toggles.values()]
        for w in widgets:
            w.blockSignals(True)
        if mixing.other is not None and mixing.other.seed is not None:
            self.seed.setValue(mixing.other.seed)
        if mixing.other is not None and mixing.other.class_index is not None:
            self.b_class.setCurrentIndex(mixing.other.class_index)
        for name, g in zip(GROUPS, mixing.groups):
            self.toggles[name].setChecked(g.enabled)
            self.strengths[name].set_value(g.strength)
        for w in widgets:
            w.blockSignals(False)
