"""`--class` across the CLI on a tiny class-conditional model, and `studio info` listing the classes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.engine import load_model, save_model
from studio.engine.edit.latents import z_from_seed
from studio.engine.images import load_image, read_png_text, tensor_to_images
from studio.engine.model.labels import class_labels
from tests.conftest import make_tiny_pair, write_sketch_folder

CLASSES = ["portrait", "still_life", "landscape"]


@pytest.fixture
def cond_model(tmp_path):
    return save_model(tmp_path / "genres.safetensors", *make_tiny_pair(c_dim=3), card={"classes": CLASSES})


@pytest.fixture
def plain_model(tmp_path):
    return save_model(tmp_path / "plain.safetensors", *make_tiny_pair())


def test_info_lists_the_classes(cond_model, plain_model, capsys):
    assert main(["info", str(cond_model)]) == 0
    assert "classes         3: portrait, still_life, landscape" in capsys.readouterr().out
    assert main(["info", str(plain_model)]) == 0
    assert "\nclasses " not in capsys.readouterr().out


def test_generate_by_class_name_or_index_records_the_class(cond_model, tmp_path, capsys):
    G = load_model(cond_model).G
    for spec, index in (("landscape", 2), ("1", 1)):
        out = tmp_path / spec
        assert main(["generate", "--model", str(cond_model), "--seeds", "4", "--class", spec, "--truncation", "1",
                     "--out", str(out)]) == 0
        recipe = json.loads(read_png_text(out / "seed0004.png")["gan-studio-recipe"])
        assert recipe["class"] == CLASSES[index] and recipe["class_index"] == index
        with torch.no_grad():
            expected = tensor_to_images(G(z_from_seed(4, 64), class_labels(G, index)))[0]
        np.testing.assert_array_equal(load_image(out / "seed0004.png"), expected)
    assert "class-conditional" not in capsys.readouterr().err  # no default to announce


def test_a_conditional_model_without_class_renders_class_0_and_says_so_once(cond_model, tmp_path, capsys):
    assert main(["generate", "--model", str(cond_model), "--seeds", "0-2", "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    notes = [line for line in err if "class-conditional" in line]
    assert len(notes) == 1 and "using class 0 (portrait)" in notes[0] and "--class" in notes[0]
    assert main(["generate", "--model", str(cond_model), "--seeds", "0-2", "--class", "portrait",
                 "--out", str(tmp_path / "b")]) == 0
    for name in ("seed0000.png", "seed0002.png"):
        np.testing.assert_array_equal(load_image(tmp_path / "a" / name), load_image(tmp_path / "b" / name))


@pytest.mark.parametrize("spec, message", [
    ("sea", "has no class 'sea'; its classes are portrait, still_life, landscape"),
    ("7", "has classes 0 to 2 (portrait, still_life, landscape); there is no class 7"),
])
def test_an_unknown_class_is_one_line(cond_model, tmp_path, capsys, spec, message):
    assert main(["generate", "--model", str(cond_model), "--class", spec, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"studio generate: --class: genres {message}."


def test_class_on_an_unconditional_model_is_one_line(plain_model, tmp_path, capsys):
    assert main(["mix", "--model", str(plain_model), "--class", "portrait", "--out", str(tmp_path / "m.png")]) == 2
    assert capsys.readouterr().err.strip() == "studio mix: --class: plain is not class-conditional; leave --class out."


def test_mix_recolor_project_take_the_class(cond_model, tmp_path):
    assert main(["mix", "--model", str(cond_model), "--rows", "1-2", "--cols", "3", "--class", "still_life",
                 "--out", str(tmp_path / "mix.png")]) == 0
    assert load_image(tmp_path / "mix.png").shape[0] > 32

    mask = np.zeros((32, 32, 4), np.uint8)
    mask[:8] = (40, 80, 220, 255)
    Image.fromarray(mask, "RGBA").save(tmp_path / "mask.png")
    out = tmp_path / "recolor.png"
    assert main(["recolor", "--model", str(cond_model), "--seed", "3", "--class", "landscape", "--mask",
                 str(tmp_path / "mask.png"), "--steps", "2", "--out", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["class"] == "landscape"

    Image.fromarray((np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    out = tmp_path / "proj.png"
    assert main(["project", "--model", str(cond_model), "--image", str(tmp_path / "p.png"), "--class", "2",
                 "--steps", "2", "--out", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["class_index"] == 2


def test_customize_takes_the_class(cond_model, tmp_path, capsys):
    sketches = tmp_path / "sketches"
    write_sketch_folder(sketches, 64)
    out = tmp_path / "custom.safetensors"
    assert main(["customize", "--model", str(cond_model), "--sketches", str(sketches), "--class", "still_life",
                 "--images", "world", "--steps", "1", "--out", str(out)]) == 0
    assert "; kept step 1 of 1, the closest to the sketches" in capsys.readouterr().out
    m = load_model(out)
    assert m.classes == CLASSES and m.card["customized"]["class"] == "still_life"
    assert "(class still_life)" in m.card["description"]
    assert m.card["customized"]["real_images"] == "world (still_life)"  # the world's paintings of that genre


def test_train_cond_on_the_world_learns_the_genres(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--preset", "tiny32", "--cond", "--data", "world", "--steps", "2", "--batch", "4",
                 "--workers", "0", "--out", str(out)]) == 0
    m = load_model(out / "model.safetensors")
    assert m.classes == ["portrait", "still_life", "landscape", "cityscape"] and m.G.resolution == 32
