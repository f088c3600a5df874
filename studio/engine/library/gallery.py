"""The gallery folder: exported pictures that carry their full recipe, listed, named, renamed and deleted.

Each picture is ``<stem>.png`` with the recipe JSON in an iTXt chunk (so it travels with the file)
plus a ``<stem>.json`` sidecar (so it survives tools that strip PNG chunks), both written by
``recipe.write_picture``; the two move together. The recipe is opaque here. ``site`` publishes the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from send2trash import send2trash

from ..paths import PathLike
from .recipe import has_recipe, recipe_text, write_picture

# Path separators, plus what Windows refuses in names, so a gallery can move between machines.
_FORBIDDEN_CHARS = '/\\:*?"<>|'

# Picking a free name and writing it must not interleave between two exports in this process.
_naming_lock = threading.Lock()


class GalleryError(ValueError):
    """A gallery operation failed; the message is one sentence naming the file."""


@dataclass(frozen=True)
class GalleryItem:
    path: Path
    title: str
    mtime: float
    has_recipe: bool


def _sidecar(png: Path) -> Path:
    return png.with_suffix(".json")


def _check_name(name: str) -> str:
    """A picture stem from a user-typed name: no folders, no hidden files, no control characters."""
    stem = name[:-4] if name.lower().endswith(".png") else name
    if not stem.strip() or stem.startswith(".") or not stem.isprintable() or set(stem) & set(_FORBIDDEN_CHARS):
        rule = f"it must not be empty, start with a dot or contain {_FORBIDDEN_CHARS}"
        raise GalleryError(f"{name!r} is not a valid picture name ({rule}).")
    return stem


def _is_taken(folder: Path, stem: str) -> bool:
    return (folder / f"{stem}.png").exists() or (folder / f"{stem}.json").exists()


def export_picture(
    gallery_dir: PathLike, image: np.ndarray, recipe: dict, name: str | None = None, label: str | None = None
) -> Path:
    """Save ``image`` with ``recipe`` into the gallery as a new PNG + JSON sidecar; never overwrites.

    Without ``name`` the stem is a timestamp, ``label`` if given (a conditional model's class, so the gallery
    shows it under the thumbnail), and a short content hash; a taken stem gets ``-2``, ``-3``...
    """
    folder = Path(gallery_dir)
    text = recipe_text(recipe)
    if name is None:
        digest = hashlib.sha1(np.ascontiguousarray(image).tobytes() + text.encode()).hexdigest()[:6]
        word = "".join("_" if c in _FORBIDDEN_CHARS or not c.isprintable() else c for c in label or "")
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{word + '-' if word.strip() else ''}{digest}"
    base = _check_name(name)
    with _naming_lock:
        folder.mkdir(parents=True, exist_ok=True)
        stem, n = base, 1
        while _is_taken(folder, stem):
            n += 1
            stem = f"{base}-{n}"
        return write_picture(folder / f"{stem}.png", image, recipe)


def list_pictures(gallery_dir: PathLike) -> list[GalleryItem]:
    """The gallery's PNG pictures, newest first; hidden and temporary files are skipped."""
    folder = Path(gallery_dir)
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        if p.suffix.lower() != ".png" or p.name.startswith(".") or not p.is_file():
            continue
        with contextlib.suppress(FileNotFoundError):  # deleted while we looked
            found.append((p.stat().st_mtime_ns, p.name, p))
    found.sort(reverse=True)
    return [GalleryItem(p, p.stem, ns / 1e9, has_recipe(p)) for ns, _, p in found]


def rename_picture(path: PathLike, new_name: str) -> Path:
    """Rename a picture and its sidecar together; refuses to overwrite or to leave the folder."""
    png = Path(path)
    stem = _check_name(new_name)
    target = png.with_name(f"{stem}.png")
    if not png.is_file():
        raise GalleryError(f"{png} does not exist.")
    if target == png:
        return png
    with _naming_lock:
        # A case-only rename on a case-insensitive disk finds the picture itself "taken": allow it.
        if _is_taken(png.parent, stem) and not (target.exists() and os.path.samefile(target, png)):
            raise GalleryError(f"Cannot rename {png.name}: {stem}.png or {stem}.json already exists.")
        png.rename(target)
        if _sidecar(png).exists():
            try:
                _sidecar(png).rename(_sidecar(target))
            except OSError as exc:
                target.rename(png)  # keep the pair together
                raise GalleryError(f"Cannot rename {_sidecar(png).name} ({exc.strerror or exc}).") from exc
    return target


def delete_picture(path: PathLike) -> None:
    """Move a picture and its sidecar to the desktop trash, so a mistaken delete can be undone."""
    png = Path(path)
    if not png.is_file():
        raise GalleryError(f"{png} does not exist.")
    sidecar = _sidecar(png)
    for p in (png, sidecar) if sidecar.exists() else (png,):
        try:
            send2trash(str(p))
        except OSError as exc:  # every send2trash backend reports failures as OSError
            raise GalleryError(f"Could not move {p} to the trash ({exc}); it was not deleted.") from exc
