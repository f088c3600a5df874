"""The procedural painting world in four genres (portraits, flower still lifes, landscapes, cityscapes):
deterministic per seed, with attribute records, region masks and line sketches as ground truth for
training and for measuring methods. The names below load on first use: the genres and their drawing need
numpy alone, writing a data set (``dataset``) needs more."""

from ..lazy import lazy_exports

_SOURCES = {
    "attributes": ("ATTRIBUTE_KEYS", "BACKGROUNDS", "COMPOSITIONS", "HAIR_COLORS", "HAIR_STYLES", "Composition"),
    "dataset": ("write_dataset",),
    "genres": ("GENRE_MASKS", "GENRES", "MASK_LABELS", "genre_list", "portrait_head_record", "sample_attributes"),
    "sample": ("WorldSample", "render_batch", "render_image", "render_sample"),
}
__all__ = [name for names in _SOURCES.values() for name in names]
__getattr__ = lazy_exports(__name__, _SOURCES)
