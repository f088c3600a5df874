"""Blend a customised model with its base: how much of the sketch's look to keep, for the current seed.

Two renderings side by side: weight-space interpolation (``interpolate_models``), and for comparison the
W-space blend (``blend_w``), which only means something when the run trained just the mapping network
(both models then share one synthesis network). Rendering is a ``latest_only`` task: while one frame
renders, newer slider positions replace each other and only the last is rendered next. A class-conditional
model's seed is drawn in the current portrait's class.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSlider, QVBoxLayout, QWidget

from studio.engine.customize.blend import blend_w, interpolate_models
from studio.engine.edit.latents import z_from_seed
from studio.engine.images import tensor_to_images
from studio.engine.jobs import CancelToken, ProgressFn
from studio.engine.model.checkpoints import load_model
from studio.engine.model.labels import class_labels
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.stylegan2 import Generator
from studio.ui.tasks import TaskRunner
from studio.ui.theme import to_pixmap

VIEW = 192


def is_customized(model: LoadedModel | None) -> bool:
    return model is not None and isinstance(model.card.get("customized"), dict)


def load_base(custom: LoadedModel, progress: ProgressFn, token: CancelToken) -> LoadedModel:
    """The base model a customised one records in its card, checked to be the very weights it started from."""
    info = custom.card["customized"].get("base_model") or {}
    path = info.get("path")
    if not path:
        raise ValueError(f"{custom.name}: its card does not say where the base model's file is.")
    base = load_model(path)
    if info.get("weights_hash") and base.weights_hash != info["weights_hash"]:
        raise ValueError(f"{path}: no longer holds the base model {custom.name} was customized from.")
    return base


def blend_frames(
    base_G: Generator, custom_G: Generator, seed: int, psi: float, alpha: float, w_space: bool,
    class_index: int | None, progress: ProgressFn, token: CancelToken,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``seed`` (in ``class_index`` of conditional models) rendered by the weight-interpolated model, and (if
    ``w_space``) from the blended W."""
    z = z_from_seed(seed, base_G.z_dim).to(base_G.w_avg.device)
    c = class_labels(base_G, class_index)
    G = interpolate_models(base_G, custom_G, alpha)
    weights = tensor_to_images(G(z, c, truncation_psi=psi, noise_mode="const"))[0]
    token.check()
    if not w_space:
        return weights, None
    ws = blend_w(base_G, custom_G, z, alpha, truncation_psi=psi, c=c)
    return weights, tensor_to_images(custom_G.synthesis(ws, noise_mode="const"))[0]


class BlendPanel(QWidget):
    """A 0 (base) … 1 (custom) slider and the two blends of the current seed; ``set_model`` with the open model."""

    rendered = Signal()  # a frame for the newest request is on screen

    def __init__(self, parent: QWidget | None = None, tasks: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks if tasks is not None else TaskRunner(self)
        self.custom: LoadedModel | None = None
        self.base: LoadedModel | None = None
        self.seed, self.psi, self.class_index = 0, 0.7, None
        self.frames: tuple[np.ndarray, np.ndarray | None] | None = None  # the frames on screen
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=100)
        self.slider.setToolTip("0 = the base model, 1 = the customized model")
        self.slider.valueChanged.connect(lambda *_: self.request())
        self.value_label = QLabel()
        self.status = QLabel(wordWrap=True)
        self.weights_view, self.w_view = QLabel(), QLabel()
        for view in (self.weights_view, self.w_view):
            view.setFixedSize(VIEW, VIEW)
            view.setAlignment(Qt.AlignmentFlag.AlignCenter)
            view.setStyleSheet("background: #161618")
        grid = QGridLayout()
        grid.addWidget(QLabel("Weights"), 0, 0)
        grid.addWidget(QLabel("W space"), 0, 1)
        grid.addWidget(self.weights_view, 1, 0)
        grid.addWidget(self.w_view, 1, 1)
        row = QGridLayout()
        row.addWidget(QLabel("Base"), 0, 0)
        row.addWidget(self.slider, 0, 1)
        row.addWidget(QLabel("Custom"), 0, 2)
        row.addWidget(self.value_label, 0, 3)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addLayout(grid)
        lay.addWidget(self.status)
        lay.addStretch(1)
        self._show_alpha()

    @property
    def alpha(self) -> float:
        return self.slider.value() / 100

    @property
    def w_space(self) -> bool:
        """W blending needs a shared synthesis network: only mapping-trained customisations have one."""
        settings = self.custom.card["customized"].get("settings", {}) if self.custom is not None else {}
        return settings.get("train", "mapping") == "mapping"

    def set_model(self, model: LoadedModel | None) -> None:
        """Follow the studio's model: a customised one loads its base (on a worker), any other clears the views."""
        self.custom, self.base = (model if is_customized(model) else None), None
        self.tasks.drop("blend")  # frames of the model before must not land
        self.weights_view.clear()
        self.w_view.clear()
        if self.custom is None:
            self.tasks.drop("blend base")
            self.status.setText("The open model is not a customized one; customize it first (Model menu).")
            return
        self.status.setText("Loading the base model…")
        self.tasks.run(load_base, self.custom, title="Loading base model", owner="blend base", on_done=self._loaded,
                       on_error=self.status.setText)

    def _loaded(self, base: LoadedModel) -> None:
        self.base = base
        self.status.setText(f"Base: {base.name}")
        self.request()

    def set_seed(self, seed: int, psi: float, class_index: int | None = None) -> None:
        """The portrait to blend: a seed, its truncation and (conditional models) its class."""
        if (seed, psi, class_index) != (self.seed, self.psi, self.class_index):
            self.seed, self.psi, self.class_index = seed, psi, class_index
            self.request()

    def request(self) -> None:
        """Render the newest settings; while a frame renders, only the latest request waits for its turn."""
        self._show_alpha()
        if self.base is None or self.custom is None or not self.isVisible():
            return  # a hidden panel renders nothing; showing it renders the newest settings
        w_space = self.w_space
        self.w_view.setText("" if w_space else "needs a\nmapping-trained\nmodel")
        self.tasks.run(blend_frames, self.base.G, self.custom.G, self.seed, self.psi, self.alpha, w_space,
                       self.class_index, title="Blending", owner="blend", latest_only=True, on_done=self._show,
                       on_error=self.status.setText)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        self.request()

    def _show(self, frames: tuple[np.ndarray, np.ndarray | None]) -> None:
        self.frames = frames
        weights, w = frames
        self.weights_view.setPixmap(to_pixmap(weights).scaled(VIEW, VIEW, Qt.AspectRatioMode.KeepAspectRatio,
                                                              Qt.TransformationMode.SmoothTransformation))
        if w is not None:
            self.w_view.setPixmap(to_pixmap(w).scaled(VIEW, VIEW, Qt.AspectRatioMode.KeepAspectRatio,
                                                      Qt.TransformationMode.SmoothTransformation))
        if not self.tasks.waiting("blend"):
            self.rendered.emit()

    def _show_alpha(self) -> None:
        self.value_label.setText(f"{self.alpha:.2f}")

    def shutdown(self) -> None:
        self.tasks.stop("blend", "blend base")
