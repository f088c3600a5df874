"""`studio info / generate / convert / customize` on real files: outputs, recipes, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import torch

from studio.cli import main
from studio.engine import load_model, save_model
from studio.engine.edit.latents import z_from_seed
from studio.engine.images import load_image, read_png_text, tensor_to_images
from tests.conftest import write_sketch_folder
from tests.formats import write_nvidia


def test_info(tmp_path, tiny_pair, capsys):
    path = save_model(tmp_path / "m.safetensors", *tiny_pair)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "32 x 32" in out and "num_ws" in out and "G_ema, D, w_avg" in out


def test_generate_writes_pngs_with_recipes(tmp_path, tiny_pair):
    G, D = tiny_pair
    path = save_model(tmp_path / "m.safetensors", G, D)
    out = tmp_path / "out"
    assert main(["generate", "--model", str(path), "--seeds", "3-5", "--truncation", "0.7", "--out", str(out)]) == 0
    files = sorted(out.glob("*.png"))
    assert [f.name for f in files] == ["seed0003.png", "seed0004.png", "seed0005.png"]
    recipe = json.loads(read_png_text(files[1])["gan-studio-recipe"])
    assert recipe["seed"] == 4 and recipe["truncation_psi"] == 0.7 and recipe["noise_mode"] == "const"
    expected = tensor_to_images(G(z_from_seed(4, 64), truncation_psi=0.7))[0]
    np.testing.assert_array_equal(load_image(files[1]), expected)


def test_customize_scores_every_n_steps_and_keeps_the_best(tmp_path, tiny_pair, capsys):
    path = save_model(tmp_path / "m.safetensors", *tiny_pair)
    sketches = tmp_path / "sketches"
    write_sketch_folder(sketches, 32)
    out = tmp_path / "custom.safetensors"
    assert main(["customize", "--model", str(path), "--sketches", str(sketches), "--world", "--steps", "4",
                 "--select-every", "2", "--out", str(out)]) == 0
    info = load_model(out).card["customized"]
    assert [step for step, _ in info["selection"]["scores"]] == [2, 4]
    assert f"kept step {info['kept_step']} of 4" in capsys.readouterr().out


def test_convert_pkl(tmp_path, tiny_pair):
    pkl = write_nvidia(tmp_path / "snap.pkl", *tiny_pair)
    dst = tmp_path / "snap.safetensors"
    assert main(["convert", str(pkl), str(dst)]) == 0
    m = load_model(dst)
    assert m.card["source_format"] == "nvidia" and m.D is not None
    z = torch.randn(2, 64)
    torch.testing.assert_close(m.G(z), load_model(pkl).G(z), rtol=0, atol=0)


def test_bad_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "broken.pt" in err and len(err.splitlines()) == 1


def test_bad_seeds(tmp_path, tiny_pair, capsys):
    path = save_model(tmp_path / "m.safetensors", *tiny_pair)
    assert main(["generate", "--model", str(path), "--seeds", "9-2", "--out", str(tmp_path)]) == 2
    assert "backwards" in capsys.readouterr().err


def test_world_writes_dataset(tmp_path):
    out = tmp_path / "world"
    assert main(["world", "--count", "3", "--size", "32", "--out", str(out)]) == 0
    assert len(list((out / "images").glob("*.png"))) == 3
    assert len(list((out / "sketches").glob("*.png"))) == 3
    assert len((out / "attributes.jsonl").read_text().splitlines()) == 3


def test_world_genres(tmp_path, capsys):
    out = tmp_path / "lands"
    assert main(["world", "--count", "2", "--size", "32", "--out", str(out), "--genre", "landscape"]) == 0
    records = (out / "attributes.jsonl").read_text().splitlines()
    assert [json.loads(line)["genre"] for line in records] == ["landscape"] * 2
    assert main(["world", "--count", "4", "--size", "32", "--out", str(tmp_path / "mix"), "--genre", "all"]) == 0
    records = (tmp_path / "mix" / "attributes.jsonl").read_text().splitlines()
    assert [json.loads(line)["genre"] for line in records] == ["portrait", "still_life", "landscape", "cityscape"]
    assert "the four genres in turn" in capsys.readouterr().out
