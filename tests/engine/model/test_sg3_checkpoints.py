"""NVIDIA StyleGAN3 snapshots load through the restricted unpickler, convert to our format and back, and a
snapshot of another design is refused in one sentence."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from studio.engine import CheckpointError, load_model, save_model
from studio.engine.edit.latents import z_from_seeds
from studio.engine.model.foreign import nvidia_sg3
from studio.engine.model.safe_pickle import restricted_load
from studio.engine.model.stylegan3 import Generator as SG3Generator
from tests.conftest import make_tiny_sg3
from tests.formats import write_nvidia


def _same_pictures(G, H, D=None, E=None):
    z = z_from_seeds(range(3), G.z_dim)
    for psi in (1.0, 0.7):
        torch.testing.assert_close(H.mapping(z, truncation_psi=psi), G.mapping(z, truncation_psi=psi), rtol=0, atol=0)
        torch.testing.assert_close(H(z, truncation_psi=psi), G(z, truncation_psi=psi), rtol=0, atol=0)
    if D is not None:
        img = G(z)
        torch.testing.assert_close(E(img), D(img), rtol=0, atol=0)


def test_nvidia_snapshot_loads(tmp_path, tiny_sg3):
    G, D = tiny_sg3
    m = load_model(write_nvidia(tmp_path / "network-snapshot-000000.pkl", G, D))
    assert m.format == "nvidia" and isinstance(m.G, SG3Generator) and m.G.architecture == G.architecture
    assert m.G.config == G.config and m.contents == ["G_ema", "G", "D", "training_set_kwargs"]
    _same_pictures(G, m.G, D, m.D)


def test_convert_to_ours_and_back(tmp_path, tiny_sg3):
    G, D = tiny_sg3
    m = load_model(write_nvidia(tmp_path / "snap.pkl", G, D))
    path = save_model(tmp_path / "sg3.safetensors", m.G, m.D)
    with safe_open(str(path), framework="pt") as f:
        meta, names = f.metadata(), list(f.keys())
    assert meta["architecture"] == G.architecture and json.loads(meta["generator"]) == G.config
    assert any(n.endswith("magnitude_ema") for n in names) and not any(n.endswith("filter") for n in names)
    back = load_model(path)
    assert back.format == "studio" and back.G.architecture == G.architecture
    assert back.card["architecture"]["network"] == G.architecture
    _same_pictures(G, back.G, D, back.D)
    assert back.weights_hash == m.weights_hash


def test_another_filter_design_is_refused(tmp_path):
    G, D = make_tiny_sg3("t")
    G.synthesis.L1_36_32.down_filter = torch.ones(12) / 12  # a box filter where the design has a Kaiser one
    path = write_nvidia(tmp_path / "fork.pkl", G, D)
    with pytest.raises(CheckpointError, match=r"fork\.pkl: a StyleGAN3 network GAN Studio cannot read: its layer "
                                              r"L1_36_32 has a down-filter other than StyleGAN3's design\.$"):
        load_model(path)


def test_an_unknown_setting_is_refused(tmp_path):
    G, D = make_tiny_sg3("r")
    with open(write_nvidia(tmp_path / "fork.pkl", G, D), "rb") as f:
        rec = restricted_load(f)["G_ema"]
    assert SG3Generator(**nvidia_sg3.generator_config(rec)).config == G.config
    rec.children()["synthesis"].state["_init_kwargs"]["use_noise"] = True
    with pytest.raises(ValueError, match="takes 'use_noise', a setting StyleGAN3's design does not have"):
        nvidia_sg3.generator_config(rec)


def test_our_file_with_an_unknown_architecture_is_refused(tmp_path, tiny_sg3):
    from safetensors.torch import load_file, save_file

    G, D = tiny_sg3
    path = save_model(tmp_path / "m.safetensors", G)
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
    save_file(load_file(str(path)), str(path), metadata={**meta, "architecture": "sg4"})
    with pytest.raises(CheckpointError, match=r"its architecture 'sg4' is not one this GAN Studio knows"):
        load_model(path)
