"""The procedural painting world in four genres (portraits, flower still lifes, landscapes, cityscapes):
deterministic per seed, with attribute records, region masks and line sketches as ground truth for
training and for measuring methods."""

from .attributes import (
    ATTRIBUTE_KEYS,
    BACKGROUNDS,
    COMPOSITIONS,
    HAIR_COLORS,
    HAIR_STYLES,
    Composition,
)
from .dataset import write_dataset
from .genres import GENRE_MASKS, GENRES, MASK_LABELS, genre_list, sample_attributes
from .sample import WorldSample, render_batch, render_image, render_sample

__all__ = [
    "ATTRIBUTE_KEYS", "BACKGROUNDS", "COMPOSITIONS", "GENRES", "GENRE_MASKS", "HAIR_COLORS", "HAIR_STYLES",
    "MASK_LABELS", "Composition", "WorldSample", "genre_list", "render_batch", "render_image", "render_sample",
    "sample_attributes",
    "write_dataset",
]
