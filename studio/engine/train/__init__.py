"""StyleGAN2 training: ``train(TrainConfig(...))`` on a folder of images or the procedural world.

Single process or ``torchrun --nproc_per_node K`` (DistributedDataParallel), atomic checkpoints that
resume bit-for-bit, an exported ``.safetensors`` model with its card, sample grids and loss curves.
Progress and cancel go through ``studio.engine.jobs`` like every other long job. The names below load on
first use: ``config`` alone (presets, for ``studio train --help``) needs no torch.
"""

from ..lazy import lazy_exports

_SOURCES = {
    "checkpoint": ("list_checkpoints", "load_checkpoint"),
    "config": ("AUGMENTS", "PRESETS", "TrainConfig", "preset"),
    "loop": ("Trainer", "train"),
}
__all__ = [name for names in _SOURCES.values() for name in names]
__getattr__ = lazy_exports(__name__, _SOURCES)
