"""The gallery as a static, offline website: an index of thumbnails and a page per picture with its recipe.

Re-publishing updates the site in place: unchanged images are not copied again, and the files an earlier
publish wrote for pictures since deleted are removed (a manifest in the site says which files are its own).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from PIL import Image

from ..arrays import decode_array
from ..atomic import WriteError, atomic_save, atomic_write_text, describe_os_error, sweep_stale
from ..images import ImageError, load_image, thumbnail
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..outputs import check_output_folder, same_path
from ..paths import PathLike
from .gallery import GalleryError, GalleryItem, list_pictures
from .recipe import RecipeError, read_recipe

THUMB_SIZE = 256
_SITE_MANIFEST = ".gan-studio-site.json"  # what the last publish wrote, so a re-publish can prune it
_SUMMARISE_LISTS_OVER = 16
_SUBFOLDERS = ("images", "thumbs", "pages")

_CSS = """
body{margin:0;background:#111;color:#ddd;font:15px/1.5 system-ui,sans-serif}
header{padding:1.2rem 2rem;border-bottom:1px solid #333}
h1{margin:0;font-weight:300;letter-spacing:.05em}
a{color:#9cf}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:1.2rem;padding:2rem}
figure{margin:0;background:#1b1b1b;padding:.5rem;box-shadow:0 2px 8px #000}
figure img{max-width:100%;height:auto;display:block;margin:auto}
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


def _is_encoded_array(value: Any) -> bool:
    return isinstance(value, dict) and "__ndarray__" in value


def _summarise(value: Any) -> Any:
    """The recipe for display: arrays and long number lists become one-line summaries."""
    if _is_encoded_array(value):
        try:
            a = decode_array(value)
        except ValueError:
            return "<unreadable array>"
        shape = "x".join(map(str, a.shape))
        with np.errstate(over="ignore", invalid="ignore"):  # float64 holds any float32's square; 1e300s show as inf
            b = a.astype(np.float64)
            stats = f", mean {b.mean():.4g}, std {b.std():.4g}" if a.size and a.dtype.kind == "f" else ""
        return f"<{a.dtype} array {shape}{stats}>"
    if isinstance(value, dict):
        return {k: _summarise(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > _SUMMARISE_LISTS_OVER and all(isinstance(v, (int, float)) for v in value):
            return f"<list of {len(value)} numbers>"
        return [_summarise(v) for v in value]
    return value


@dataclass(frozen=True)
class SiteReport:
    """What ``publish_site`` did: the index page, how many pictures it shows, and the pictures it skipped
    (file name -> why), which a damaged file no longer stops."""

    index: Path
    published: int
    skipped: dict[str, str]


def _site_names(items: list[GalleryItem]) -> dict[Path, str]:
    """Each picture's name in the site (its page, thumbnail and copy): the stem, made unique ignoring case, so
    ``Dup.png`` and ``Dup.PNG`` get pages of their own on every disk."""
    ordered = sorted(items, key=lambda it: (it.path.suffix != ".png", it.path.name))
    taken = {it.title.casefold() for it in items}
    names: dict[Path, str] = {}
    used: set[str] = set()
    for it in ordered:
        name, n = it.title, 1
        while name.casefold() in used or (n > 1 and name.casefold() in taken):
            n += 1
            name = f"{it.title}-{n}"
        used.add(name.casefold())
        names[it.path] = name
    return names


def _picture_page(item: GalleryItem, name: str, prev: str | None, nxt: str | None, image: str, title: str) -> str:
    try:
        recipe = json.dumps(_summarise(read_recipe(item.path)), indent=2, ensure_ascii=False)
    except RecipeError:
        recipe = "No recipe is stored with this picture."
    links = [f'<a href="{_href("..", "index.html")}">{escape(title)}</a>']
    if prev:
        links.append(f'<a href="{_href(prev + ".html")}">&larr; {escape(prev)}</a>')
    if nxt:
        links.append(f'<a href="{_href(nxt + ".html")}">{escape(nxt)} &rarr;</a>')
    body = (
        f"<header><nav>{''.join(links)}</nav><h1>{escape(name)}</h1></header>\n"
        f'<main><a href="{_href("..", image)}">'
        f'<img src="{_href("..", image)}" alt="{escape(name)}"></a>\n'
        f"<section><h2>Recipe</h2><pre>{escape(recipe, quote=False)}</pre></section></main>"
    )
    return _page(f"{name} | {title}", body)


def _index_page(names: list[str], title: str) -> str:
    cards = "\n".join(
        f'<figure><a href="{_href("pages", name + ".html")}">'
        f'<img src="{_href("thumbs", name + ".jpg")}" alt="{escape(name)}" loading="lazy"></a>'
        f"<figcaption>{escape(name)}</figcaption></figure>"
        for name in names
    )
    return _page(title, f"<header><h1>{escape(title)}</h1></header>\n<div class=\"grid\">\n{cards}\n</div>")


def _up_to_date(src: Path, dst: Path) -> bool:
    """True if ``dst`` is an up-to-date copy/thumbnail of ``src`` (we stamp outputs with the source mtime)."""
    return dst.exists() and dst.stat().st_mtime_ns == src.stat().st_mtime_ns


def _publish_picture(src: Path, image: Path, thumb: Path) -> None:
    """Make the thumbnail (which reads the picture, so a damaged one fails before anything is written) and copy
    the image, skipping both when the last publish already did."""
    if not _up_to_date(src, thumb):
        small = thumbnail(load_image(src, reduce_to=THUMB_SIZE), THUMB_SIZE)  # its own shape, never enlarged
        atomic_save(thumb, lambda tmp: _save_jpeg(tmp, small))
        os.utime(thumb, ns=(src.stat().st_atime_ns, src.stat().st_mtime_ns))
    if not _up_to_date(src, image):
        atomic_save(image, lambda tmp: shutil.copy2(src, tmp))


def _save_jpeg(path: Path, img: np.ndarray) -> None:
    Image.fromarray(img).save(path, format="JPEG", quality=88)


def is_site(folder: Path) -> bool:
    """True when ``folder`` holds a website an earlier ``publish_site`` wrote."""
    return (folder / _SITE_MANIFEST).is_file()


def publish_site(
    gallery_dir: PathLike,
    out_dir: PathLike,
    title: str = "GAN Studio gallery",
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> SiteReport:
    """Write the gallery as a static, offline website into ``out_dir``.

    ``out_dir`` must be new, empty or an earlier site (``check_site_folder``). Re-publishing updates it:
    unchanged images are not re-copied and files an earlier publish wrote for pictures since deleted are removed
    (nothing else in ``out_dir`` is touched, even after a publish that was killed half-way). A picture that
    cannot be read is skipped and named in the report; the rest are published.
    """
    report, token = progress or no_progress, ensure_token(token)
    out = check_site_folder(gallery_dir, out_dir)
    for sub in _SUBFOLDERS:
        sweep_stale(out / sub)
    items = list_pictures(gallery_dir)
    names = _site_names(items)
    files = {it.path: (f"images/{names[it.path]}.png", f"thumbs/{names[it.path]}.jpg", f"pages/{names[it.path]}.html")
             for it in items}
    # Record what this publish may write before writing it: a publish killed half-way is pruned by the next.
    candidates = _read_manifest(out) | {f for trio in files.values() for f in trio} | {"index.html"}
    _write_manifest(out, sorted(candidates))
    total = len(items) + 1
    skipped: dict[str, str] = {}
    good: list[GalleryItem] = []
    for i, item in enumerate(items):
        token.check()
        report(Progress(i, total, f"Publishing {item.path.name}"))
        image, thumb, _ = files[item.path]
        try:
            _publish_picture(item.path, out / image, out / thumb)
        except WriteError:
            raise
        except (ImageError, OSError) as exc:  # the picture, not the site: skip it and say so
            skipped[item.path.name] = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
            continue
        good.append(item)
    for i, item in enumerate(good):
        token.check()
        prev = names[good[i - 1].path] if i else None
        nxt = names[good[i + 1].path] if i + 1 < len(good) else None
        page = _picture_page(item, names[item.path], prev, nxt, files[item.path][0], title)
        atomic_write_text(out / files[item.path][2], page)
    token.check()
    index = out / "index.html"
    atomic_write_text(index, _index_page([names[it.path] for it in good], title))
    written = [f for it in good for f in files[it.path]] + ["index.html"]
    _prune(out, candidates, written)
    report(Progress(total, total, f"Published {len(good)} pictures" + (f", skipped {len(skipped)}" if skipped else "")))
    return SiteReport(index, len(good), skipped)


def check_site_folder(gallery_dir: PathLike, out_dir: PathLike) -> Path:
    """The output policy for a site: a gallery to publish, and a new, empty or earlier-site folder beside it."""
    gallery, out = Path(gallery_dir), Path(out_dir)
    if not gallery.is_dir():
        raise GalleryError(f"{gallery} is not a folder, so there is no gallery to publish.")
    if same_path(gallery, out):
        raise GalleryError(f"{out} is the gallery itself; choose another folder for the website.")
    return check_output_folder(out, "a published gallery", is_site, subfolders=_SUBFOLDERS)


def _read_manifest(out: Path) -> set[str]:
    try:
        return {str(rel) for rel in json.loads((out / _SITE_MANIFEST).read_text(encoding="utf-8"))["files"]}
    except (OSError, ValueError, KeyError, TypeError):  # no manifest yet, or not ours: prune nothing
        return set()


def _write_manifest(out: Path, files: list[str]) -> None:
    text = json.dumps({"format": "gan-studio-site", "files": files}, indent=1, ensure_ascii=False)
    atomic_write_text(out / _SITE_MANIFEST, text)


def _prune(out: Path, candidates: set[str], written: list[str]) -> None:
    """Delete the ``candidates`` (files an earlier or this publish may have written) that this one did not write,
    then record this publish's files."""
    root = out.resolve()
    for rel in candidates - set(written):
        stale = (out / rel).resolve()
        if stale.is_relative_to(root) and stale.is_file():
            stale.unlink()
    _write_manifest(out, written)
