"""`studio recolor` and `studio project` on a tiny model: files, recipes that reopen, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import torch
from PIL import Image

from studio.cli import main
from studio.engine import load_model, save_model
from studio.engine.images import load_image, tensor_to_images
from studio.engine.library.recipe import portrait_from_recipe
from tests.conftest import make_tiny_pair


def _model(tmp_path):
    return save_model(tmp_path / "m.safetensors", *make_tiny_pair())


def test_recolor_writes_picture_recipe_and_direction(tmp_path):
    model = _model(tmp_path)
    mask = np.zeros((32, 32, 4), np.uint8)
    mask[:8, :, :] = (40, 80, 220, 255)  # paint the top blue
    Image.fromarray(mask, "RGBA").save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    args = ["recolor", "--model", str(model), "--seed", "3", "--mask", str(tmp_path / "mask.png"), "--steps", "3",
            "--out", str(out)]
    assert main(args) == 0
    recipe = json.loads(out.with_suffix(".json").read_text())
    assert recipe["search"]["seed"] == 3 and "direction" in recipe
    portrait = portrait_from_recipe(recipe)
    assert portrait.ws(load_model(model).G).shape == (1, 8, 64)


def test_recolor_with_an_empty_mask_is_one_line(tmp_path, capsys):
    model = _model(tmp_path)
    Image.fromarray(np.zeros((32, 32, 4), np.uint8), "RGBA").save(tmp_path / "empty.png")
    assert main(["recolor", "--model", str(model), "--seed", "1", "--mask", str(tmp_path / "empty.png"),
                 "--out", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "empty.png" in err and len(err.splitlines()) == 1


def test_project_writes_latents(tmp_path):
    model = _model(tmp_path)
    Image.fromarray((np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    out = tmp_path / "proj.png"
    assert main(["project", "--model", str(model), "--image", str(tmp_path / "p.png"), "--steps", "4",
                 "--out", str(out)]) == 0
    data = np.load(out.with_suffix(".npz"))
    assert data["w_plus"].shape == (8, 64)
    assert {k for k in data.files if k.startswith("noise/")} == {"noise/b32.conv0", "noise/b32.conv1"}
    recipe = json.loads(out.with_suffix(".json").read_text())
    projection = recipe["projection"]
    assert projection["steps"] == 4 and projection["detail"] == 0.25
    # the recipe reopens as a portrait that carries the fitted maps and renders the picture written
    portrait = portrait_from_recipe(recipe)
    G = load_model(model).G
    with torch.no_grad():
        again = tensor_to_images(G.synthesis(portrait.ws(G), noise=portrait.base.noise_for(G)))[0]
    np.testing.assert_array_equal(again, load_image(out))
    assert main(["project", "--model", str(model), "--image", str(tmp_path / "p.png"), "--steps", "3",
                 "--detail", "0", "--out", str(out)]) == 0  # W+ alone: the picture is the portrait
    projection = json.loads(out.with_suffix(".json").read_text())["projection"]
    assert projection["psnr"] == projection["portrait_psnr"]


def test_recolor_and_project_at_a_work_size_write_full_pictures_and_say_the_size(tmp_path):
    model = _model(tmp_path)
    mask = np.zeros((32, 32, 4), np.uint8)
    mask[:8] = (40, 80, 220, 255)
    Image.fromarray(mask, "RGBA").save(tmp_path / "mask.png")
    Image.fromarray((np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    for command, inputs, key in (("recolor", ["--seed", "3", "--mask", str(tmp_path / "mask.png")], "search"),
                                 ("project", ["--image", str(tmp_path / "p.png")], "projection")):
        out = tmp_path / f"{command}.png"
        assert main([command, "--model", str(model), *inputs, "--steps", "2", "--work-size", "16",
                     "--out", str(out)]) == 0
        assert load_image(out).shape == (32, 32, 3)
        assert json.loads(out.with_suffix(".json").read_text())[key]["work_size"] == 16
    data = np.load(tmp_path / "project.npz")
    assert data["w_plus"].shape == (8, 64) and data.files == ["w_plus"]  # no noise map fits at 16 px (32 px up)
