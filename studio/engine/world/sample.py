"""One sample of the world: attributes -> scene -> painting, masks and sketch at the requested size.

The painting is drawn at the output size (edges are anti-aliased analytically by the distance
fields); the sketch's outlines come from a label map, so it is drawn at twice the size and averaged
down. Both scenes use the same noise draws, so their geometry agrees.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from .attributes import FACE_PARTS
from .genres import GENRE_MASKS, GenreArg, genre_list, genre_spec, sample_attributes
from .textures import canvas

SUPERSAMPLE = 2
MIN_SIZE = 32


@dataclass
class WorldSample:
    """A rendered painting with its ground truth: attribute record, region masks and line sketch."""

    image: np.ndarray  # (H, W, 3) uint8
    sketch: np.ndarray  # (H, W) uint8, 255 = paper, 0 = ink
    masks: dict[str, np.ndarray]  # region name -> (H, W) bool; the regions partition the image
    attributes: dict  # the record; attributes["genre"] names the genre

    @property
    def genre(self) -> str:
        return self.attributes["genre"]

    @property
    def label_map(self) -> np.ndarray:
        """(H, W) uint8 region index per pixel, numbered as in ``GENRE_MASKS[genre]``."""
        out = np.zeros(self.image.shape[:2], np.uint8)
        for idx, name in enumerate(GENRE_MASKS[self.genre]):
            out[self.masks[name]] = idx
        return out


def _render(seed: int, size: int, genre: str, unpainted: Collection[str] = ()):
    if size < MIN_SIZE:
        raise ValueError(f"size must be at least {MIN_SIZE}, got {size}")
    spec = genre_spec(genre)
    attrs = sample_attributes(seed, genre)
    if unpainted:
        unknown = set(unpainted) - set(FACE_PARTS) if genre == "portrait" else set(unpainted)
        if unknown:
            raise ValueError(f"unpainted: {', '.join(sorted(unknown))} is not a face part of a {genre} "
                             f"(portraits have {', '.join(FACE_PARTS)})")
        attrs = {**attrs, "unpainted": [p for p in FACE_PARTS if p in unpainted]}
    scene = spec.build(attrs, size, spec.rng(seed, 1))
    paint_rng = spec.rng(seed, 2, size)
    img = spec.paint(scene, attrs, paint_rng) * (1 + 0.04 * canvas(paint_rng, size)[..., None])
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8), attrs, scene


def render_sample(seed: int, size: int = 128, genre: str = "portrait") -> WorldSample:
    """Render sample ``seed`` of ``genre`` at ``size`` px with its masks, sketch and attributes (deterministic)."""
    image, attrs, scene = _render(seed, size, genre)
    spec = genre_spec(genre)
    regions = spec.region_of_part[scene.labels]
    masks = {name: regions == i for i, name in enumerate(spec.masks)}
    fine = spec.sketch(spec.build(attrs, size * SUPERSAMPLE, spec.rng(seed, 1)))
    ink = fine.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(1, 3))
    sketch = np.clip(255 - ink * 255 + 0.5, 0, 255).astype(np.uint8)
    return WorldSample(image=image, sketch=sketch, masks=masks, attributes=attrs)


def render_image(seed: int, size: int = 128, unpainted: Collection[str] = ()) -> tuple[np.ndarray, dict]:
    """Portrait ``seed``'s (size, size, 3) uint8 painting and record, with the face parts ``unpainted`` (names
    from ``FACE_PARTS``) left out and listed in the record: a face with some features missing, for the face probe."""
    image, attrs, _ = _render(seed, size, "portrait", unpainted)
    return image, attrs


def render_batch(seeds: Sequence[int], size: int = 128, genre: GenreArg = "portrait") -> np.ndarray:
    """(N, size, size, 3) uint8 images only: the trainer's fast path, skipping masks and sketches.

    ``genre`` is one name for every seed, "all" for the genres in turn, or one name per seed."""
    return np.stack([_render(int(s), size, g)[0] for s, g in zip(seeds, genre_list(genre, len(seeds)))])
