"""The studio window's library side: the gallery folder, export with the recipe, reopening a recipe
(loading the model it needs, as the session plans it), the autosave offered back after a crash, and the portrait
a clean close leaves for the next start (as a document app reopens where you left off)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.engine.atomic import atomic_write_text
from studio.engine.edit.portrait import Portrait
from studio.engine.images import upscale
from studio.engine.library.gallery import export_picture
from studio.engine.library.recipe import RecipeError, portrait_recipe, read_recipe
from studio.engine.model.checkpoints import SHIPPED_MODELS
from studio.engine.paths import user_data_dir
from studio.engine.session import ModelNeeded

LAST_PORTRAIT = "last_portrait.json"  # in the user's data folder, beside the autosave


class WindowGallery:
    """Mixed into ``MainWindow``: export, recipes and autosave."""

    @property
    def gallery_folder(self) -> Path:
        default = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)) / "GAN Studio"
        return Path(self.settings.value("gallery_folder", str(default)))

    def set_gallery_folder(self, folder: Path) -> None:
        self.settings.setValue("gallery_folder", str(folder))
        self.gallery.set_folder(folder)

    def choose_gallery_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Gallery folder", str(self.gallery_folder))
        if folder:
            self.set_gallery_folder(Path(folder))

    def export_to_gallery(self) -> None:
        """Write what the canvas shows at full quality, with its recipe; waits for that frame if need be."""
        if self.model is not None:
            self.when_drawn(self._export)

    def _export(self, portrait: Portrait, image: np.ndarray) -> None:
        model, folder, scale = self.model, self.gallery_folder, self.gallery.export_scale.value()
        size = f"{image.shape[1] * scale} × {image.shape[0] * scale} px"

        def write(progress, token) -> Path:  # the recipe too: a projected portrait's noise maps take a while to encode
            recipe = portrait_recipe(model, portrait, export={"scale": scale, "resampling": "lanczos"})
            picture = upscale(image, scale)
            return export_picture(folder, picture, recipe, label=recipe.get("class"))  # the gallery shows the class

        def done(path: Path) -> None:
            self.statusBar().showMessage(f"Exported {path.name} ({size}) to {folder}", 6000)
            self.gallery.set_folder(folder)
            self.exported.emit(path)

        self.tasks.run(write, title="Exporting", on_done=done,
                       on_error=lambda msg: self.warn("Cannot export", f"{folder}: {msg}"))

    def choose_recipe(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open recipe", str(self.gallery_folder), "Pictures (*.png *.json)")
        if path:
            self.open_recipe_file(Path(path))

    def open_recipe_file(self, path: Path) -> None:
        try:
            recipe = read_recipe(path)
        except RecipeError as e:
            self.warn("Cannot open recipe", str(e))
            return
        self.open_recipe(recipe, path)

    def open_recipe(self, recipe: dict, source: Path | None = None) -> None:
        """Make a recipe's portrait current (one undo step), loading the model it needs if we know where it is."""
        where = str(source) if source is not None else "The recipe"
        try:
            plan = self.session.plan_recipe(recipe, where)
        except RecipeError as e:
            self.warn("Model needed" if isinstance(e, ModelNeeded) else "Cannot open recipe", str(e))
            return
        if plan.open_first is None:
            self.doc.commit(plan.portrait, "Open recipe")
            return

        def loaded() -> None:
            if self.session.fits(plan):
                self.doc.commit(plan.portrait, "Open recipe")
            else:
                self.warn("Model needed", f"{plan.open_first} no longer holds the model that {where} was made with.")

        self.open_model(plan.open_first, then=loaded)

    def remember_portrait(self) -> None:
        """On a clean close: the portrait and its model's file, for the next start (losing it loses no work)."""
        if self.model is None:
            return
        data = {"recipe": portrait_recipe(self.model, self.doc.portrait), "model_path": self.model_path}
        try:
            atomic_write_text(user_data_dir() / LAST_PORTRAIT, json.dumps(data))
        except OSError:
            pass

    def last_portrait(self) -> tuple[str, dict | None]:
        """The model to start with and the recipe a clean close left (the default model and None the first time,
        or when that model's file is gone)."""
        try:
            data = json.loads((user_data_dir() / LAST_PORTRAIT).read_text(encoding="utf-8"))
            path, recipe = data["model_path"], data["recipe"]
        except (OSError, ValueError, KeyError, TypeError):
            return "default", None
        if not isinstance(path, str) or not isinstance(recipe, dict) or not (
                path in SHIPPED_MODELS or Path(path).is_file()):
            return "default", None
        return path, recipe

    def resume(self, recipe: dict | None) -> None:
        """Make the last session's portrait current, as the start of the history; quietly nothing if it no longer
        fits the open model."""
        if recipe is None:
            return
        try:
            plan = self.session.plan_recipe(recipe)
        except RecipeError:
            return
        if plan.open_first is None and self.session.fits(plan):
            self.doc.replace(plan.portrait)

    def offer_autosave(self) -> None:
        """After a crash, offer the unsaved document back; either way the old autosave is then gone."""
        data = self.autosave.pending()
        if data is None or not isinstance(data.get("recipe"), dict):
            return
        answer = QMessageBox.question(
            self, "Restore portrait",
            "GAN Studio did not close properly last time. Restore the portrait you were working on?",
        )
        recipe = data["recipe"]
        self.autosave.clear()
        if answer == QMessageBox.StandardButton.Yes:
            self.open_recipe(recipe, self.autosave.path)
