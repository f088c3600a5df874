"""The procedural painted-portrait world: deterministic per seed, with attribute records, region masks
and line sketches as ground truth for training and for measuring methods."""

from .attributes import (
    ATTRIBUTE_KEYS,
    BACKGROUNDS,
    COMPOSITIONS,
    HAIR_COLORS,
    HAIR_STYLES,
    Composition,
    sample_attributes,
)
from .dataset import write_dataset
from .sample import MASK_LABELS, WorldSample, render_batch, render_sample

__all__ = [
    "ATTRIBUTE_KEYS", "BACKGROUNDS", "COMPOSITIONS", "HAIR_COLORS", "HAIR_STYLES", "MASK_LABELS", "Composition", "WorldSample",
    "render_batch", "render_sample", "sample_attributes", "write_dataset",
]
