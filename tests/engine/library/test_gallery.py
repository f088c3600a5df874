"""The gallery folder: exact recipe round-trips through it, safe naming, listing, rename and delete."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.arrays import decode_array, encode_array
from studio.engine.images import read_png_text
from studio.engine.library import gallery
from studio.engine.library.gallery import GalleryError, delete_picture, export_picture, list_pictures, rename_picture
from studio.engine.library.recipe import RECIPE_KEY, RECIPE_SCHEMA, read_recipe

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
    assert back["schema"] == RECIPE_SCHEMA
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
    [
        {"__ndarray__": "AAAA", "dtype": "object", "shape": [1]},
        {"__ndarray__": "AAAA", "dtype": "float32", "shape": [5]},
        [],
    ],
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
    assert RECIPE_KEY in read_png_text(png, header_only=True)
    assert sorted(p.name for p in png.parent.iterdir()) == sorted([png.name, png.with_suffix(".json").name])
    labelled = export_picture(tmp_path / "new" / "gallery", IMG, {"seed": 2}, label="still life/flowers?")
    assert re.fullmatch(r"\d{8}-\d{6}-still life_flowers_-[0-9a-f]{6}\.png", labelled.name)  # a class, made safe


@pytest.mark.parametrize("name", ["a/b", "..", ".hidden", "", "  ", "what?"])
def test_export_rejects_bad_names(tmp_path, name):
    with pytest.raises(GalleryError, match="not a valid picture name"):
        export_picture(tmp_path, IMG, {}, name=name)


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
