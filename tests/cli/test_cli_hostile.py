"""Issue 28, the command line's part: numbers that overflowed, devices that do not exist, freezing without a start
model, masks without alpha, pictures replaced without a word, messages naming the wrong file. Each refusal is
one line naming the option or file, exit status 2, before any work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.engine import save_model
from studio.engine.images import load_image
from studio.engine.library.gallery import export_picture
from tests.conftest import make_tiny_pair


@pytest.fixture
def model(tmp_path) -> Path:
    return save_model(tmp_path / "m.safetensors", *make_tiny_pair())


@pytest.fixture
def mask(tmp_path) -> Path:
    paint = np.zeros((32, 32, 4), np.uint8)
    paint[:8] = (40, 80, 220, 255)  # the top painted blue
    Image.fromarray(paint, "RGBA").save(tmp_path / "mask.png")
    return tmp_path / "mask.png"


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


# --- 9 and 14: numbers beyond any sane run ------------------------------------------------------------------


@pytest.mark.parametrize("args, says", [
    (["train", "--kimg", "1e306"], "argument --kimg: must be a number of at most 1,000,000, not 1e+306"),
    (["train", "--steps", str(10**29)], "argument --steps: must be a whole number of at most 1,000,000,000"),
    (["train", "--seed", str(10**29)], "argument --seed: must be a whole number from 0 to 4294967295"),
    (["train", "--batch", "100000000"], "argument --batch: must be a whole number from 1 to 4096, not 100000000"),
    (["train", "--minutes", "1e300"], "argument --minutes: must be a number of at most 525,600"),
    (["train", "--workers", "100000"], "argument --workers: must be a whole number from 0 to 64, not 100000"),
    (["customize", "--sketches", "s", "--seed", str(10**29)], "argument --seed: must be a whole number from 0 to"),
    (["customize", "--sketches", "s", "--steps", str(10**29)], "argument --steps: must be a whole number of at most"),
    (["project", "--image", "x.png", "--steps", str(10**29)], "argument --steps: must be a whole number of at most"),
    (["recolor", "--seed", "1", "--mask", "m.png", "--steps", str(10**29)], "argument --steps: must be a whole"),
])
def test_numbers_beyond_any_run_are_refused_while_parsing(tmp_path, capsys, args, says):
    out = tmp_path / ("out" if args[0] == "train" else "out.png" if args[0] != "customize" else "out.safetensors")
    assert main([*args, "--out", str(out)]) == 2
    err = _one_line(capsys)
    assert err.startswith(f"studio {args[0]}: {says}"), err
    assert not out.exists()


# --- 10: devices -------------------------------------------------------------------------------------------


def _missing_gpu() -> str:
    """A CUDA device this machine lacks: the one after its last (cuda:0 on a machine without CUDA)."""
    return f"cuda:{torch.cuda.device_count()}"


def _device_commands(tmp_path: Path, model: Path, mask: Path) -> list[list[str]]:
    recipe = tmp_path / "made.png"
    return [
        ["generate", "--model", str(model), "--out", str(tmp_path / "g")],
        ["mix", "--model", str(model), "--out", str(tmp_path / "grid.png")],
        ["render", "--recipe", str(recipe), "--model", str(model), "--out", str(tmp_path / "again.png")],
        ["recolor", "--model", str(model), "--seed", "1", "--mask", str(mask), "--out", str(tmp_path / "r.png")],
        ["project", "--model", str(model), "--image", str(mask), "--out", str(tmp_path / "p.png")],
        ["train", "--preset", "tiny32", "--steps", "1", "--out", str(tmp_path / "run")],
    ]


@pytest.mark.parametrize("device", ["banana", "cuda:x", "missing-gpu"])
def test_a_device_this_machine_lacks_is_one_line_naming_the_devices_it_has(tmp_path, model, mask, capsys, device):
    device = _missing_gpu() if device == "missing-gpu" else device
    for args in _device_commands(tmp_path, model, mask):
        assert main([*args, "--device", device]) == 2, args
        err = _one_line(capsys)
        assert err.startswith(f"studio {args[0]}: argument --device: {device} is not a device of this machine"), err
        assert "it has cpu" in err
    assert {p.name for p in tmp_path.iterdir()} == {"m.safetensors", "m.json", "mask.png"}  # nothing made


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_on_a_machine_without_it_is_one_line(tmp_path, model, capsys):
    assert main(["generate", "--model", str(model), "--device", "cuda", "--out", str(tmp_path / "g")]) == 2
    assert "argument --device: cuda is not a device of this machine; it has cpu" in _one_line(capsys)


def test_the_devices_this_machine_has_are_taken(tmp_path, model):
    assert main(["generate", "--model", str(model), "--seeds", "1", "--device", "cpu", "--out", str(tmp_path)]) == 0


# --- 13: freezing needs a start model ----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--freeze-g", "--freeze-d"])
def test_freezing_without_a_start_model_is_refused(tmp_path, capsys, option):
    out = tmp_path / "run"
    assert main(["train", "--preset", "tiny32", "--steps", "1", option, "16", "--out", str(out)]) == 2
    err = _one_line(capsys)
    assert err.startswith(f"studio train: {option} keeps blocks of the start model, so it needs one: add --init"), err
    assert not out.exists()


# --- 15: a mask must carry alpha ---------------------------------------------------------------------------


def _rgb_png(path: Path) -> Path:
    Image.new("RGB", (32, 32), (200, 40, 40)).save(path)
    return path


def _cmyk_jpeg(path: Path) -> Path:
    Image.new("CMYK", (32, 32), (0, 200, 200, 0)).save(path)
    return path


def _grey16_png(path: Path) -> Path:
    Image.fromarray(np.full((32, 32), 40000, np.uint16)).save(path)
    return path


@pytest.mark.parametrize("make", [_rgb_png, _cmyk_jpeg, _grey16_png])
@pytest.mark.parametrize("option", ["--mask", "--keep"])
def test_a_mask_without_alpha_is_refused_by_name(tmp_path, model, mask, capsys, make, option):
    opaque = make(tmp_path / ("opaque.jpg" if make is _cmyk_jpeg else "opaque.png"))
    masks = {"--mask": mask, "--keep": mask, option: opaque}
    out = tmp_path / "o.png"
    assert main(["recolor", "--model", str(model), "--seed", "1", "--mask", str(masks["--mask"]),
                 "--keep", str(masks["--keep"]), "--steps", "1", "--out", str(out)]) == 2
    err = _one_line(capsys)
    assert f"{opaque} has no transparency, and a mask's alpha marks where it applies" in err, err
    assert not out.exists()


# --- 3: no picture is replaced without --overwrite -----------------------------------------------------------


def _gallery_picture(folder: Path, name: str, seed: int) -> Path:
    image = (np.random.default_rng(seed).random((32, 32, 3)) * 255).astype(np.uint8)
    return export_picture(folder, image, {"kind": "portrait", "seed": seed, "truncation_psi": 1.0}, name=name)


@pytest.fixture
def gallery(tmp_path, model) -> Path:
    """A gallery with A.png (made by `studio generate`, seed 5) and B.png, another picture."""
    g = tmp_path / "gallery"
    assert main(["generate", "--model", str(model), "--seeds", "5", "--out", str(g)]) == 0
    (g / "seed0005.png").rename(g / "A.png")
    (g / "seed0005.json").rename(g / "A.json")
    _gallery_picture(g, "B", 9)
    return g


def test_render_never_replaces_another_picture_without_overwrite(tmp_path, model, gallery, capsys):
    a, b = gallery / "A.png", gallery / "B.png"
    before = b.read_bytes(), (gallery / "B.json").read_text()
    assert main(["render", "--recipe", str(a), "--model", str(model), "--out", str(b)]) == 2
    assert f"{b} is another picture, with its own recipe; choose another name, or add --overwrite" in \
        _one_line(capsys)
    assert (b.read_bytes(), (gallery / "B.json").read_text()) == before
    assert main(["render", "--recipe", str(a), "--model", str(model), "--out", str(tmp_path / "C.png")]) == 0
    assert main(["render", "--recipe", str(a), "--model", str(model), "--out", str(tmp_path / "C.png")]) == 0  # itself
    assert main(["render", "--recipe", str(a), "--model", str(model), "--out", str(b), "--overwrite"]) == 0
    np.testing.assert_array_equal(load_image(b), load_image(a))


def test_other_commands_never_replace_another_picture_without_overwrite(tmp_path, model, gallery, mask, capsys):
    b = gallery / "B.png"
    before = b.read_bytes()
    for args in (["mix", "--model", str(model), "--rows", "1", "--cols", "2"],
                 ["recolor", "--model", str(model), "--seed", "1", "--mask", str(mask), "--steps", "1"],
                 ["project", "--model", str(model), "--image", str(mask), "--steps", "1"]):
        assert main([*args, "--out", str(b)]) == 2, args
        assert "B.png is another picture, with its own recipe" in _one_line(capsys)
        assert b.read_bytes() == before
    assert main(["mix", "--model", str(model), "--rows", "1", "--cols", "2", "--out", str(b), "--overwrite"]) == 0
    assert b.read_bytes() != before


def test_generate_never_replaces_a_picture_of_another_seed(tmp_path, model, capsys):
    out = tmp_path / "g"
    _gallery_picture(out, "seed0003", 9)  # a picture named like a seed's, of something else
    before = (out / "seed0003.png").read_bytes()
    assert main(["generate", "--model", str(model), "--seeds", "2-3", "--out", str(out)]) == 2
    assert "seed0003.png is another picture, with its own recipe" in _one_line(capsys)
    assert (out / "seed0003.png").read_bytes() == before and not (out / "seed0002.png").exists()
    assert main(["generate", "--model", str(model), "--seeds", "2-3", "--out", str(out), "--overwrite"]) == 0
    assert json.loads((out / "seed0003.json").read_text())["seed"] == 3


# --- messages ------------------------------------------------------------------------------------------------


def test_a_recipe_that_is_not_a_picture_or_its_json_is_named(tmp_path, model, capsys):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (32, 32)).save(photo)
    assert main(["render", "--recipe", str(photo), "--model", str(model), "--out", str(tmp_path / "o.png")]) == 2
    err = _one_line(capsys)
    assert f"--recipe {photo}: a recipe is read from a GAN Studio picture (.png) or its .json" in err, err
    assert main(["render", "--recipe", str(tmp_path / "gone.json"), "--model", str(model),
                 "--out", str(tmp_path / "o.png")]) == 2
    assert f"{tmp_path / 'gone.json'} does not exist" in _one_line(capsys)


def test_render_takes_the_class_a_recipe_leaves_open(tmp_path, capsys):
    classes = ["portrait", "still_life", "landscape"]
    cond = save_model(tmp_path / "genres.safetensors", *make_tiny_pair(c_dim=3), card={"classes": classes})
    assert main(["generate", "--model", str(cond), "--seeds", "4", "--class", "landscape",
                 "--out", str(tmp_path / "g")]) == 0
    recipe = json.loads((tmp_path / "g" / "seed0004.json").read_text())
    del recipe["class"], recipe["class_index"]
    (tmp_path / "open.json").write_text(json.dumps(recipe))
    out = tmp_path / "again.png"
    assert main(["render", "--recipe", str(tmp_path / "open.json"), "--model", str(cond), "--class", "landscape",
                 "--out", str(out)]) == 0
    np.testing.assert_array_equal(load_image(out), load_image(tmp_path / "g" / "seed0004.png"))
    assert json.loads(out.with_suffix(".json").read_text())["class"] == "landscape"
    capsys.readouterr()
    assert main(["render", "--recipe", str(tmp_path / "g" / "seed0004.png"), "--model", str(cond),
                 "--class", "portrait", "--out", str(tmp_path / "other.png")]) == 2
    assert "--class: " in _one_line(capsys)


def test_a_missing_slider_direction_is_said_once(tmp_path, model, capsys):
    assert main(["generate", "--model", str(model), "--seeds", "4", "--out", str(tmp_path / "g")]) == 0
    recipe = json.loads((tmp_path / "g" / "seed0004.json").read_text())
    recipe["sliders"] = [{"direction": "mine", "value": 1.0, "layers": "all"}]  # a saved direction not at hand
    (tmp_path / "slid.json").write_text(json.dumps(recipe))
    capsys.readouterr()
    assert main(["render", "--recipe", str(tmp_path / "slid.json"), "--model", str(model),
                 "--out", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == f"studio render: {tmp_path / 'slid.json'}: the direction 'mine' is not available for this model.", err
