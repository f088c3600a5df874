"""The engine: pure torch/numpy/pillow; the UI and the CLI both call into it, it never imports Qt."""

from .model.checkpoints import CheckpointError, LoadedModel, load_model, save_model
from .model.stylegan2 import Discriminator, Generator

__all__ = ["CheckpointError", "LoadedModel", "load_model", "save_model", "Generator", "Discriminator"]
