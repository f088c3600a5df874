"""Colour search: find the portrait whose colours match the paint (PULSE in W+), as one undoable edit.

The search runs on a worker; its preview frames go to the canvas as they arrive and a cancel keeps the best
step so far. The W+ it finds is final (truncation, mixing and slider edits are in it), so the document gets
``Portrait.from_w_plus(ws, psi=1)``: nothing is applied twice. No noise map is trained (``trainable_noise=0``): the
W+ change alone carries the edit, so "after − before" is a direction. A search from the portrait starts with the
noise maps it carries (a projection's detail) and the found portrait keeps them; a random start has none.
With a class-conditional model the search keeps to the portrait's class (its part of W), and the found
portrait records that class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.edit.directions import Direction, save_direction
from studio.engine.edit.portrait import Portrait
from studio.engine.invert.pulse import SearchResult, direction, search
from studio.engine.jobs import Progress
from studio.engine.model.labels import class_labels
from studio.engine.model.loaded import LoadedModel
from studio.ui.canvas.mask_painter import MaskPainter
from studio.ui.document import PortraitDocument
from studio.ui.tasks import Task, TaskRunner
from studio.ui.theme import icon
from studio.ui.widgets.run_controls import RunControls
from studio.ui.widgets.seed_box import SeedBox

PREVIEWS = 25  # frames a search sends to the canvas, whatever its length


class SearchPanel(QWidget):
    """Steps, start (this portrait or random), Search/Cancel, progress, how close it came, save as direction."""

    frame_ready = Signal(object)  # uint8 (H, W, 3): a step of the running search, for the canvas
    direction_saved = Signal(object)  # the saved Direction, for the sliders

    def __init__(self, doc: PortraitDocument, painter: MaskPainter, tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.painter, self.tasks = doc, painter, tasks
        self.model: LoadedModel | None = None
        self.directions: Mapping[str, Direction] = {}
        self._edit: tuple[torch.Tensor, torch.Tensor] | None = None  # (before, after) W+ of the last identity search

        self.steps = QSpinBox(minimum=5, maximum=2000, value=100, singleStep=10, suffix=" steps")
        self.steps.setToolTip("PULSE uses 100; more steps come closer to the paint")
        self.mode = QComboBox(minimumContentsLength=16)  # fits the seeds' column; the list shows the whole text
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.addItem(icon("fa6s.user-check"), "Keep identity (start from this portrait)", "identity")
        self.mode.addItem(icon("fa6s.shuffle"), "Anyone with these colours", "random")
        self.mode.setToolTip("Keep identity recolours this portrait; anyone with these colours starts from a random "
                             "seed, as PULSE does")
        self.seed = SeedBox(tracking=True)
        self.seed.setToolTip("Where a random start begins: the same seed with other paint gives the same person")
        self.mode.currentIndexChanged.connect(lambda _: self.seed.setEnabled(not self.identity))
        self.seed.setEnabled(False)
        self.controls = RunControls("Search", "fa6s.wand-magic-sparkles")
        self.controls.start_requested.connect(self.start)
        self.search_button = self.controls.button  # Search ⇄ Cancel
        self.report = QLabel("Paint the colours you want on the portrait, then search.", wordWrap=True,
                             objectName="hint")
        self.save_button = QPushButton(icon("fa6s.bookmark"), "Save as direction…")
        self.save_button.setToolTip("Keep this search's change (after − before) as a slider for any portrait")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(lambda: self.save_as_direction())

        form = QFormLayout()
        form.addRow("Steps", self.steps)
        form.addRow("Start", self.mode)
        form.addRow("", self.seed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(form)
        lay.addWidget(self.controls)
        lay.addWidget(self.report)
        lay.addWidget(self.save_button)

    @property
    def identity(self) -> bool:
        return self.mode.currentData() == "identity"

    @property
    def worker(self) -> Task | None:
        return self.tasks.task("colour search")

    @property
    def running(self) -> bool:
        return self.worker is not None

    def set_model(self, model: LoadedModel | None) -> None:
        """A new model: a running search is dropped (its result would not fit) and the last edit forgotten."""
        self.tasks.drop("colour search")
        self.model, self.directions, self._edit = model, {}, None
        self.save_button.setEnabled(False)

    def set_directions(self, directions: Mapping[str, Direction]) -> None:
        self.directions = directions

    # --- searching -------------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the search; the best step so far still becomes the portrait."""
        self.tasks.cancel("colour search")

    def start(self) -> None:
        if self.model is None or self.running:
            return
        paint = self.painter.paint_mask()
        if not paint[..., 3].any():
            self.report.setText("Paint some colour on the portrait first (Paint tool), then search.")
            return
        G = self.model.G
        k = self.doc.portrait.class_index
        try:
            before = self.doc.portrait.ws(G, self.directions)
            c = class_labels(G, k)
        except (KeyError, ValueError) as e:
            self.report.setText(f"Cannot search from this portrait: {e.args[0]}.")
            return
        keep = self.painter.keep_mask()
        steps = self.steps.value()
        kwargs = (dict(start_ws=before, start_noise=dict(self.doc.portrait.noise), keep=keep if keep.any() else None)
                  if self.identity else dict(seed=self.seed.value()))
        start = before if self.identity else None
        view = self.doc.portrait  # the paint lies on the picture as moved and turned: the search renders it so
        self.controls.attach(self.tasks.run(
            search, G, paint, steps=steps, trainable_noise=0, preview_every=max(1, steps // PREVIEWS),
            title="Colour search", owner="colour search", on_progress=self._progressed, c=c,
            transform=view.transform(), on_done=lambda r: self._found(r, start, k, view),
            on_error=lambda msg: self.report.setText(f"The search failed: {msg}"), **kwargs,
        ))
        unused = " (a random start has nothing to keep: the keep mask is unused)"
        note = "" if self.identity or not keep.any() else unused
        self.report.setText(f"Searching…{note}")

    def _progressed(self, p: Progress) -> None:
        if p.preview is not None:
            self.frame_ready.emit(p.preview)
        if "l2_mask" in p.metrics:
            self.report.setText(f"Step {p.done}/{p.total}: {_off(p.metrics['l2_mask'])} off your colours.")

    def _found(self, result: SearchResult, before: torch.Tensor | None, class_index: int | None,
               view: Portrait) -> None:
        if result.steps_done == 0:
            self.report.setText("Cancelled before the first step: the portrait is unchanged.")
            self.doc.commit(self.doc.portrait, "")  # an unchanged commit redraws it over the search's frames
            return
        found = Portrait.from_w_plus(result.ws, class_index=class_index, noise=result.noise)
        self.doc.commit(found.with_view(view.translate, view.rotate), "Colour search")
        self._edit = (before, result.ws) if before is not None else None
        self.save_button.setEnabled(self._edit is not None)
        verdict = "close enough by PULSE's test" if result.reached else "not within PULSE's ε"
        self.report.setText(
            f"{'Stopped' if result.cancelled else 'Done'} after {result.steps_done} steps: {_near(result.l2_in_mask)} "
            f"({_off(result.l2_in_mask)} off in the painted area). Undo (Ctrl+Z) brings the old portrait back."
        )
        self.report.setToolTip(
            f"The best step is kept. Painted area: {math.sqrt(max(result.l2_in_mask, 0.0)) * 255:.0f}/255 off on "
            f"average; weighted L2 {result.l2:.4f}, {verdict} {result.eps:g}.")

    # --- directions ------------------------------------------------------------------------------------

    def save_as_direction(self, name: str | None = None) -> Direction | None:
        """Store the last identity search's change (after − before) as a saved direction named ``name`` (or asked)."""
        if self._edit is None or self.model is None:
            return None
        if name is None:
            name, ok = QInputDialog.getText(self, "Save as direction", "Name for this change (e.g. “blond hair”):")
            if not ok:
                return None
        try:
            saved = save_direction(self.model.weights_hash, name, direction(self._edit[1], self._edit[0]), "all")
        except (ValueError, OSError) as e:
            QMessageBox.warning(self, "Cannot save direction", str(e))
            return None
        self.report.setText(f"Saved “{saved.name}”: it is among the saved directions in the sliders.")
        self.direction_saved.emit(saved)
        return saved


def _off(l2: float) -> str:
    """A mean squared colour error in [0, 1]² units as a percentage of the colour range (what a painter reads)."""
    return f"about {math.sqrt(max(l2, 0.0)) * 100:.0f} %"


def _near(l2: float) -> str:
    """How close the picture came to the paint, in words."""
    off = math.sqrt(max(l2, 0.0))
    return ("very close to your colours" if off < 0.04 else "close to your colours" if off < 0.1 else
            "near your colours; more steps come closer" if off < 0.2 else
            "still far from your colours; more steps or softer paint help")

