"""The engine: pure torch/numpy/pillow; the UI and the CLI both call into it, it never imports Qt.

Its top-level names load on first use, so importing a light engine module (seeds, the output policy) does not
import torch: ``studio --help`` and each command's help start without it.
"""

from .lazy import lazy_exports

_SOURCES = {
    "model.checkpoints": ("load_model",),
    "model.loaded": ("LoadedModel",),
    "model.reading": ("CheckpointError",),
    "model.safetensors_io": ("save_model",),
    "model.stylegan2": ("Generator", "Discriminator"),
}
__all__ = [name for names in _SOURCES.values() for name in names]
__getattr__ = lazy_exports(__name__, _SOURCES)
