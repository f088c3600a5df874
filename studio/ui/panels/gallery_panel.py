"""The gallery dock: thumbnails of exported pictures, reopen a recipe, rename, trash, publish a website.

Thumbnails load on a worker and arrive one by one; a QFileSystemWatcher keeps the view in step with exports
from the studio (or anything else writing into the folder).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QModelIndex, QPoint, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QIcon,
    QImage,
    QKeySequence,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from studio.engine.images import MAX_UPSCALE, ImageError, load_fitted
from studio.engine.jobs import CancelToken, Progress, ProgressFn
from studio.engine.library.gallery import GalleryError, GalleryItem, delete_picture, list_pictures, rename_picture
from studio.engine.library.recipe import read_recipe
from studio.engine.library.site import SiteReport, check_site_folder, publish_site
from studio.ui.tasks import TaskRunner
from studio.ui.theme import icon, to_qimage

ICON_SIZE = 128
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
_REFRESH_DELAY_MS = 250  # an export touches the folder several times (temp file, rename, sidecar): one refresh


def _load_thumbnails(items: list[GalleryItem], progress: ProgressFn, token: CancelToken) -> int:
    """The job: decode and shrink each picture (QImage is safe off the UI thread; QPixmap is not).

    Each thumbnail travels as a progress preview ``(path, mtime, QImage or None if unreadable)``.
    """
    for i, item in enumerate(items):
        token.check()
        try:
            image: QImage | None = to_qimage(load_fitted(item.path, ICON_SIZE))
        except ImageError:
            image = None
        progress(Progress(i + 1, len(items), item.path.name, preview=(item.path, item.mtime, image)))
    return len(items)


def _read_recipe(path: Path, progress: ProgressFn, token: CancelToken) -> tuple[dict, Path]:
    return read_recipe(path), path  # decoding a large PNG for its text chunk takes a while


class _RenameDelegate(QStyledItemDelegate):
    """Inline rename: the typed name renames the files (after the editor closes), never just the label."""

    def __init__(self, panel: GalleryPanel) -> None:
        super().__init__(panel)
        self.panel = panel

    def setModelData(self, editor, model, index) -> None:  # noqa: N802 - Qt naming
        path, name = index.data(PATH_ROLE), editor.text()
        if name != index.data(Qt.ItemDataRole.EditRole):
            QTimer.singleShot(0, self.panel, lambda: self.panel.rename(path, name))


class GalleryPanel(QWidget):
    """Browse a gallery folder; double-click a picture to reopen its recipe in the studio."""

    open_recipe_requested = Signal(dict, Path)  # the recipe, the picture it came from

    def __init__(self, folder: Path | None = None, parent: QWidget | None = None,
                 tasks: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks if tasks is not None else TaskRunner(self)
        self.folder: Path | None = None
        self._listing: list[GalleryItem] = []
        self._rows: dict[Path, QStandardItem] = {}
        self._icons: dict[Path, tuple[float, QIcon]] = {}  # path -> (mtime it was made from, thumbnail)
        self._placeholder = self._blank_icon()

        self.model = QStandardItemModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.view.setGridSize(QSize(ICON_SIZE + 24, ICON_SIZE + 40))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setWordWrap(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)  # F2 is the rename action
        self.view.setItemDelegate(_RenameDelegate(self))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.activated.connect(lambda index: self.open_picture(index.data(PATH_ROLE)))

        self.open_action = self._action(
            "Open in the studio", "fa6s.folder-open", None, self._on_current(self.open_picture)
        )
        self.rename_action = self._action("Rename", "fa6s.pen", "F2", lambda: self.view.edit(self.view.currentIndex()))
        self.delete_action = self._action(
            "Move to trash…", "fa6s.trash-can", QKeySequence.StandardKey.Delete, self._on_current(self.delete)
        )
        self.reveal_action = self._action("Show in file manager", "fa6s.folder", None, self.reveal)
        self.refresh_action = self._action(
            "Refresh", "fa6s.arrows-rotate", QKeySequence.StandardKey.Refresh, self.refresh
        )

        self.hint = QLabel(wordWrap=True)
        self.status = QLabel(wordWrap=True)
        self.publish_button = QPushButton(icon("fa6s.globe"), "Publish gallery…")
        self.publish_button.setToolTip("Write the gallery as a static website you can open offline or upload")
        self.publish_button.clicked.connect(self.publish)

        self.watcher = QFileSystemWatcher(self)
        self._refresh_timer = QTimer(self, singleShot=True, interval=_REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self.watcher.directoryChanged.connect(lambda _: self._refresh_timer.start())

        self.export_scale = QSpinBox(minimum=1, maximum=MAX_UPSCALE, prefix="×")
        self.export_scale.setToolTip("Export size: pictures are written this many times the model's size, enlarged "
                                     "with high-quality (Lanczos) resampling; the recipe records it")
        top = QHBoxLayout()  # the hint, the export size and Publish on one line: the pictures get the height
        top.addWidget(self.hint, 1)
        top.addWidget(QLabel("Export size"))
        top.addWidget(self.export_scale)
        top.addWidget(self.publish_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        self.set_folder(folder)

    # --- folder and listing --------------------------------------------------------------------------------

    def set_folder(self, folder: Path | None) -> None:
        """Show (and watch) ``folder``; None shows nothing."""
        if self.watcher.directories():
            self.watcher.removePaths(self.watcher.directories())
        self.folder = Path(folder) if folder is not None else None
        self._icons.clear()
        self.tasks.cancel("gallery thumbnails")
        self.refresh()

    def refresh(self) -> None:
        """Re-list the folder; only new or changed pictures have their thumbnails (re)loaded."""
        folder = self.folder
        if folder is not None and folder.is_dir() and str(folder) not in self.watcher.directories():
            self.watcher.addPath(str(folder))  # also when the folder appeared after set_folder
        listing = list_pictures(folder) if folder is not None else []
        self.publish_button.setEnabled(bool(listing) and not self.publishing)
        self._show_hint(listing)
        if listing != self._listing:
            self._listing = listing
            self._rebuild()
        missing = [it for it in listing if self._thumbnail(it) is None]
        if missing:  # this request covers whatever an older one had left to load
            self.tasks.run(_load_thumbnails, missing, title="Loading thumbnails", owner="gallery thumbnails",
                           on_progress=lambda p: self._thumbnail_ready(*p.preview))

    @property
    def publishing(self) -> bool:
        return self.tasks.task("gallery publish") is not None

    def _show_hint(self, listing: list[GalleryItem]) -> None:
        if self.folder is None:
            text = "Choose a gallery folder."
        elif not listing:
            text = f"No pictures in {self.folder} yet: export one from the studio."
        else:
            text = ""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _rebuild(self) -> None:
        """Replace the items, keeping the selection and every thumbnail already made."""
        current = self.current_path()
        self.model.clear()
        self._rows.clear()
        for it in self._listing:
            row = QStandardItem(it.title)
            row.setData(it.path, PATH_ROLE)
            thumb = self._thumbnail(it)
            row.setIcon(thumb if thumb is not None else self._placeholder)
            when = datetime.fromtimestamp(it.mtime).strftime("%Y-%m-%d %H:%M")
            tip = f"{it.path.name}\n{when}"
            if not it.has_recipe:
                row.setForeground(QColor("#808080"))
                tip += "\nNo recipe stored: it cannot be reopened in the studio."
            row.setToolTip(tip)
            self.model.appendRow(row)
            self._rows[it.path] = row
        if current in self._rows:
            self.view.setCurrentIndex(self._rows[current].index())

    def _thumbnail(self, item: GalleryItem) -> QIcon | None:
        """The cached thumbnail, if it was made from the file as it is now."""
        mtime, thumb = self._icons.get(item.path, (None, None))
        return thumb if mtime == item.mtime else None

    def _thumbnail_ready(self, path: Path, mtime: float, image: QImage | None) -> None:
        thumb = QIcon(QPixmap.fromImage(image)) if image is not None else icon("fa6s.triangle-exclamation")
        self._icons[path] = (mtime, thumb)
        row = self._rows.get(path)
        if row is not None:
            row.setIcon(thumb)

    @staticmethod
    def _blank_icon() -> QIcon:
        pix = QPixmap(ICON_SIZE, ICON_SIZE)
        pix.fill(QColor("#3a3a3e"))
        return QIcon(pix)

    def pictures(self) -> list[Path]:
        """The listed pictures, in view order (newest first)."""
        return [it.path for it in self._listing]

    def current_path(self) -> Path | None:
        return self.view.currentIndex().data(PATH_ROLE)

    def select(self, path: Path) -> None:
        if path in self._rows:
            self.view.setCurrentIndex(self._rows[path].index())

    # --- actions -------------------------------------------------------------------------------------------

    def open_picture(self, path: Path) -> None:
        """Read the picture's recipe on a worker, then emit ``open_recipe_requested``."""
        self.tasks.run(_read_recipe, Path(path), title="Reading recipe", owner="gallery recipe",
                       on_done=self._recipe_read, on_error=self._recipe_failed)

    def _recipe_read(self, found: tuple[dict, Path]) -> None:
        self.open_recipe_requested.emit(*found)

    def _recipe_failed(self, message: str) -> None:
        self._warn("Cannot open picture", message)

    def rename(self, path: Path, new_name: str) -> Path | None:
        """Rename a picture with its recipe sidecar; refuses to overwrite. Returns the new path, or None."""
        try:
            new = rename_picture(path, new_name.strip())
        except GalleryError as e:
            self._warn("Cannot rename picture", str(e))
            return None
        if path in self._icons:
            self._icons[new] = self._icons.pop(path)  # a rename keeps the mtime, so the thumbnail still fits
        self.refresh()
        self.select(new)
        return new

    def delete(self, path: Path) -> bool:
        """After confirmation, move the picture and its sidecar to the trash (undoable from there)."""
        answer = QMessageBox.question(
            self, "Move to trash", f"Move {Path(path).name} and its recipe to the trash?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            delete_picture(path)
        except GalleryError as e:
            self._warn("Cannot delete picture", str(e))
            return False
        self._icons.pop(Path(path), None)
        self.refresh()
        return True

    def reveal(self) -> None:
        """Open the gallery folder in the system's file manager."""
        if self.folder is None or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder))):
            self._warn("Show in file manager", f"Could not open {self.folder} in the file manager.")

    def publish(self) -> None:
        """Ask for an output folder and write the static website there on a worker."""
        if self.folder is None or self.publishing:
            return
        chosen = QFileDialog.getExistingDirectory(self, "Publish the gallery into", str(self.folder.parent))
        if not chosen:
            return
        out = Path(chosen)
        try:
            check_site_folder(self.folder, out)  # the output policy, before the job starts
        except ValueError as e:
            self._warn("Publish gallery", str(e))
            return
        self.publish_button.setEnabled(False)
        self.status.setText(f"Publishing to {out}…")
        self.tasks.run(publish_site, self.folder, out, title="Publishing", owner="gallery publish",
                       on_done=self._published, on_error=self._publish_failed, on_cancel=self._publish_cancelled,
                       on_end=self.refresh)

    def _published(self, report: SiteReport) -> None:
        index = report.index
        self.status.setText(f"Published the gallery to {index.parent}.")
        skipped = "".join(f" Skipped: {why}" for why in report.skipped.values())  # each names its picture
        answer = QMessageBox.question(self, "Gallery published", f"Wrote {index}.{skipped} Open it in the browser?")
        if answer == QMessageBox.StandardButton.Yes:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(index)))

    def _publish_cancelled(self) -> None:
        self.status.setText("Publishing cancelled; the website may be incomplete.")

    def _publish_failed(self, message: str) -> None:
        self.status.setText("Publishing failed.")
        self._warn("Cannot publish gallery", message)

    # --- plumbing ------------------------------------------------------------------------------------------

    def _warn(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def _action(self, text: str, icon_name: str, shortcut: object, slot: Callable[[], object]) -> QAction:
        action = QAction(icon(icon_name), text, self.view)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.view.addAction(action)
        return action

    def _on_current(self, fn: Callable[[Path], object]) -> Callable[[], None]:
        """A slot that applies ``fn`` to the current picture, if there is one."""

        def slot() -> None:
            path = self.current_path()
            if path is not None:
                fn(path)

        return slot

    def _context_menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.view.indexAt(pos)
        menu = QMenu(self)
        if index.isValid():
            self.view.setCurrentIndex(index)
            menu.addActions([self.open_action, self.rename_action, self.delete_action])
            menu.addSeparator()
        menu.addActions([self.reveal_action, self.refresh_action])
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def shutdown(self) -> None:
        """Stop the panel's jobs and wait for them (call before the window closes: no thread may outlive it)."""
        self._refresh_timer.stop()
        self.tasks.stop("gallery thumbnails", "gallery recipe", "gallery publish")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.shutdown()
        super().closeEvent(event)
