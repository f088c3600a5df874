"""End-to-end checks on the model that ships in studio/models/: it loads, it is what its card says, it paints."""

from __future__ import annotations

import json

import numpy as np
import torch

from studio.cli import main
from studio.engine import load_model
from studio.engine.customize.config import recommended_settings
from studio.engine.images import load_image, read_png_text, tensor_to_images
from studio.engine.model.checkpoints import DEFAULT_MODEL
from studio.engine.model.safetensors_io import card_path


def test_default_model_loads_with_its_card():
    m = load_model("default")
    assert m.format == "studio" and m.D is not None
    card = json.loads(card_path(DEFAULT_MODEL).read_text())
    assert card["architecture"]["generator"]["resolution"] == m.G.resolution
    assert card["steps"] > 0 and card["images_seen"] > 0 and card["status"]
    assert card["total_kimg"] == round(sum(run["kimg"] for run in card["lineage"]), 1)
    quality = card["quality"]
    assert quality["this_model"]["frechet"] < quality["previous_default"]["frechet"]  # shipped because it beat it
    assert m.G.num_ws == 2 * int(np.log2(m.G.resolution)) - 2


def test_default_model_is_customized_with_the_world_extractor():
    """The extractor benchmarks/customize.py found best for it: the window and the CLI start from it."""
    assert recommended_settings(load_model("default"))["extractor"] == "world"


def test_default_model_paints_varied_pictures(tmp_path):
    args = ["generate", "--model", "default", "--seeds", "0-3", "--truncation", "0.7", "--out", str(tmp_path)]
    assert main(args) == 0
    images = [load_image(p) for p in sorted(tmp_path.glob("*.png"))]
    assert len(images) == 4 and images[0].std() > 5  # not a flat image
    assert np.abs(images[0].astype(int) - images[1].astype(int)).mean() > 2  # seeds differ
    assert json.loads(read_png_text(tmp_path / "seed0002.png")["gan-studio-recipe"])["model"] == "default"


def test_default_model_discriminator_and_truncation():
    m = load_model("default")
    z = torch.randn(4, m.G.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        img = m.G(z, truncation_psi=0.0)
        assert torch.allclose(img[0], img[1], atol=1e-5)  # psi 0 collapses every z onto w_avg
        assert torch.isfinite(m.D(m.G(z))).all()


def test_genre_model_paints_each_genre_it_names(tmp_path):
    """The shipped four-genre model: its classes are the world's genres and the probe reads each as drawn."""
    from studio.engine.model.checkpoints import GENRES_MODEL
    from studio.engine.model.labels import class_labels
    from studio.engine.world import GENRES
    from studio.engine.world.probe import load_probe, read_images

    m = load_model("genres")
    assert m.classes == list(GENRES) and m.G.c_dim == m.D.c_dim == 4
    card = json.loads(card_path(GENRES_MODEL).read_text())
    assert min(r["genre_share"] for r in card["quality"]["genres"].values()) >= 0.95
    z = torch.randn(8, m.G.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        images = [m.G(z, class_labels(m.G, k, 8), truncation_psi=0.7) for k in range(4)]
    read = read_images(load_probe(), np.concatenate([tensor_to_images(x) for x in images]))
    assert (read.genre == np.repeat(np.arange(4), 8)).mean() >= 0.9
    assert main(["generate", "--model", "genres", "--class", "landscape", "--seeds", "0", "--out", str(tmp_path)]) == 0
    assert json.loads(read_png_text(tmp_path / "seed0000.png")["gan-studio-recipe"])["class"] == "landscape"
