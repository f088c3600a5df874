"""`studio info / convert / generate / render` on NVIDIA StyleGAN3 snapshots and their conversions."""

from __future__ import annotations

import json

import numpy as np
import torch
from PIL import Image

from studio.cli import main
from studio.engine import load_model, save_model
from studio.engine.edit.latents import seed_ws, z_from_seeds
from studio.engine.images import load_image, read_png_text, tensor_to_images
from studio.engine.model.stylegan3 import input_transform
from tests.conftest import make_tiny_sg3, write_sketch_folder
from tests.formats import write_nvidia


def test_info_names_the_config_and_its_layers(tmp_path, tiny_sg3, capsys):
    G, D = tiny_sg3
    kind = G.architecture[-1].upper()
    pkl = write_nvidia(tmp_path / "snap.pkl", G, D)
    assert main(["info", str(pkl)]) == 0
    out = capsys.readouterr().out
    assert f"architecture    StyleGAN3-{kind} (Fourier input, 4 layers + ToRGB" in out and "residual D)" in out
    # The layer table: each layer's sampling rate, cutoff, size and channels, ToRGB last.
    assert "layers          layer         rate  cutoff  size channels\n" in out
    assert f"                {G.synthesis.layer_names[-1]:<12}    16    8.00    16        3\n" in out

    dst = tmp_path / "snap.safetensors"
    assert main(["convert", str(pkl), str(dst)]) == 0
    capsys.readouterr()
    assert main(["info", str(dst)]) == 0
    assert f"StyleGAN3-{kind}" in capsys.readouterr().out
    z = z_from_seeds([0, 1], 32)
    torch.testing.assert_close(load_model(dst).G(z), G(z), rtol=0, atol=0)


def test_generate_and_render_again(tmp_path, tiny_sg3):
    G, D = tiny_sg3
    pkl = write_nvidia(tmp_path / "snap.pkl", G, D)
    out = tmp_path / "out"
    assert main(["generate", "--model", str(pkl), "--seeds", "3-4", "--truncation", "0.7", "--out", str(out)]) == 0
    with torch.no_grad():
        want = tensor_to_images(G(z_from_seeds([3, 4], 32), truncation_psi=0.7))
    for seed, image in zip((3, 4), want):
        np.testing.assert_array_equal(load_image(out / f"seed000{seed}.png"), image)
    recipe = json.loads(read_png_text(out / "seed0004.png")["gan-studio-recipe"])
    assert recipe["seed"] == 4 and recipe["truncation_psi"] == 0.7
    again = tmp_path / "again.png"
    assert main(["render", "--recipe", str(out / "seed0004.json"), "--model", str(pkl), "--out", str(again)]) == 0
    np.testing.assert_array_equal(load_image(again), want[1])


def test_translate_and_rotate_on_every_rendering_command(tmp_path, tiny_sg3, tiny_pair, capsys):
    G, D = tiny_sg3
    pkl = write_nvidia(tmp_path / "snap.pkl", G, D)
    out = tmp_path / "out"
    view = ["--translate=-0.25,0.125", "--rotate", "30", "--truncation", "1"]
    assert main(["generate", "--model", str(pkl), "--seeds", "5", "--out", str(out), *view]) == 0
    t = input_transform((-0.25, 0.125), 30)
    with torch.no_grad():
        want = tensor_to_images(G.synthesis(seed_ws(G, [5]), transform=t))[0]
    np.testing.assert_array_equal(load_image(out / "seed0005.png"), want)
    recipe = json.loads((out / "seed0005.json").read_text())
    assert recipe["translate"] == [-0.25, 0.125] and recipe["rotate"] == 30.0

    # render: the recipe's view, or the options' in its place (recorded in the new recipe).
    again, turned = tmp_path / "again.png", tmp_path / "turned.png"
    assert main(["render", "--recipe", str(out / "seed0005.json"), "--model", str(pkl), "--out", str(again)]) == 0
    np.testing.assert_array_equal(load_image(again), want)
    assert main(["render", "--recipe", str(out / "seed0005.json"), "--model", str(pkl), "--rotate", "90",
                 "--out", str(turned)]) == 0
    assert json.loads(turned.with_suffix(".json").read_text())["rotate"] == 90.0
    assert json.loads(turned.with_suffix(".json").read_text())["translate"] == [-0.25, 0.125]

    grid = tmp_path / "grid.png"
    assert main(["mix", "--model", str(pkl), "--rows", "5", "--cols", "6", "--out", str(grid), *view]) == 0
    tile = load_image(grid)[20:36, 2:18].astype(int)  # A heads the second row; rendered in a batch of three
    assert abs(tile - want).max() <= 1

    # A StyleGAN2 model: one line, no pictures.
    sg2 = tmp_path / "sg2.safetensors"
    save_model(sg2, *tiny_pair)
    capsys.readouterr()
    assert main(["generate", "--model", str(sg2), "--seeds", "1", "--rotate", "10", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("translate and rotate move a StyleGAN3 picture through its Fourier input; "
                        "this model is StyleGAN2") and len(err.splitlines()) == 1


def test_recolor_and_project_on_stylegan3_keep_the_move_and_render_again(tmp_path, capsys):
    G, D = make_tiny_sg3("t")
    model = save_model(tmp_path / "sg3.safetensors", G, D)
    mask = np.zeros((16, 16, 4), np.uint8)
    mask[:5] = (40, 80, 220, 255)
    Image.fromarray(mask, "RGBA").save(tmp_path / "mask.png")
    Image.fromarray((np.random.default_rng(0).random((20, 20, 3)) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    view = ["--translate=0.125,-0.0625", "--rotate", "15"]
    for command, inputs in (("recolor", ["--seed", "3", "--mask", str(tmp_path / "mask.png")]),
                            ("project", ["--image", str(tmp_path / "p.png"), "--detail", "0.5"])):
        out = tmp_path / f"{command}.png"
        assert main([command, "--model", str(model), *inputs, "--steps", "4", *view, "--out", str(out)]) == 0
        recipe = json.loads(out.with_suffix(".json").read_text())
        assert recipe["translate"] == [0.125, -0.0625] and recipe["rotate"] == 15.0
        again = tmp_path / f"{command}-again.png"
        assert main(["render", "--recipe", str(out), "--model", str(model), "--out", str(again)]) == 0
        assert "the most any pixel differs from" in capsys.readouterr().out
        np.testing.assert_array_equal(load_image(again), load_image(out))
    projection = json.loads((tmp_path / "project.json").read_text())["projection"]
    assert projection["steps"] == 4 and projection["detail"] == 0  # no noise maps: every step fitted W+
    assert np.load(tmp_path / "project.npz").files == ["w_plus"]


def test_customize_on_stylegan3_reopens_as_stylegan3(tmp_path, capsys):
    G, D = make_tiny_sg3("r")
    model = save_model(tmp_path / "sg3.safetensors", G, D)
    sketches = tmp_path / "sketches"
    write_sketch_folder(sketches, 16)
    out = tmp_path / "custom.safetensors"
    assert main(["customize", "--model", str(model), "--sketches", str(sketches), "--steps", "2", "--train", "full",
                 "--out", str(out)]) == 0
    m = load_model(out)
    assert m.G.architecture == "sg3-r" and m.G.config == G.config and m.D is not None
    assert m.card["customized"]["steps"] == 2
    assert not torch.equal(m.G.synthesis.layers()[0].magnitude_ema, G.synthesis.layers()[0].magnitude_ema)
