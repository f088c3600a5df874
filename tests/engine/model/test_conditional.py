"""Class-conditional StyleGAN2: the label path of G and D, the loaders, and the class helpers.

The numbers of NVIDIA's own code were matched separately (README, "Parity"); here the writers in
tests/formats.py prove that every conditional tensor of an NVIDIA snapshot lands where it belongs.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F

from studio.engine import CheckpointError, load_model, save_model
from studio.engine.edit.latents import z_from_seeds
from studio.engine.model.labels import balanced_labels, batch_labels, class_labels
from studio.engine.model.reading import estimate_w_avg
from tests.conftest import make_tiny_pair
from tests.formats import write_nvidia, write_rosinality

CLASSES = ["portrait", "still_life", "landscape"]


def _onehot(indices, c_dim=3):
    return F.one_hot(torch.as_tensor(indices), c_dim).float()


def test_unconditional_models_keep_their_parameters_and_refuse_labels(tiny_pair):
    G, D = tiny_pair
    assert G.c_dim == 0 and "c_dim" not in G.config and "c_dim" not in D.config
    assert not any("embed" in k or k.startswith("mapping.") for k in D.state_dict())
    assert G.mapping.fc0.weight.shape == (64, 64) and D.b4.out.weight.shape == (1, 32)
    z = torch.randn(2, 64)
    with pytest.raises(ValueError, match="unconditional: it takes no class labels"):
        G(z, _onehot([0, 1]))
    with pytest.raises(ValueError, match="unconditional"):
        D(G(z), _onehot([0, 1]))


def test_conditional_shapes_are_checked_on_entry(tiny_cond_pair):
    G, D = tiny_cond_pair
    z = torch.randn(2, 64)
    with pytest.raises(ValueError, match=r"class-conditional: pass c, one-hot class labels of shape \(N, 3\)"):
        G(z)
    with pytest.raises(ValueError, match=r"c must have shape \(2, 3\)"):
        G.mapping(z, _onehot([0, 1, 2]))
    with pytest.raises(ValueError, match=r"c must have shape \(2, 3\)"):
        G(z, _onehot([0, 1], c_dim=4))
    with pytest.raises(ValueError, match=r"z must have shape \(N, 64\)"):
        G(torch.randn(2, 32), _onehot([0, 1]))
    with pytest.raises(ValueError, match="class-conditional"):
        D(torch.zeros(2, 3, 32, 32))


def test_the_label_is_embedded_normalised_and_concatenated_after_z(tiny_cond_pair):
    G, _ = tiny_cond_pair
    m = G.mapping
    assert m.embed.weight.shape == (64, 3) and m.fc0.weight.shape == (64, 64 + 64)
    z, c = torch.randn(4, 64), _onehot([0, 1, 2, 0])
    ws = m(z, c)
    assert ws.shape == (4, G.num_ws, 64)
    # what NVIDIA's MappingNetwork computes: x = [norm(z), norm(embed(c))] -> fc layers
    def norm(x):
        return x * (x.square().mean(1, keepdim=True) + 1e-8).rsqrt()

    x = torch.cat([norm(z), norm(m.embed(c))], 1)
    for i in range(m.num_layers):
        x = getattr(m, f"fc{i}")(x)
    torch.testing.assert_close(ws[:, 0], x)
    assert (m(z, _onehot([1, 2, 0, 1])) - ws).abs().max() > 1e-2  # but its class does


def test_truncation_pulls_every_class_to_the_one_centre(tiny_cond_pair):
    G, _ = tiny_cond_pair
    z = torch.randn(3, 64)
    ws = G.mapping(z, _onehot([0, 1, 2]), truncation_psi=0)
    torch.testing.assert_close(ws, G.w_avg.expand_as(ws))


def test_projection_discriminator_is_the_output_dotted_with_the_mapped_label(tiny_cond_pair):
    G, D = tiny_cond_pair
    assert D.b4.out.weight.shape == (32, 32) and D.mapping.embed.weight.shape == (32, 3)
    assert D.config["cmap_dim"] == 32 and D.config["mapping_layers"] == 2
    c = _onehot([0, 1, 2, 1])
    img = G(torch.randn(4, 64), c)
    x = None
    for res in D.block_resolutions:
        x = getattr(D, f"b{res}")(x, img)
    h = D.b4.conv(D.b4.mbstd(x))
    out = D.b4.out(D.b4.fc(h.flatten(1)))
    cmap = D.mapping(None, c)
    torch.testing.assert_close(D(img, c), (out * cmap).sum(1, keepdim=True) / math.sqrt(32))
    assert (D(img, _onehot([1, 2, 0, 0])) - D(img, c)).abs().max() > 1e-3


def test_nvidia_conditional_snapshot_loads_every_tensor(tmp_path, tiny_cond_pair):
    G, D = tiny_cond_pair
    m = load_model(write_nvidia(tmp_path / "cond.pkl", G, D))
    assert m.G.c_dim == 3 and m.D.c_dim == 3 and m.classes == ["0", "1", "2"]
    z, c = z_from_seeds(range(4), 64), _onehot([0, 1, 2, 0])
    for psi in (1.0, 0.7):
        torch.testing.assert_close(m.G(z, c, truncation_psi=psi), G(z, c, truncation_psi=psi), rtol=0, atol=0)
    img = G(z, c)
    torch.testing.assert_close(m.D(img, c), D(img, c), rtol=0, atol=0)


def test_nvidia_label_embedding_of_another_width_is_one_clear_error(tmp_path):
    G, _ = make_tiny_pair(c_dim=3)
    G.mapping.embed = type(G.mapping.embed)(3, 32)
    with pytest.raises(CheckpointError, match=r"cond\.pkl: its label embedding is not 3 classes to 64 features"):
        load_model(write_nvidia(tmp_path / "cond.pkl", G))


def test_rosinality_has_no_conditional_format(tmp_path, tiny_cond_pair):
    with pytest.raises(ValueError, match="no class-conditional"):
        write_rosinality(tmp_path / "x.pt", *tiny_cond_pair)


def test_safetensors_keeps_c_dim_in_the_architecture_and_the_class_names_in_the_card(tmp_path, tiny_cond_pair):
    G, D = tiny_cond_pair
    path = save_model(tmp_path / "cond.safetensors", G, D, card={"classes": CLASSES})
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    assert json.loads(meta["generator"])["c_dim"] == 3 and json.loads(meta["discriminator"])["c_dim"] == 3
    m = load_model(path)
    assert m.classes == CLASSES and m.G.c_dim == 3
    z, c = torch.randn(3, 64), _onehot([2, 1, 0])
    torch.testing.assert_close(m.G(z, c), G(z, c), rtol=0, atol=0)
    torch.testing.assert_close(m.D(G(z, c), c), D(G(z, c), c), rtol=0, atol=0)
    with pytest.raises(ValueError, match="names 2 classes; the generator has 3"):
        save_model(tmp_path / "bad.safetensors", G, D, card={"classes": CLASSES[:2]})


def test_class_helpers(tmp_path, tiny_cond_pair, tiny_pair):
    G, D = tiny_cond_pair
    m = load_model(save_model(tmp_path / "cond.safetensors", G, D, card={"classes": CLASSES}))
    assert [m.resolve_class(s) for s in ("landscape", "Still_Life", "0", 2)] == [2, 1, 0, 2]
    with pytest.raises(ValueError, match="has no class 'sea'; its classes are portrait, still_life, landscape"):
        m.resolve_class("sea")
    with pytest.raises(ValueError, match=r"classes 0 to 2 .*there is no class 3"):
        m.resolve_class("3")
    plain = load_model(save_model(tmp_path / "plain.safetensors", *tiny_pair))
    assert plain.classes == []
    with pytest.raises(ValueError, match="plain is not class-conditional"):
        plain.resolve_class("portrait")
    torch.testing.assert_close(class_labels(m.G, 1, n=2), _onehot([1, 1]))
    assert class_labels(plain.G, None) is None and balanced_labels(plain.G, 4) is None
    with pytest.raises(ValueError, match="choose one of its 3 classes"):
        class_labels(m.G, None)
    torch.testing.assert_close(balanced_labels(m.G, 4), _onehot([0, 1, 2, 0]))
    assert batch_labels(_onehot([1]), 3).shape == (3, 3) and batch_labels(None, 3) is None


def test_estimated_w_avg_covers_the_classes_evenly(tiny_cond_pair):
    G, _ = tiny_cond_pair
    z = torch.randn(3000, 64, generator=torch.Generator().manual_seed(3))
    per_class = torch.stack([G.mapping(z, _onehot([k] * 3000))[:, 0].mean(0) for k in range(3)])
    spread = G.mapping(z, balanced_labels(G, 3000))[:, 0].std(0).norm()
    assert (estimate_w_avg(G) - per_class.mean(0)).norm() < 0.1 * spread


def test_mixing_grid_mixes_across_classes(tiny_cond_pair):
    from studio.engine.edit.mixing import mixing_grid
    from studio.engine.images import tensor_to_images

    G, _ = tiny_cond_pair
    grid = mixing_grid(G, [1, 2], [3], "coarse", rows_c=class_labels(G, 0), cols_c=class_labels(G, 2))
    with torch.no_grad():
        portraits = tensor_to_images(G(z_from_seeds([1, 2], 64), class_labels(G, 0, 2)))
        landscape = tensor_to_images(G(z_from_seeds([3], 64), class_labels(G, 2)))
    assert (grid.rows == portraits).all() and (grid.cols == landscape).all()
    assert grid.cells.shape == (2, 1, 32, 32, 3) and not (grid.cells[:, 0] == portraits).all()
