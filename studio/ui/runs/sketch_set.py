"""The sketch set: the 1–30 sketches a customization learns from, as a reorderable list of thumbnails.

The selected sketch is the one on the canvas: the canvas' edits flow back into it (``update_current``).
The set survives restarts: it autosaves, debounced, to ``user_data_dir()/sketches`` as numbered PNGs
written atomically, rewriting only the pages that changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.customize.sketches import MAX_SKETCHES, image_files
from studio.engine.images import ImageError, fit_image, load_image, save_png
from studio.engine.paths import user_data_dir
from studio.ui.runs.sketch_canvas import PAPER, grey_qimage, to_grey
from studio.ui.theme import icon

THUMB = 72
SAVE_DELAY_MS = 400
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff);;All files (*)"


def default_folder() -> Path:
    return user_data_dir() / "sketches"


class SketchSetPanel(QWidget):
    """Add (blank, duplicate, import), delete and reorder (drag or buttons) the set; ``selected`` feeds the canvas."""

    selected = Signal(object)  # uint8 (H, W) sketch now current

    def __init__(self, size: int, folder: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.size_px = size
        self.folder = folder or default_folder()
        self._written: dict[str, np.ndarray] = {}  # file name -> the array last saved there
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save)

        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setMinimumWidth(THUMB + 60)
        self.list.currentRowChanged.connect(self._on_current)
        self.list.model().rowsMoved.connect(lambda *_: self._changed())

        buttons = [
            ("new", "fa6s.file-circle-plus", "Add a blank sketch", self.add_blank),
            ("duplicate", "fa6s.copy", "Add a copy of the sketch on the canvas", self.duplicate),
            ("import", "fa6s.file-import", "Import sketch image files", self.choose_files),
            ("delete", "fa6s.trash", "Delete the selected sketch", self.delete_current),
            ("up", "fa6s.arrow-up", "Move the selected sketch up", lambda: self.move_current(-1)),
            ("down", "fa6s.arrow-down", "Move the selected sketch down", lambda: self.move_current(1)),
        ]
        grid = QGridLayout()
        self.buttons: dict[str, QToolButton] = {}
        for i, (key, icon_name, tip, slot) in enumerate(buttons):
            b = QToolButton(icon=icon(icon_name), toolTip=tip)
            b.clicked.connect(lambda *_, s=slot: s())
            grid.addWidget(b, i // 3, i % 3)
            self.buttons[key] = b
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addLayout(grid)
        self._load_saved()

    # --- contents --------------------------------------------------------------------------------------

    def sketches(self) -> list[np.ndarray]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def names(self) -> list[str]:
        return [f"sketch {i + 1}" for i in range(self.list.count())]

    def current(self) -> np.ndarray | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def add(self, sketch: np.ndarray) -> bool:
        """Append ``sketch`` (fitted to the working size) and select it; False when the set is full."""
        if self.list.count() >= MAX_SKETCHES:
            return False
        grey = to_grey(sketch)
        if grey.shape != (self.size_px, self.size_px):
            grey = fit_image(grey, self.size_px)
        item = QListWidgetItem()
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)  # drops land between items, never on one
        self._set_item(item, grey)
        self.list.addItem(item)
        self.list.setCurrentItem(item)
        self._changed()
        return True

    def add_blank(self) -> None:
        self.add(np.full((self.size_px, self.size_px), PAPER, np.uint8))

    def duplicate(self) -> None:
        if self.current() is not None:
            self.add(self.current().copy())

    def update_current(self, sketch: np.ndarray) -> None:
        """The canvas changed the selected sketch: keep it (and its thumbnail) in step."""
        item = self.list.currentItem()
        if item is not None and not np.array_equal(item.data(Qt.ItemDataRole.UserRole), sketch):
            self._set_item(item, sketch)
            self._schedule_save()

    def delete_current(self) -> None:
        row = self.list.currentRow()
        if row >= 0 and self.list.count() > 1:  # a set always holds at least one page
            self.list.takeItem(row)
            self._changed()

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        to = row + step
        if row >= 0 and 0 <= to < self.list.count():
            item = self.list.takeItem(row)
            self.list.insertItem(to, item)
            self.list.setCurrentRow(to)
            self._changed()

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import sketches", str(Path.home()), IMAGE_FILTER)
        self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> None:
        """Add image files as sketches; a bad file or a full set is reported in one sentence."""
        for path in paths:
            try:
                sketch = load_image(path)
            except ImageError as e:
                QMessageBox.warning(self, "Cannot import sketch", str(e))
                continue
            if not self.add(sketch):
                QMessageBox.warning(self, "Sketch set full", f"{path.name} and later files were not imported: "
                                    f"a set holds at most {MAX_SKETCHES} sketches.")
                return

    def _set_item(self, item: QListWidgetItem, sketch: np.ndarray) -> None:
        item.setData(Qt.ItemDataRole.UserRole, sketch)
        thumb = QPixmap.fromImage(grey_qimage(sketch)).scaled(
            THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        item.setIcon(thumb)

    def _on_current(self, row: int) -> None:
        if row >= 0:
            self.selected.emit(self.current())

    def _changed(self) -> None:
        for i in range(self.list.count()):
            self.list.item(i).setText(str(i + 1))
        count = self.list.count()
        for key in ("new", "duplicate", "import"):
            self.buttons[key].setEnabled(count < MAX_SKETCHES)
        self.buttons["delete"].setEnabled(count > 1)
        self._schedule_save()

    # --- autosave --------------------------------------------------------------------------------------

    def _load_saved(self) -> None:
        """The set as it was left; pages that no longer read are skipped, and an empty set gets a blank page."""
        files = image_files(self.folder)[:MAX_SKETCHES] if self.folder.is_dir() else []
        for path in files:
            try:
                self.add(load_image(path))
            except ImageError:
                continue
            name = f"{self.list.count():02d}.png"
            if path.name == name:  # already on disk under the name save() would give it
                self._written[name] = self.current()
        if self.list.count() == 0:
            self.add_blank()
        self.list.setCurrentRow(0)

    def _schedule_save(self) -> None:
        self._save_timer.start()

    def save(self) -> None:
        """Write the pages that changed as 01.png, 02.png…, and remove files left by deleted pages."""
        self._save_timer.stop()
        sketches = self.sketches()
        wanted = {f"{i + 1:02d}.png": s for i, s in enumerate(sketches)}
        for name, sketch in wanted.items():
            if self._written.get(name) is not sketch:
                save_png(self.folder / name, sketch)
                self._written[name] = sketch
        if self.folder.is_dir():
            for path in image_files(self.folder):
                if path.name not in wanted:
                    path.unlink(missing_ok=True)
                    self._written.pop(path.name, None)
