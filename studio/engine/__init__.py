"""The engine: pure torch/numpy/pillow; the UI and the CLI both call into it, it never imports Qt."""

from .model.checkpoints import load_model
from .model.loaded import LoadedModel
from .model.reading import CheckpointError
from .model.safetensors_io import save_model
from .model.stylegan2 import Discriminator, Generator

__all__ = ["CheckpointError", "LoadedModel", "load_model", "save_model", "Generator", "Discriminator"]
