"""The four genres of the painting world, as in the seed gallery: portraits, flower still lifes, landscapes
and cityscapes; what each is made of, and the one entry point for a sample's attribute record.

A genre is a record sampler, a layout (parts as distance fields), a painter and a sketcher. All four share
the brushwork, canvas, tone ramp, lighting and colour grade, so they read as one painter's work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import cityscape, landscape, render, scene, still_life
from .attributes import portrait_attributes, portrait_head
from .sketch import draw_layout_sketch, draw_sketch

GENRES = ("portrait", "still_life", "landscape", "cityscape")
# Region masks of a portrait, numbered as in its label map (kept from before the other genres).
MASK_LABELS: dict[str, int] = {"background": 0, "face": 1, "hair": 2, "clothes": 3}


@dataclass(frozen=True)
class Genre:
    """What one genre is made of."""

    name: str
    masks: tuple[str, ...]  # region names; the regions partition the image and a label map numbers them so
    region_of_part: np.ndarray  # scene label (part index) -> index into ``masks``
    attributes: Callable[[np.random.Generator], dict]  # the record without its "genre"
    build: Callable[[dict, int, np.random.Generator], Any]  # (record, size, edge rng) -> scene with ``labels``
    paint: Callable[[Any, dict, np.random.Generator], np.ndarray]  # (scene, record, rng) -> (n, n, 3) in [0, 1]
    sketch: Callable[[Any], np.ndarray]  # scene -> (n, n) ink in [0, 1]

    def rng(self, seed: int, *stream: int) -> np.random.Generator:
        """The random stream ``stream`` of sample ``seed``: () the record, (1,) the edges, (2, size) the paint.

        Portraits keep the streams they always had, so they stay bit-identical; other genres put 10 + their
        index after the seed, so no two genres (or purposes) ever share a stream."""
        index = GENRES.index(self.name)
        if index == 0:
            return np.random.default_rng([seed, *stream] if stream else seed)
        return np.random.default_rng([seed, 10 + index, *stream])


_PORTRAIT = Genre(
    name="portrait", masks=tuple(MASK_LABELS),
    region_of_part=np.array([MASK_LABELS[scene.REGION_OF_PART[p]] for p in scene.PARTS], np.uint8),
    attributes=portrait_attributes, build=scene.build_scene, paint=render.paint, sketch=draw_sketch,
)


def _layout_genre(name: str, module) -> Genre:
    """A genre painted from a ``Layout``: its module names its parts, regions, record, layout and painter."""
    regions = np.array([module.MASKS.index(module.REGION_OF_PART[p]) for p in module.PARTS], np.uint8)
    return Genre(name=name, masks=module.MASKS, region_of_part=regions, attributes=module.attributes,
                 build=module.build, paint=module.paint, sketch=draw_layout_sketch)


_SPECS: dict[str, Genre] = {g.name: g for g in (_PORTRAIT, _layout_genre("still_life", still_life),
                                                 _layout_genre("landscape", landscape),
                                                 _layout_genre("cityscape", cityscape))}
# Region masks per genre: mask names in label-map order (a label map's value v means masks[v]).
GENRE_MASKS: dict[str, tuple[str, ...]] = {name: spec.masks for name, spec in _SPECS.items()}

GenreArg = str | Sequence[str]


def genre_spec(genre: str) -> Genre:
    """The genre called ``genre``; a clear ValueError for anything else."""
    try:
        return _SPECS[genre]
    except (KeyError, TypeError):
        raise ValueError(f"unknown genre {genre!r}; the world paints {', '.join(GENRES)}.") from None


def genre_list(genre: GenreArg, count: int) -> list[str]:
    """One genre per sample: a name for all ``count``, "all" for a balanced mix (the genres in turn), or a
    sequence of ``count`` names."""
    if isinstance(genre, str):
        names = [GENRES[i % len(GENRES)] for i in range(count)] if genre == "all" else [genre] * count
    else:
        names = list(genre)
        if len(names) != count:
            raise ValueError(f"{len(names)} genres were given for {count} seeds; give one per seed.")
    for name in set(names):
        genre_spec(name)
    return names


def sample_attributes(seed: int, genre: str = "portrait") -> dict:
    """The JSON-serialisable record of sample ``seed`` of ``genre``: "genre" first, then the genre's own
    attributes. It depends on the seed and genre alone, never on the render size."""
    spec = genre_spec(genre)
    return {"genre": spec.name, **spec.attributes(spec.rng(seed))}


def portrait_head_record(seed: int) -> dict:
    """``sample_attributes(seed)["head"]`` of portrait ``seed`` without drawing the rest of its record."""
    return portrait_head(_PORTRAIT.rng(seed))[1]
