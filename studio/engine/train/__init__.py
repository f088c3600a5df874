"""StyleGAN2 training: ``train(TrainConfig(...))`` on a folder of images or the procedural world.

Single process or ``torchrun --nproc_per_node K`` (DistributedDataParallel), atomic checkpoints that
resume bit-for-bit, an exported ``.safetensors`` model with its card, sample grids and loss curves.
Progress and cancel go through ``studio.engine.jobs`` like every other long job.
"""

from .checkpoint import list_checkpoints, load_checkpoint
from .config import AUGMENTS, PRESETS, TrainConfig, preset
from .loop import Trainer, train

__all__ = ["AUGMENTS", "PRESETS", "TrainConfig", "Trainer", "list_checkpoints", "load_checkpoint", "preset", "train"]
