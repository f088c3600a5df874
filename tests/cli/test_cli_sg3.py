"""`studio info / convert / generate / render` on NVIDIA StyleGAN3 snapshots and their conversions."""

from __future__ import annotations

import json

import numpy as np
import torch

from studio.cli import main
from studio.engine import load_model
from studio.engine.edit.latents import z_from_seeds
from studio.engine.images import load_image, read_png_text, tensor_to_images
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
