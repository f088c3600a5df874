"""The gallery: exported pictures that carry their full recipe, and a static website made from them.

Each picture is ``<stem>.png`` with the recipe JSON in an iTXt chunk (so it travels with the file)
plus a ``<stem>.json`` sidecar (so it survives tools that strip PNG chunks). The recipe is opaque here,
except for the ``schema`` version stamped on export and arrays, which ``encode_array`` stores exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import torch
from PIL import Image
from send2trash import send2trash

from studio.engine.arrays import decode_array, encode_array
from studio.engine.atomic import PathLike, atomic_save, atomic_write_text
from studio.engine.images import ImageError, fit_image, load_image, read_png_text, save_png
from studio.engine.jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress

RECIPE_SCHEMA = 1
RECIPE_KEY = "gan-studio-recipe"
THUMB_SIZE = 256
_SITE_MANIFEST = ".gan-studio-site.json"  # what the last publish wrote, so a re-publish can prune it
_SUMMARISE_LISTS_OVER = 16
# Path separators, plus what Windows refuses in names, so a gallery can move between machines.
_FORBIDDEN_CHARS = '/\\:*?"<>|'

# Picking a free name and writing it must not interleave between two exports in this process.
_naming_lock = threading.Lock()


class GalleryError(ValueError):
    """A gallery operation failed; the message is one sentence naming the file."""


class RecipeError(GalleryError):
    """A picture carries no readable recipe."""


@dataclass(frozen=True)
class GalleryItem:
    path: Path
    title: str
    mtime: float
    has_recipe: bool


def _is_encoded_array(value: Any) -> bool:
    return isinstance(value, dict) and "__ndarray__" in value


def _json_default(value: Any) -> Any:
    """Let recipes hold tensors, arrays and numpy scalars directly."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return encode_array(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a recipe cannot hold {type(value).__name__} values")


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


def export_picture(gallery_dir: PathLike, image: np.ndarray, recipe: dict, name: str | None = None) -> Path:
    """Save ``image`` with ``recipe`` into the gallery as a new PNG + JSON sidecar; never overwrites.

    Without ``name`` the stem is a timestamp plus a short content hash; a taken stem gets ``-2``, ``-3``...
    """
    folder = Path(gallery_dir)
    text = json.dumps({**recipe, "schema": RECIPE_SCHEMA}, ensure_ascii=False, default=_json_default)
    if name is None:
        digest = hashlib.sha1(np.ascontiguousarray(image).tobytes() + text.encode()).hexdigest()[:6]
        name = f"{datetime.now():%Y%m%d-%H%M%S}-{digest}"
    base = _check_name(name)
    with _naming_lock:
        folder.mkdir(parents=True, exist_ok=True)
        stem, n = base, 1
        while _is_taken(folder, stem):
            n += 1
            stem = f"{base}-{n}"
        png = folder / f"{stem}.png"
        # The PNG first: if we die before the sidecar, the picture still carries its recipe.
        save_png(png, image, {RECIPE_KEY: text})
        atomic_write_text(_sidecar(png), text)
    return png


def _parse_recipe(text: str | None, source: Path) -> dict | None:
    """The recipe in ``text``, or None if it is not one; a recipe from a newer app is an error."""
    try:
        recipe = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(recipe, dict) or not isinstance(recipe.get("schema"), int):
        return None
    if recipe["schema"] > RECIPE_SCHEMA:
        raise RecipeError(f"{source} holds a recipe from a newer GAN Studio (schema {recipe['schema']}).")
    return recipe


def read_recipe(path: PathLike) -> dict:
    """The recipe of a gallery picture: from its PNG chunk, else from its JSON sidecar."""
    png = Path(path).with_suffix(".png")
    sidecar = _sidecar(png)
    if not png.exists() and not sidecar.exists():
        raise RecipeError(f"{png} does not exist.")
    try:
        chunk = read_png_text(png).get(RECIPE_KEY)
    except ImageError:
        chunk = None
    recipe = _parse_recipe(chunk, png)
    if recipe is None and sidecar.is_file():
        try:
            recipe = _parse_recipe(sidecar.read_text(encoding="utf-8"), sidecar)
        except (OSError, UnicodeDecodeError):
            recipe = None
    if recipe is None:
        raise RecipeError(f"{png} has no readable recipe, neither in the PNG nor in {sidecar.name}.")
    return recipe


def has_recipe(png: Path) -> bool:
    """Cheap check for listing: a sidecar, or the chunk among the PNG's header chunks (no pixel decode)."""
    if _sidecar(png).is_file():
        return True
    try:
        return RECIPE_KEY in read_png_text(png, header_only=True)
    except ImageError:
        return False


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


# ---- the static site -------------------------------------------------------------------------------------

_CSS = """
body{margin:0;background:#111;color:#ddd;font:15px/1.5 system-ui,sans-serif}
header{padding:1.2rem 2rem;border-bottom:1px solid #333}
h1{margin:0;font-weight:300;letter-spacing:.05em}
a{color:#9cf}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:1.2rem;padding:2rem}
figure{margin:0;background:#1b1b1b;padding:.5rem;box-shadow:0 2px 8px #000}
figure img{width:100%;display:block}
figcaption{padding:.4rem .2rem 0;font-size:.85em;color:#aaa;overflow-wrap:anywhere}
main{padding:2rem;display:flex;flex-wrap:wrap;gap:2rem}
main img{max-width:min(100%,1024px);height:auto;box-shadow:0 4px 16px #000}
pre{background:#1b1b1b;padding:1rem;overflow:auto;max-width:60ch;font-size:.85em}
nav{display:flex;gap:1.5rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _href(*parts: str) -> str:
    """A relative URL to a file in the site, percent-encoded so odd picture names still link."""
    return escape("/".join(quote(p) for p in parts))


def _summarise(value: Any) -> Any:
    """The recipe for display: arrays and long number lists become one-line summaries."""
    if _is_encoded_array(value):
        try:
            a = decode_array(value)
        except ValueError:
            return "<unreadable array>"
        shape = "x".join(map(str, a.shape))
        stats = f", mean {a.mean():.4g}, std {a.std():.4g}" if a.size and a.dtype.kind == "f" else ""
        return f"<{a.dtype} array {shape}{stats}>"
    if isinstance(value, dict):
        return {k: _summarise(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > _SUMMARISE_LISTS_OVER and all(isinstance(v, (int, float)) for v in value):
            return f"<list of {len(value)} numbers>"
        return [_summarise(v) for v in value]
    return value


def _picture_page(item: GalleryItem, prev: GalleryItem | None, nxt: GalleryItem | None, title: str) -> str:
    try:
        recipe = json.dumps(_summarise(read_recipe(item.path)), indent=2, ensure_ascii=False)
    except RecipeError:
        recipe = "No recipe is stored with this picture."
    links = [f'<a href="{_href("..", "index.html")}">{escape(title)}</a>']
    if prev:
        links.append(f'<a href="{_href(prev.title + ".html")}">&larr; {escape(prev.title)}</a>')
    if nxt:
        links.append(f'<a href="{_href(nxt.title + ".html")}">{escape(nxt.title)} &rarr;</a>')
    body = (
        f"<header><nav>{''.join(links)}</nav><h1>{escape(item.title)}</h1></header>\n"
        f'<main><a href="{_href("..", "images", item.path.name)}">'
        f'<img src="{_href("..", "images", item.path.name)}" alt="{escape(item.title)}"></a>\n'
        f"<section><h2>Recipe</h2><pre>{escape(recipe, quote=False)}</pre></section></main>"
    )
    return _page(f"{item.title} | {title}", body)


def _index_page(items: list[GalleryItem], title: str) -> str:
    cards = "\n".join(
        f'<figure><a href="{_href("pages", it.title + ".html")}">'
        f'<img src="{_href("thumbs", it.title + ".jpg")}" alt="{escape(it.title)}" loading="lazy"></a>'
        f"<figcaption>{escape(it.title)}</figcaption></figure>"
        for it in items
    )
    return _page(title, f"<header><h1>{escape(title)}</h1></header>\n<div class=\"grid\">\n{cards}\n</div>")


def _up_to_date(src: Path, dst: Path) -> bool:
    """True if ``dst`` is an up-to-date copy/thumbnail of ``src`` (we stamp outputs with the source mtime)."""
    return dst.exists() and dst.stat().st_mtime_ns == src.stat().st_mtime_ns


def _publish_picture(item: GalleryItem, out: Path) -> None:
    """Copy the image and make its thumbnail, skipping both when the last publish already did."""
    src = item.path
    image, thumb = out / "images" / src.name, out / "thumbs" / f"{item.title}.jpg"
    if not _up_to_date(src, image):
        atomic_save(image, lambda tmp: shutil.copy2(src, tmp))
    if not _up_to_date(src, thumb):
        small = fit_image(load_image(src), THUMB_SIZE)
        atomic_save(thumb, lambda tmp: _save_jpeg(tmp, small))
        os.utime(thumb, ns=(src.stat().st_atime_ns, src.stat().st_mtime_ns))


def _save_jpeg(path: Path, img: np.ndarray) -> None:
    Image.fromarray(img).save(path, format="JPEG", quality=88)


def publish_site(
    gallery_dir: PathLike,
    out_dir: PathLike,
    title: str = "GAN Studio gallery",
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> Path:
    """Write the gallery as a static, offline website into ``out_dir``; returns its ``index.html``.

    Re-publishing updates the folder: unchanged images are not re-copied and files the previous publish
    wrote for pictures since deleted are removed (nothing else in ``out_dir`` is touched).
    """
    report, token = progress or no_progress, ensure_token(token)
    out = Path(out_dir)
    if not Path(gallery_dir).is_dir():
        raise GalleryError(f"{gallery_dir} is not a folder, so there is no gallery to publish.")
    items = list_pictures(gallery_dir)
    total = len(items) + 1
    written: list[str] = []
    for i, item in enumerate(items):
        token.check()
        report(Progress(i, total, f"Publishing {item.path.name}"))
        _publish_picture(item, out)
        prev, nxt = (items[i - 1] if i else None), (items[i + 1] if i + 1 < len(items) else None)
        atomic_write_text(out / "pages" / f"{item.title}.html", _picture_page(item, prev, nxt, title))
        written += [f"images/{item.path.name}", f"thumbs/{item.title}.jpg", f"pages/{item.title}.html"]
    token.check()
    index = out / "index.html"
    atomic_write_text(index, _index_page(items, title))
    _prune(out, written + ["index.html"])
    report(Progress(total, total, f"Published {len(items)} pictures"))
    return index


def _prune(out: Path, written: list[str]) -> None:
    """Delete what the previous publish wrote and this one did not, then record this publish's files."""
    manifest = out / _SITE_MANIFEST
    try:
        previous = {str(rel) for rel in json.loads(manifest.read_text(encoding="utf-8"))["files"]}
    except (OSError, ValueError, KeyError, TypeError):  # no manifest yet, or not ours: prune nothing
        previous = set()
    root = out.resolve()
    for rel in previous - set(written):
        stale = (out / rel).resolve()
        if stale.is_relative_to(root) and stale.is_file():
            stale.unlink()
    atomic_write_text(manifest, json.dumps({"files": written}, indent=1, ensure_ascii=False))
