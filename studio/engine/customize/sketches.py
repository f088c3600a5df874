"""The user's sketches: a folder (or list) of images of any format -> one (N, 1, S, S) tensor in [-1, 1].

A sketch is dark strokes on light paper. Its contrast is stretched, it is centre-cropped to a square and
shrunk to the model's resolution by averaging its ink, then re-inked so thin pen lines do not fade to grey.
Blank pages, all-dark pages and sets outside 1..30 sketches are refused with a sentence naming the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import torch
from PIL import Image

from ..images import ImageError, load_image
from ..paths import PathLike

MAX_SKETCHES = 30
_MIN_CONTRAST = 0.15  # strokes must be this much darker than the paper (0..1)
_MIN_INK_SHARE = 0.0005  # below this share of dark pixels a page is blank
_MAX_INK_SHARE = 0.6  # above it the page is mostly dark: not a drawing on paper
_MAX_REINK_GAIN = 4.0

SketchSource = Union[PathLike, Sequence[PathLike], "SketchSet"]


class SketchError(ImageError):
    """A sketch (or the set) cannot be used; the message is one sentence naming the file."""


@dataclass
class SketchSet:
    """Sketches at one resolution with their names and content hashes (recorded in the model card)."""

    tensor: torch.Tensor  # (N, 1, S, S), +1 paper, -1 ink
    names: list[str]
    hashes: list[str]

    def __len__(self) -> int:
        return len(self.names)


def image_files(folder: Path) -> list[Path]:
    """Non-hidden files in ``folder`` with an extension Pillow knows, sorted by name."""
    known = {ext.lower() for ext in Image.registered_extensions()}
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in known)


def load_sketches(source: SketchSource, size: int) -> SketchSet:
    """A folder, a list of files or an existing ``SketchSet`` -> a ``SketchSet`` at ``size`` px."""
    if isinstance(source, SketchSet):
        if source.tensor.shape[-1] != size:
            raise SketchError(f"the sketches are {source.tensor.shape[-1]} px, the model needs {size} px.")
        return source
    if isinstance(source, (str, Path)):
        folder = Path(source)
        if not folder.is_dir():
            raise SketchError(f"{folder}: no such folder of sketches.")
        paths = image_files(folder)
        if not paths:
            raise SketchError(f"{folder}: holds no image files to use as sketches.")
    else:
        paths = [Path(p) for p in source]
    if not 1 <= len(paths) <= MAX_SKETCHES:
        raise SketchError(f"{len(paths)} sketches given: use between 1 and {MAX_SKETCHES}.")
    inks, hashes = [], []
    for p in paths:
        grey = load_image(p).astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        inks.append(prepare_ink(1 - grey / 255, size, str(p)))
        hashes.append(hashlib.sha256(p.read_bytes()).hexdigest())
    return SketchSet(_to_tensor(inks), [p.name for p in paths], hashes)


def sketches_from_arrays(sketches: Sequence[np.ndarray], names: Sequence[str], size: int) -> SketchSet:
    """uint8 (H, W) sketches (255 paper, 0 ink, like the world's) -> a ``SketchSet`` at ``size`` px."""
    inks = [prepare_ink(1 - s.astype(np.float32) / 255, size, n) for s, n in zip(sketches, names)]
    hashes = [hashlib.sha256(np.ascontiguousarray(s).tobytes()).hexdigest() for s in sketches]
    return SketchSet(_to_tensor(inks), list(names), hashes)


def prepare_ink(ink: np.ndarray, size: int, name: str) -> np.ndarray:
    """Check an ink map (H, W) in [0, 1], stretch paper..darkest stroke to 0..1, bring it to ``size`` px.

    The stretch lets a light pencil drawing or a greyish photo of paper count as a drawing.
    """
    paper, deep = float(np.percentile(ink, 10)), float(np.percentile(ink, 99.95))
    if deep - paper < _MIN_CONTRAST:
        raise SketchError(f"{name}: the sketch is blank (no dark strokes found).")
    ink = np.clip((ink - paper) / (deep - paper), 0, 1)
    share = float((ink > 0.5).mean())
    if share < _MIN_INK_SHARE:
        raise SketchError(f"{name}: the sketch is blank (no dark strokes found).")
    if share > _MAX_INK_SHARE:
        raise SketchError(f"{name}: the sketch is mostly dark; draw dark lines on light paper.")
    h, w = ink.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(np.ascontiguousarray(ink[top : top + side, left : left + side], dtype=np.float32))
    small = np.asarray(square.resize((size, size), Image.Resampling.BOX))
    peak = float(small.max())
    gain = min(_MAX_REINK_GAIN, 1 / peak) if peak > 0 else 1.0
    return np.clip(small * max(gain, 1.0), 0, 1)


def _to_tensor(inks: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(1 - 2 * np.stack(inks)[:, None]).float()
