"""One sample of the world: attributes -> scene -> painting, masks and sketch at the requested size.

The painting is drawn at the output size (edges are anti-aliased analytically by the distance
fields); the sketch's outlines come from a label map, so it is drawn at twice the size and averaged
down. Both scenes use the same noise draws, so their geometry agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .attributes import sample_attributes
from .render import paint
from .scene import PARTS, REGION_OF_PART, Scene, build_scene
from .sketch import draw_sketch
from .textures import canvas

SUPERSAMPLE = 2
MIN_SIZE = 32
MASK_LABELS: dict[str, int] = {"background": 0, "face": 1, "hair": 2, "clothes": 3}
_REGION_INDEX = np.array([MASK_LABELS[REGION_OF_PART[p]] for p in PARTS], np.uint8)


@dataclass
class WorldSample:
    """A rendered portrait with its ground truth: attribute record, region masks and line sketch."""

    image: np.ndarray  # (H, W, 3) uint8
    sketch: np.ndarray  # (H, W) uint8, 255 = paper, 0 = ink
    masks: dict[str, np.ndarray]  # region name -> (H, W) bool; the regions partition the image
    attributes: dict

    @property
    def label_map(self) -> np.ndarray:
        """(H, W) uint8 region index per pixel, numbered as in ``MASK_LABELS``."""
        out = np.zeros(self.image.shape[:2], np.uint8)
        for name, idx in MASK_LABELS.items():
            out[self.masks[name]] = idx
        return out


def _shape_rng(seed: int) -> np.random.Generator:
    """Edge roughness: drawn from small grids whose size never depends on resolution, so one stream
    gives the same geometry at every size."""
    return np.random.default_rng([seed, 1])


def _render(seed: int, size: int) -> tuple[np.ndarray, dict, Scene]:
    if size < MIN_SIZE:
        raise ValueError(f"size must be at least {MIN_SIZE}, got {size}")
    attrs = sample_attributes(seed)
    scene = build_scene(attrs, size, _shape_rng(seed))
    paint_rng = np.random.default_rng([seed, 2, size])
    img = paint(scene, attrs, paint_rng) * (1 + 0.04 * canvas(paint_rng, size)[..., None])
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8), attrs, scene


def render_sample(seed: int, size: int = 128) -> WorldSample:
    """Render portrait ``seed`` at ``size`` px with its masks, sketch and attributes (deterministic)."""
    image, attrs, scene = _render(seed, size)
    regions = _REGION_INDEX[scene.labels]
    masks = {name: regions == i for name, i in MASK_LABELS.items()}
    fine = draw_sketch(build_scene(attrs, size * SUPERSAMPLE, _shape_rng(seed)))
    ink = fine.reshape(size, SUPERSAMPLE, size, SUPERSAMPLE).mean(axis=(1, 3))
    sketch = np.clip(255 - ink * 255 + 0.5, 0, 255).astype(np.uint8)
    return WorldSample(image=image, sketch=sketch, masks=masks, attributes=attrs)


def render_batch(seeds: Sequence[int], size: int = 128) -> np.ndarray:
    """(N, size, size, 3) uint8 images only: the trainer's fast path, skipping masks and sketches."""
    return np.stack([_render(int(s), size)[0] for s in seeds])
