"""The style-mixing dialog: pick sources A and B and the layer groups, render the paper's grid, export it.

With a class-conditional model each side has its class (A's rows in one, B's columns in another), so the grid
shows, say, portraits' coarse layers with landscapes' fine ones. A StyleGAN3 model's groups follow its layers'
sampling rates, and its pictures are moved and turned as the canvas shows them (``transform``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.engine.edit.latents import group_notes
from studio.engine.edit.mixing import mixing_grid
from studio.engine.edit.seeds import parse_seeds
from studio.engine.images import save_png
from studio.engine.jobs import CancelToken, ProgressFn
from studio.engine.model.architecture import GROUPS
from studio.engine.model.labels import class_labels, class_title
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.stylegan2 import Generator
from studio.engine.outputs import dialog_output
from studio.ui.tasks import TaskRunner
from studio.ui.theme import to_qimage
from studio.ui.widgets.run_controls import RunControls

MAX_SOURCES = 8  # per side: a 1024 px model's 9 x 9 sheet is already ~250 MB
PREVIEW_MAX = 2048  # the preview is scaled on the worker, so the UI thread never touches the full sheet
BATCH = 4  # small batches: cancel (and closing the dialog) waits for at most one


def seeds_text(seeds: Sequence[int]) -> str:
    """[0, 1, 2, 3, 7] -> '0-3,7': the form ``parse_seeds`` reads back."""
    seeds = list(seeds)
    parts: list[str] = []
    start = 0
    while start < len(seeds):
        end = start
        while end + 1 < len(seeds) and seeds[end + 1] == seeds[end] + 1:
            end += 1
        run = seeds[start : end + 1]
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 2 else ",".join(map(str, run)))
        start = end + 1
    return ",".join(parts)


def _render(
    G: Generator, rows: list[int], cols: list[int], layers: str, strength: float, psi: float,
    rows_c: torch.Tensor | None, cols_c: torch.Tensor | None, transform: torch.Tensor | None,
    progress: ProgressFn, token: CancelToken,
) -> tuple[np.ndarray, QImage]:
    """The job: the full-resolution sheet for export, plus a preview no larger than PREVIEW_MAX."""
    grid = mixing_grid(G, rows, cols, layers, strength, psi, batch_size=BATCH, progress=progress, token=token,
                       rows_c=rows_c, cols_c=cols_c, transform=transform)
    sheet = grid.to_image()
    preview = to_qimage(sheet)
    if max(sheet.shape[:2]) > PREVIEW_MAX:
        preview = preview.scaled(PREVIEW_MAX, PREVIEW_MAX, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
    return sheet, preview


def _export(path: Path, sheet: np.ndarray, progress: ProgressFn, token: CancelToken) -> Path:
    save_png(path, sheet)
    return path


class MixingGridDialog(QDialog):
    """Style mixing as in the StyleGAN paper: each cell is an A row with the chosen groups of a B column.

    ``classes``: the classes of A and of B for a conditional model (default: its first class for both);
    ``transform``: a StyleGAN3 model's input transform for every picture (the canvas's), None for none."""

    def __init__(
        self,
        model: LoadedModel,
        rows: Sequence[int] = (1, 2, 3, 4),
        cols: Sequence[int] = (10, 11, 12, 13),
        parent: QWidget | None = None,
        classes: tuple[int, int] = (0, 0),
        transform: torch.Tensor | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.transform = transform
        self.sheet: np.ndarray | None = None  # the last rendered grid, full resolution
        self.seeds: tuple[list[int], list[int]] = ([], [])  # its A (rows) and B (columns) seeds, to label it
        self._pending: tuple[list[int], list[int]] = ([], [])
        self._preview = QPixmap()
        self.setWindowTitle(f"Style mixing: {model.name}")

        self.rows_edit = QLineEdit(seeds_text(rows))
        self.cols_edit = QLineEdit(seeds_text(cols))
        for edit in (self.rows_edit, self.cols_edit):
            edit.setPlaceholderText("e.g. 1,5,9 or 10-13")  # Enter renders: Render is the default button
        self.group_boxes = self._group_boxes()
        self.strength = self._spin(0.0, 1.0, 1.0, "How far B's styles replace A's: 0 keeps A, 1 copies B")
        self.psi = self._spin(0.0, 1.5, 0.7, "Truncation ψ for the seeds: lower is more typical, higher more varied")
        groups = QHBoxLayout()
        for box in self.group_boxes.values():
            groups.addWidget(box)
        self.rows_class, self.cols_class = (self._class_box(k, side) for k, side in zip(classes, "AB"))
        form = QFormLayout()
        form.addRow("Sources A (rows)", self.rows_edit)
        if model.classes:
            form.addRow("Class of A", self.rows_class)
        form.addRow("Sources B (columns)", self.cols_edit)
        if model.classes:
            form.addRow("Class of B", self.cols_class)
        form.addRow("Copy from B", groups)
        form.addRow("Strength", self.strength)
        form.addRow("Truncation ψ", self.psi)

        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #e06060")
        self.status = QLabel(wordWrap=True)
        self.tasks = TaskRunner(self)
        self.controls = RunControls("Render", "fa6s.border-all")
        self.controls.start_requested.connect(self.render)
        self.picture = QLabel("Render to see the grid.", alignment=Qt.AlignmentFlag.AlignCenter)
        self.scroll = QScrollArea(widgetResizable=True)
        self.scroll.setWidget(self.picture)
        self.scroll.setMinimumSize(480, 480)

        self.render_button = self.controls.button  # Render ⇄ Cancel
        self.render_button.setDefault(True)
        self.export_button = QPushButton("Export grid…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.error)
        side.addStretch(1)
        side.addWidget(self.status)
        side.addWidget(self.controls)
        top = QHBoxLayout()
        top.addLayout(side)
        top.addWidget(self.scroll, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top, 1)
        lay.addWidget(buttons)

    def _group_boxes(self) -> dict[str, QCheckBox]:
        """One toggle per layer group, its layers in the tooltip; a group this model lacks is disabled."""
        boxes = {}
        for name, note in group_notes(self.model.G).items():
            box = QCheckBox(name)
            if note:
                box.setToolTip(note)
            else:
                box.setEnabled(False)
                box.setToolTip(f"This {self.model.G.resolution} px model has no {name} layers")
            boxes[name] = box
        boxes[GROUPS[0]].setChecked(True)
        return boxes

    def _class_box(self, index: int, side: str) -> QComboBox:
        box = QComboBox()
        box.addItems([class_title(c) for c in self.model.classes])
        box.setCurrentIndex(index)
        box.setToolTip(f"The class sources {side}'s seeds are drawn in")
        return box

    def _labels(self, box: QComboBox) -> torch.Tensor | None:
        """A side's class label row, None for an unconditional model."""
        return class_labels(self.model.G, box.currentIndex() if self.model.classes else None)

    def _spin(self, lo: float, hi: float, value: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(minimum=lo, maximum=hi, value=value, singleStep=0.05, decimals=2)
        spin.setToolTip(tip)
        return spin

    def _parse(self, edit: QLineEdit, which: str) -> list[int]:
        try:
            seeds = parse_seeds(edit.text())
        except ValueError as e:
            raise ValueError(f"{which}: {e}.") from None
        if len(seeds) > MAX_SOURCES:  # first: a huge range is only counted, never listed
            raise ValueError(f"{which}: {len(seeds):,} seeds is too many; use at most {MAX_SOURCES}.")
        return list(seeds)

    @property
    def layers(self) -> str:
        """The checked groups as a layer spec, e.g. 'coarse+fine' ('' if none)."""
        return "+".join(name for name, box in self.group_boxes.items() if box.isChecked() and box.isEnabled())

    def render(self) -> None:
        """Check the inputs, then render the grid on a worker (the dialog stays responsive)."""
        if self.controls.running:
            return
        try:
            rows = self._parse(self.rows_edit, "Sources A")
            cols = self._parse(self.cols_edit, "Sources B")
            if not self.layers:
                raise ValueError("Choose at least one layer group to copy from B.")
        except ValueError as e:
            self.error.setText(str(e))
            return
        self.error.clear()
        self._pending = (rows, cols)
        self._start("Rendering", _render, self.model.G, rows, cols, self.layers, self.strength.value(),
                    self.psi.value(), self._labels(self.rows_class), self._labels(self.cols_class), self.transform,
                    on_result=self._show)

    def export(self) -> None:
        """Save the full-resolution grid as one PNG (written atomically, on a worker)."""
        if self.sheet is None or self.controls.running:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export grid", "mixing-grid.png", "PNG images (*.png)")
        if not name:
            return
        try:
            path = dialog_output(name, ".png", "PNG")  # the output policy, before the job starts
        except ValueError as e:
            self._failed(str(e))
            return
        self._start("Exporting", _export, path, self.sheet, on_result=self._saved)

    def _start(self, title: str, fn: Callable[..., Any], *args: Any, on_result: Callable[[Any], None]) -> None:
        self.status.setText(f"{title}…")
        self.export_button.setEnabled(False)
        self.controls.attach(self.tasks.run(fn, *args, title=title, owner="mixing grid", on_done=on_result,
                                            on_error=self._failed, on_cancel=self._cancelled, on_end=self._ended))

    def _saved(self, path: Path) -> None:
        self.status.setText(f"Saved {path}.")

    def _failed(self, message: str) -> None:
        self.status.setText(f"Failed: {message}")
        QMessageBox.warning(self, "Style mixing", message)

    def _cancelled(self) -> None:
        self.status.setText("Cancelled.")

    def _ended(self) -> None:
        self.export_button.setEnabled(self.sheet is not None)

    def _show(self, result: tuple[np.ndarray, QImage]) -> None:
        self.sheet, preview = result
        self.seeds = self._pending
        self._preview = QPixmap.fromImage(preview)
        h, w = self.sheet.shape[:2]
        self.status.setText(f"Rendered a {w} × {h} px grid.")
        self._fit_preview()

    def _fit_preview(self) -> None:
        """Shrink the grid smoothly to the view, or enlarge a small model's grid by whole pixels (stays crisp)."""
        if self._preview.isNull():
            return
        room, pix = self.scroll.viewport().size(), self._preview
        if pix.width() > room.width() or pix.height() > room.height():
            pix = pix.scaled(room, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        elif (factor := min(room.width() // pix.width(), room.height() // pix.height())) > 1:
            pix = pix.scaled(pix.size() * factor, mode=Qt.TransformationMode.FastTransformation)
        self.picture.setPixmap(self._labelled(pix))

    def _labelled(self, pix: QPixmap) -> QPixmap:
        """The seeds on the view (not on the exported sheet): B's above each column, A's on each row's picture."""
        rows, cols = self.seeds
        if not rows or not cols:
            return pix
        out = QPixmap(pix)
        step_x, step_y = out.width() / (len(cols) + 1), out.height() / (len(rows) + 1)
        painter = QPainter(out)
        font = painter.font()
        font.setPixelSize(max(9, min(13, int(step_y / 6))))
        painter.setFont(font)
        height = painter.fontMetrics().height() + 2

        def tag(x: float, y: float, text: str) -> None:
            width = painter.fontMetrics().horizontalAdvance(text) + 6
            painter.fillRect(QRectF(x + 2, y + 2, width, height), QColor(0, 0, 0, 170))
            painter.setPen(QColor("white"))
            painter.drawText(QRectF(x + 5, y + 2, width, height), Qt.AlignmentFlag.AlignVCenter, text)

        painter.setPen(QColor("#333333"))
        painter.drawText(QRectF(0, 0, step_x, step_y), Qt.AlignmentFlag.AlignCenter, "A ↓   B →")
        for i, seed in enumerate(cols):
            tag((i + 1) * step_x, 0, f"B {seed}")
        for i, seed in enumerate(rows):
            tag(0, (i + 1) * step_y, f"A {seed}")
        painter.end()
        return out

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._fit_preview()

    def done(self, result: int) -> None:
        """Closing cancels a running job and waits for it: no thread may outlive the dialog."""
        self.tasks.shutdown()
        super().done(result)
