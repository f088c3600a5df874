"""`studio render`: a picture made again from its recipe (sliders, mixing, a projection's noise maps), and the
one-line refusals when the recipe's model is not the one given."""

from __future__ import annotations

import numpy as np
import torch

from studio.cli import main
from studio.engine import load_model, save_model
from studio.engine.edit.directions import pca_directions
from studio.engine.edit.portrait import Latent, Mixing, Portrait
from studio.engine.images import load_image, tensor_to_images
from studio.engine.library.recipe import portrait_recipe, write_picture
from studio.engine.session import Session
from tests.conftest import make_tiny_pair


def test_render_makes_an_edited_projected_picture_again(tmp_path, capsys):
    path = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    m = load_model(path)
    G = m.G
    maps = {"b32.conv0": np.random.RandomState(0).randn(32, 32).astype(np.float32) * 3}
    portrait = (Portrait.from_w_plus(Portrait.from_seed(4).ws(G), noise=maps).with_slider("PC2", 1.5, "coarse")
                .with_mixing(Mixing(Latent(seed=9)).with_group("fine", enabled=True)))
    session = Session({})
    session.install(m, str(path))
    session.set_directions(pca_directions(G, m.weights_hash))
    with torch.no_grad():
        image = tensor_to_images(G.synthesis(session.render_ws(portrait), noise=portrait.base.noise_for(G)))[0]
    made = write_picture(tmp_path / "made.png", image, portrait_recipe(m, portrait))

    out = tmp_path / "again.png"
    assert main(["render", "--recipe", str(made), "--model", str(path), "--out", str(out)]) == 0
    np.testing.assert_array_equal(load_image(out), image)
    assert "differs from made.png: 0/255" in capsys.readouterr().out
    assert main(["render", "--recipe", str(made.with_suffix(".json")), "--model", str(path), "--out",
                 str(tmp_path / "from_json.png")]) == 0  # the sidecar alone does as well
    np.testing.assert_array_equal(load_image(tmp_path / "from_json.png"), image)


def test_render_refuses_another_model_in_one_line(tmp_path, capsys):
    path = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    other = save_model(tmp_path / "other.safetensors", *make_tiny_pair(seed=1))
    made = write_picture(tmp_path / "made.png", np.zeros((32, 32, 3), np.uint8),
                         portrait_recipe(load_model(path), Portrait.from_seed(1)))
    assert main(["render", "--recipe", str(made), "--model", str(other), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "made.png was made with the model" in err and "other.safetensors" in err and "\n" not in err
    assert main(["render", "--recipe", str(made), "--out", str(tmp_path / "x.png")]) == 2  # not a shipped model
    assert "pass --model" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
