"""Real images for the image critic D_X: fresh world paintings every step, or a folder's images resized once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from ..images import image_to_tensor, images_to_tensor, load_fitted
from ..jobs import CancelToken
from ..model.checkpoints import DEFAULT_MODEL
from ..model.loaded import LoadedModel
from ..world import GENRES, render_batch
from .config import CustomizeConfig, CustomizeError
from .sketches import image_files

MAX_FOLDER_IMAGES = 5000

ImageSource = Callable[[int, torch.Generator], torch.Tensor]


def world_images(size: int, genre: str = "portrait") -> ImageSource:
    """Fresh world paintings of ``genre`` every step (random seeds), as the default model was trained on."""

    def draw(n: int, gen: torch.Generator) -> torch.Tensor:
        seeds = torch.randint(0, 2**31 - 1, (n,), generator=gen).tolist()
        return images_to_tensor(render_batch(seeds, size, genre))

    return draw


def folder_images(folder: Path, size: int, token: CancelToken) -> ImageSource:
    """The images of ``folder`` (up to MAX_FOLDER_IMAGES), centre-cropped and resized once, drawn at random."""
    if not folder.is_dir():
        raise CustomizeError(f"{folder}: no such folder of real images.")
    paths = image_files(folder)[:MAX_FOLDER_IMAGES]
    if not paths:
        raise CustomizeError(f"{folder}: holds no image files to use as real images.")
    pool = []
    for p in paths:
        token.check()
        pool.append(image_to_tensor(load_fitted(p, size)))
    data = torch.cat(pool)

    def draw(n: int, gen: torch.Generator) -> torch.Tensor:
        return data[torch.randint(len(data), (n,), generator=gen)]

    return draw


def image_source(base: LoadedModel, cfg: CustomizeConfig, token: CancelToken) -> tuple[ImageSource | None, str]:
    """The run's real images and how the card names them: ``cfg.images``, else the world for the default model,
    else none (the run holds G′ near G with L_weight instead)."""
    size = base.G.resolution
    choice = cfg.images
    if choice is None:
        choice = "world" if base.path is not None and base.path.resolve() == DEFAULT_MODEL.resolve() else ""
    if choice == "world":  # a genre model customized for a genre of the world gets that genre's paintings
        named = base.classes[cfg.class_index] if cfg.class_index is not None else None
        genre = named if named in GENRES else "portrait"
        return world_images(size, genre), "world" if genre == "portrait" else f"world ({genre})"
    if choice:
        return folder_images(Path(choice), size, token), str(choice)
    return None, "none (L_weight)"
