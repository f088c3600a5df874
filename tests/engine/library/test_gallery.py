"""The gallery: exact recipe round-trips, safe naming, rename/delete, and the static site."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.arrays import decode_array, encode_array
from studio.engine.images import read_png_text
from studio.engine.jobs import Cancelled, CancelToken
from studio.engine.library import gallery
from studio.engine.library.gallery import (
    GalleryError,
    RecipeError,
    delete_picture,
    export_picture,
    list_pictures,
    publish_site,
    read_recipe,
    rename_picture,
)

IMG = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)


def _latent(shape=(1, 12, 512)) -> np.ndarray:
    w = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    w.flat[:3] = [-0.0, 1e-40, np.float32(1) / 3]  # sign of zero, a denormal, a non-terminating binary fraction
    return w


def test_recipe_round_trip_is_exact(tmp_path):
    w = _latent()
    recipe = {"model": {"id": "portraits", "sha256": "ab" * 32}, "w": encode_array(w), "title": "Été 🎨"}
    png = export_picture(tmp_path, IMG, recipe, name="portrait")
    back = read_recipe(png)
    assert back["schema"] == gallery.RECIPE_SCHEMA
    assert back["model"] == recipe["model"] and back["title"] == "Été 🎨"
    w2 = decode_array(back["w"])
    assert w2.dtype == np.float32 and w2.shape == (1, 12, 512) and w2.tobytes() == w.tobytes()
    assert json.loads(png.with_suffix(".json").read_text(encoding="utf-8")) == back


def test_tensors_and_numpy_scalars_are_encoded_automatically(tmp_path):
    w = torch.randn(18, 512)
    png = export_picture(tmp_path, IMG, {"w_plus": w, "truncation": np.float32(0.5), "seed": np.int64(7)})
    back = read_recipe(png)
    assert torch.equal(torch.from_numpy(decode_array(back["w_plus"])), w)
    assert back["truncation"] == 0.5 and back["seed"] == 7
    assert png.stat().st_size < 60_000  # an 18x512 W+ stays compact


@pytest.mark.parametrize("a", [np.arange(6, dtype=np.int64).reshape(2, 3), np.array([True, False]), np.float64(np.pi)])
def test_encode_array_other_dtypes(a):
    back = decode_array(json.loads(json.dumps(encode_array(a))))
    assert back.dtype == np.asarray(a).dtype and np.array_equal(back, a)


@pytest.mark.parametrize(
    "bad",
    [{"__ndarray__": "AAAA", "dtype": "object", "shape": [1]},
     {"__ndarray__": "AAAA", "dtype": "float32", "shape": [5]}, []],
)
def test_decode_array_rejects_garbage(bad):
    with pytest.raises(ValueError, match="not an encoded array"):
        decode_array(bad)


def test_export_never_overwrites(tmp_path):
    first = export_picture(tmp_path, IMG, {"seed": 1}, name="sunset")
    second = export_picture(tmp_path, IMG, {"seed": 2}, name="sunset.png")
    (tmp_path / "sunset-3.json").write_text("{}")  # an orphan sidecar also reserves its name
    third = export_picture(tmp_path, IMG, {"seed": 3}, name="sunset")
    assert [p.name for p in (first, second, third)] == ["sunset.png", "sunset-2.png", "sunset-4.png"]
    assert [read_recipe(p)["seed"] for p in (first, second, third)] == [1, 2, 3]


def test_export_default_name_and_new_folder(tmp_path):
    png = export_picture(tmp_path / "new" / "gallery", IMG, {"seed": 1})
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}\.png", png.name)
    assert png.is_file() and png.with_suffix(".json").is_file()
    assert gallery.RECIPE_KEY in read_png_text(png, header_only=True)
    assert sorted(p.name for p in png.parent.iterdir()) == sorted([png.name, png.with_suffix(".json").name])
    labelled = export_picture(tmp_path / "new" / "gallery", IMG, {"seed": 2}, label="still life/flowers?")
    assert re.fullmatch(r"\d{8}-\d{6}-still life_flowers_-[0-9a-f]{6}\.png", labelled.name)  # a class, made safe


@pytest.mark.parametrize("name", ["a/b", "..", ".hidden", "", "  ", "what?"])
def test_export_rejects_bad_names(tmp_path, name):
    with pytest.raises(GalleryError, match="not a valid picture name"):
        export_picture(tmp_path, IMG, {}, name=name)


def test_read_recipe_falls_back_to_sidecar(tmp_path):
    png = export_picture(tmp_path, IMG, {"seed": 5}, name="a")
    Image.fromarray(IMG).save(png)  # a tool that strips PNG text chunks
    assert read_recipe(png)["seed"] == 5
    png.write_bytes(png.read_bytes()[:40])  # even a damaged PNG keeps its recipe
    assert read_recipe(png)["seed"] == 5


def test_read_recipe_errors_name_the_file(tmp_path):
    Image.fromarray(IMG).save(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match=r"plain\.png has no readable recipe"):
        read_recipe(tmp_path / "plain.png")
    (tmp_path / "plain.json").write_text("{not json")
    with pytest.raises(RecipeError, match=r"plain\.png has no readable recipe"):
        read_recipe(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match=r"missing\.png does not exist"):
        read_recipe(tmp_path / "missing.png")
    (tmp_path / "future.json").write_text('{"schema": 999}')
    with pytest.raises(RecipeError, match="newer GAN Studio"):
        read_recipe(tmp_path / "future.png")


def test_list_pictures_newest_first_skipping_other_files(tmp_path):
    old = export_picture(tmp_path, IMG, {}, name="old")
    new = export_picture(tmp_path, IMG, {}, name="new")
    Image.fromarray(IMG).save(tmp_path / "plain.png")
    for p, t in ((old, 1_000), (new, 3_000), (tmp_path / "plain.png", 2_000)):
        os.utime(p, (t, t))
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / ".old.png.abc123.tmp").write_bytes(b"half written")
    (tmp_path / ".hidden.png").write_bytes(b"")
    (tmp_path / "folder.png").mkdir()
    items = list_pictures(tmp_path)
    assert [(i.title, i.has_recipe, i.mtime) for i in items] == [
        ("new", True, 3000.0),
        ("plain", False, 2000.0),
        ("old", True, 1000.0),
    ]
    assert list_pictures(tmp_path / "nowhere") == []


def test_rename_moves_png_and_sidecar(tmp_path):
    png = export_picture(tmp_path, IMG, {"seed": 9}, name="a")
    export_picture(tmp_path, IMG, {}, name="taken")
    moved = rename_picture(png, "Blue hour")
    assert moved == tmp_path / "Blue hour.png" and not png.exists() and not (tmp_path / "a.json").exists()
    assert read_recipe(moved)["seed"] == 9 and (tmp_path / "Blue hour.json").is_file()
    with pytest.raises(GalleryError, match="already exists"):
        rename_picture(moved, "taken")
    with pytest.raises(GalleryError, match="not a valid picture name"):
        rename_picture(moved, "../escape")
    assert rename_picture(moved, "Blue hour.png") == moved


def test_delete_moves_both_files_to_the_trash(tmp_path, monkeypatch):
    trash = tmp_path / "trash"
    trash.mkdir()
    monkeypatch.setattr(gallery, "send2trash", lambda p: shutil.move(p, trash))
    png = export_picture(tmp_path / "g", IMG, {}, name="a")
    delete_picture(png)
    assert sorted(p.name for p in trash.iterdir()) == ["a.json", "a.png"]
    assert list_pictures(tmp_path / "g") == []


def test_delete_reports_an_unavailable_trash(tmp_path, monkeypatch):
    def no_trash(path):
        raise OSError("no trash on this volume")

    monkeypatch.setattr(gallery, "send2trash", no_trash)
    png = export_picture(tmp_path, IMG, {}, name="a")
    with pytest.raises(GalleryError, match=r"Could not move .*a\.png to the trash \(no trash on this volume\)"):
        delete_picture(png)
    assert png.exists()


def test_delete_with_the_real_trash(tmp_path, monkeypatch):
    """send2trash reads XDG_DATA_HOME at import, so point its module-level paths at tmp_path instead."""
    plat = pytest.importorskip("send2trash.plat_other")
    if gallery.send2trash is not plat.send2trash or os.stat(tmp_path).st_dev != os.stat(Path.home()).st_dev:
        pytest.skip("the home trash is on another volume (or another backend is in use)")
    monkeypatch.setattr(plat, "XDG_DATA_HOME", os.fsencode(tmp_path / "data"))
    monkeypatch.setattr(plat, "HOMETRASH_B", os.fsencode(tmp_path / "data" / "Trash"))
    png = export_picture(tmp_path / "g", IMG, {}, name="a")
    delete_picture(png)
    assert sorted(p.name for p in (tmp_path / "data" / "Trash" / "files").iterdir()) == ["a.json", "a.png"]


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


def test_publish_site(tmp_path):
    g = tmp_path / "gallery"
    evil = {"title": "<script>alert(1)</script>", "w": encode_array(_latent((1, 18, 512)))}
    export_picture(g, IMG, evil, name="evil & #1")
    export_picture(g, IMG, {"seed": 3, "sliders": list(range(40))}, name="calm")
    Image.fromarray(IMG).save(g / "no recipe.png")
    reports = []
    index = publish_site(g, tmp_path / "site", title="My <gallery>", progress=reports.append).index

    assert index == tmp_path / "site" / "index.html"
    assert reports[-1].done == reports[-1].total == 4
    pages = [index, *sorted((tmp_path / "site" / "pages").glob("*.html"))]
    assert len(pages) == 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>" not in html and "<gallery>" not in html
        for link in _links(html):
            assert "://" not in link and not link.startswith("/"), link
            assert (page.parent / unquote(link.replace("&amp;", "&"))).is_file(), link
    evil_page = (tmp_path / "site" / "pages" / "evil & #1.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in evil_page and "float32 array 1x18x512" in evil_page
    assert evil["w"]["__ndarray__"][:100] not in evil_page  # latents summarised, not dumped
    assert "list of 40 numbers" in (tmp_path / "site" / "pages" / "calm.html").read_text(encoding="utf-8")
    assert "No recipe" in (tmp_path / "site" / "pages" / "no recipe.html").read_text(encoding="utf-8")
    with Image.open(tmp_path / "site" / "thumbs" / "calm.jpg") as thumb:
        assert thumb.size == IMG.shape[1::-1]  # a small picture is not stretched to the thumbnail size


def test_site_thumbnails_keep_the_pictures_shape_and_only_shrink(tmp_path):
    g = tmp_path / "gallery"
    wide = np.random.default_rng(1).integers(0, 256, (300, 600, 3), dtype=np.uint8)
    export_picture(g, wide, {}, name="wide")
    export_picture(g, IMG, {}, name="small")
    publish_site(g, tmp_path / "site")
    with Image.open(tmp_path / "site" / "thumbs" / "wide.jpg") as thumb:
        assert thumb.size == (gallery.THUMB_SIZE, gallery.THUMB_SIZE // 2)  # shrunk, aspect kept, not cropped
    with Image.open(tmp_path / "site" / "thumbs" / "small.jpg") as thumb:
        assert thumb.size == (16, 16)
    css = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "figure img{max-width:100%;height:auto" in css


def test_republish_updates_and_prunes_only_its_own_files(tmp_path):
    g, site = tmp_path / "gallery", tmp_path / "site"
    keep = export_picture(g, IMG, {}, name="keep")
    gone = export_picture(g, IMG, {}, name="gone")
    publish_site(g, site)
    (site / "images" / "mine.png").write_bytes(b"the user's own file")
    gone.unlink()
    rename_picture(keep, "kept")
    publish_site(g, site)
    assert sorted(p.name for p in (site / "images").iterdir()) == ["kept.png", "mine.png"]
    assert [p.name for p in (site / "pages").iterdir()] == ["kept.html"]
    assert "gone" not in (site / "index.html").read_text(encoding="utf-8")


def test_publish_can_be_cancelled(tmp_path):
    export_picture(tmp_path / "g", IMG, {}, name="a")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        publish_site(tmp_path / "g", tmp_path / "site", token=token)
    assert not (tmp_path / "site" / "index.html").exists()


def test_publish_needs_a_gallery_folder(tmp_path):
    with pytest.raises(GalleryError, match="nowhere is not a folder"):
        publish_site(tmp_path / "nowhere", tmp_path / "site")


def test_publish_skips_a_damaged_picture_by_name_and_publishes_the_rest(tmp_path):
    g, site = tmp_path / "gallery", tmp_path / "site"
    export_picture(g, IMG, {}, name="a")
    export_picture(g, IMG, {}, name="c")
    (g / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"cut short")
    report = publish_site(g, site)
    assert report.published == 2 and list(report.skipped) == ["b.png"] and "b.png" in report.skipped["b.png"]
    assert sorted(p.name for p in (site / "pages").iterdir()) == ["a.html", "c.html"]
    assert "b.html" not in (site / "index.html").read_text(encoding="utf-8")


def test_a_killed_publish_is_pruned_by_the_next(tmp_path):
    """Files are recorded before they are written, so copies of a publish that died half-way are pruned later."""
    g, site = tmp_path / "gallery", tmp_path / "site"
    for name in ("a", "b", "c"):
        export_picture(g, IMG, {}, name=name)
    token = CancelToken()

    def die_after_first(p):
        if p.done == 1:
            token.cancel()  # stands in for kill -9 after the first picture was copied

    with pytest.raises(Cancelled):
        publish_site(g, site, progress=die_after_first, token=token)
    copied = sorted(p.name for p in (site / "images").iterdir())
    assert copied  # something was written before it died
    for picture in g.glob("*"):
        picture.unlink()
    export_picture(g, IMG, {}, name="z")
    publish_site(g, site)
    assert sorted(p.name for p in (site / "images").iterdir()) == ["z.png"]
    assert sorted(p.name for p in (site / "thumbs").iterdir()) == ["z.jpg"]


def test_names_differing_only_in_case_get_pages_of_their_own(tmp_path):
    g, site = tmp_path / "gallery", tmp_path / "site"
    g.mkdir()
    Image.fromarray(IMG).save(g / "Dup.png")
    Image.fromarray(255 - IMG).save(g / "Dup.PNG", format="PNG")
    Image.fromarray(IMG).save(g / "dup-2.png")  # the name a clash would take: still distinct
    index = publish_site(g, site).index
    pages = sorted(p.name for p in (site / "pages").iterdir())
    assert len(pages) == 3 and len({p.casefold() for p in pages}) == 3  # distinct on case-insensitive disks too
    html = index.read_text(encoding="utf-8")
    assert all(f'href="pages/{quote}"' in html for quote in pages)
    images = {p.name: p.read_bytes() for p in (site / "images").iterdir()}
    assert len(images) == 3 and (g / "Dup.png").read_bytes() in images.values()
    assert (g / "Dup.PNG").read_bytes() in images.values()


def test_publish_refuses_a_folder_of_other_files(tmp_path):
    export_picture(tmp_path / "g", IMG, {}, name="a")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("my own home page")
    with pytest.raises(ValueError, match="www is not empty and does not hold a published gallery"):
        publish_site(tmp_path / "g", tmp_path / "www")
    assert (tmp_path / "www" / "index.html").read_text() == "my own home page"
