"""A page of seed thumbnails, rendered in the background a batch at a time; a click picks the portrait.

A class-conditional model adds a class picker (names from its card) above the page: the thumbnails show the
seeds in that class, and choosing another class asks for the current portrait in it (``class_chosen``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.edit.generate import render_seeds
from studio.engine.edit.portrait import DEFAULT_PSI
from studio.engine.edit.seeds import MAX_SEED
from studio.engine.images import fit_image
from studio.engine.jobs import CancelToken, Progress, ProgressFn
from studio.engine.model.labels import class_labels, class_title
from studio.ui.tasks import TaskRunner
from studio.ui.theme import icon, to_pixmap
from studio.ui.widgets.seed_box import SeedBox

THUMB_PX = 88


def render_thumbnails(
    G: torch.nn.Module, seeds: list[int], psi: float, size: int, class_index: int | None, progress: ProgressFn,
    token: CancelToken,
) -> None:
    """Report each seed's thumbnail (in class ``class_index`` of a conditional G) as a progress preview
    ``(seed, image)`` as soon as its batch is done."""
    c = class_labels(G, class_index)
    for i, (seed, img) in enumerate(render_seeds(G, seeds, psi, batch_size=4, token=token, c=c)):
        progress(Progress(i + 1, len(seeds), f"seed {seed}", preview=(seed, fit_image(img, size))))


class SeedBrowser(QWidget):
    """``page_size`` seeds from ``first``; ``seed_chosen`` fires when a thumbnail is clicked, ``class_chosen``
    when the user picks another class of a conditional model."""

    seed_chosen = Signal(object)  # int: seeds go past the 2³¹−1 of a Qt int
    class_chosen = Signal(int)

    def __init__(self, cols: int = 3, rows: int = 4, parent: QWidget | None = None,
                 tasks: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks if tasks is not None else TaskRunner(self)
        self.G: torch.nn.Module | None = None
        self.psi = DEFAULT_PSI
        self.first = 0
        self.current: int | None = None
        self.class_index: int | None = None  # the class the thumbnails are drawn in (None: unconditional)
        self.buttons: list[QPushButton] = []
        grid = QGridLayout()
        grid.setSpacing(4)
        for i in range(cols * rows):
            b = QPushButton(objectName="thumb", checkable=True)
            b.setIconSize(QSize(THUMB_PX, THUMB_PX))
            b.setFixedSize(THUMB_PX + 6, THUMB_PX + 6)
            b.clicked.connect(lambda _=False, i=i: self._clicked(i))
            self.buttons.append(b)
            grid.addWidget(b, i // cols, i % cols)
        self.prev_button = self._tool("fa6s.chevron-left", "Previous page", self.previous_page)
        self.next_button = self._tool("fa6s.chevron-right", "Next page", self.next_page)
        self.random_button = self._tool("fa6s.dice", "A random page", self.random_page)
        self.goto = SeedBox()
        self.goto.setToolTip("Go to seed N")
        self.goto.valueChanged.connect(self.go_to)
        self.range_label = QLabel(objectName="hint")
        self.class_box = QComboBox(objectName="class picker", minimumContentsLength=8)
        self.class_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lock_class(False)
        self.class_box.activated.connect(self._class_activated)
        self.class_row = QWidget()
        class_lay = QHBoxLayout(self.class_row)
        class_lay.setContentsMargins(0, 0, 0, 0)
        class_lay.addWidget(QLabel("Class"))
        class_lay.addWidget(self.class_box, 1)
        self.class_row.hide()
        nav = QHBoxLayout()
        for w in (self.prev_button, self.next_button, self.random_button):
            nav.addWidget(w)
        nav.addWidget(self.goto, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.class_row)
        lay.addLayout(nav)
        lay.addWidget(self.range_label)
        lay.addLayout(grid)
        lay.addStretch(1)

    def _tool(self, name: str, tip: str, slot) -> QToolButton:
        b = QToolButton(toolTip=tip)
        b.setIcon(icon(name))
        b.clicked.connect(slot)
        return b

    @property
    def page_size(self) -> int:
        return len(self.buttons)

    @property
    def seeds(self) -> list[int]:
        return [s for s in range(self.first, self.first + self.page_size) if s <= MAX_SEED]

    def set_model(
        self, G: torch.nn.Module, psi: float, classes: Sequence[str] = (), class_index: int | None = None
    ) -> None:
        """A new model; ``classes`` (a conditional model's names) show the picker at ``class_index``."""
        self.G, self.psi, self.class_index = G, psi, class_index
        self.class_box.clear()
        self.class_box.addItems([class_title(c) for c in classes])
        if class_index is not None:
            self.class_box.setCurrentIndex(class_index)
        self.class_row.setVisible(bool(classes))
        self.show_page(self.first)

    def set_class(self, class_index: int | None) -> None:
        """Draw the thumbnails in ``class_index`` (what the portrait now is); no signal."""
        if class_index is not None and class_index != self.class_index:
            self.class_index = class_index
            self.class_box.setCurrentIndex(class_index)
            self.show_page(self.first)

    def lock_class(self, locked: bool) -> None:
        """Switch the picker off while the portrait is a W+ found by a search or projection (the same picture
        in any class), on again for a seed."""
        self.class_box.setEnabled(not locked)
        self.class_box.setToolTip("This portrait was found as a W+ (a search or projection): it is the same "
                                  "picture in any class; pick a seed to choose its class" if locked else
                                  "The class of this class-conditional model the seeds are drawn in")

    def _class_activated(self, index: int) -> None:
        if index != self.class_index:
            self.set_class(index)
            self.class_chosen.emit(index)

    def set_psi(self, psi: float) -> None:
        if psi != self.psi:
            self.psi = psi
            self.show_page(self.first)

    def set_current(self, seed: int | None) -> None:
        """Highlight the portrait's seed; a new seed off this page turns to its page (a page the painter turned to
        stays while the same portrait is edited)."""
        if seed is not None and seed != self.current and seed not in self.seeds:
            self.current = seed
            self.show_page(seed - seed % self.page_size)  # highlights it
            return
        self.current = seed
        if seed is not None:
            self.goto.blockSignals(True)
            self.goto.setValue(seed)
            self.goto.blockSignals(False)
        for s, b in zip(self.seeds, self.buttons):
            b.setChecked(s == seed)

    def show_page(self, first: int) -> None:
        self.first = min(max(first, 0), MAX_SEED - self.page_size + 1)
        self.range_label.setText(f"Seeds {self.first}–{self.first + self.page_size - 1}")
        for s, b in zip(self.seeds, self.buttons):
            b.setIcon(icon("fa6s.image"))
            b.setToolTip(f"Seed {s}")
        self.set_current(self.current)
        if self.G is None:
            self.tasks.stop("seed page")
            return
        self.tasks.run(render_thumbnails, self.G, self.seeds, self.psi, THUMB_PX, self.class_index,
                       title="Seed thumbnails", owner="seed page", on_progress=self._thumb_ready)

    def _thumb_ready(self, p: Progress) -> None:
        seed, img = p.preview
        self.buttons[seed - self.first].setIcon(to_pixmap(img))

    def _clicked(self, i: int) -> None:
        seed = self.first + i
        self.set_current(seed)
        self.seed_chosen.emit(seed)

    def next_page(self) -> None:
        self.show_page(self.first + self.page_size)

    def previous_page(self) -> None:
        self.show_page(self.first - self.page_size)

    def random_page(self) -> None:
        self.show_page(random.randrange(0, MAX_SEED // self.page_size) * self.page_size)

    def go_to(self, seed: int) -> None:
        """Show the page holding ``seed`` and pick it."""
        self.show_page(seed - seed % self.page_size)
        self.set_current(seed)
        self.seed_chosen.emit(seed)

    def shutdown(self) -> None:
        self.tasks.stop("seed page")
