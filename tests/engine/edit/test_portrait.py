"""The portrait document: latents in a fixed order, immutable edits (its recipes: test_recipe.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.edit.latents import truncate, z_from_seed
from studio.engine.edit.portrait import Latent, Mixing, Portrait


def test_seed_portrait_matches_generator(G):
    p = Portrait.from_seed(5, psi=0.6)
    with torch.no_grad():
        expected = G.mapping(z_from_seed(5, G.z_dim), truncation_psi=0.6)
    torch.testing.assert_close(p.ws(G), expected)


def test_slider_adds_scaled_direction_on_its_layers(G, dirs):
    p = Portrait.from_seed(1).with_slider("PC1", 2.0, "coarse")
    delta = p.ws(G, dirs) - p.without_edits().ws(G)
    expected = torch.from_numpy(dirs["PC1"].vector) * 2.0 * 0.5
    torch.testing.assert_close(delta[0, 0], expected)
    assert delta[0, 4:].abs().max() == 0


def test_edits_are_immutable_and_zero_removes(G):
    p0 = Portrait.from_seed(1)
    p1 = p0.with_slider("PC1", 1.0).with_slider("PC2", -1.0, "fine")
    p2 = p1.with_slider("PC1", 3.0)
    assert p0.sliders == () and p1.slider("PC1").value == 1.0
    assert [s.direction for s in p2.sliders] == ["PC1", "PC2"] and p2.slider("PC2").layers == "fine"
    assert p2.with_slider("PC1", 0).slider("PC1") is None
    assert p1 == Portrait.from_seed(1).with_slider("PC1", 1.0).with_slider("PC2", -1.0, "fine")


def test_unknown_direction_is_an_error(G):
    with pytest.raises(KeyError):
        Portrait.from_seed(1).with_slider("nope", 1.0).ws(G, {})


def test_mixing_copies_other_groups(G):
    mix = Mixing(Latent(seed=9)).with_group("middle", enabled=True)
    p = Portrait.from_seed(1).with_mixing(mix)
    ws, a, b = p.ws(G), Portrait.from_seed(1).ws(G), Portrait.from_seed(9).ws(G)
    torch.testing.assert_close(ws[:, :4], a[:, :4])
    torch.testing.assert_close(ws[:, 4:], b[:, 4:])
    half = p.with_mixing(mix.with_group("middle", strength=0.5)).ws(G)
    torch.testing.assert_close(half[:, 4:], (a[:, 4:] + b[:, 4:]) / 2)
    assert not Portrait.from_seed(1).with_mixing(Mixing(Latent(seed=9))).mixing.active


def test_w_plus_base(G):
    w = torch.randn(1, G.num_ws, G.w_dim)
    p = Portrait.from_w_plus(w, psi=0.5)
    torch.testing.assert_close(p.ws(G), truncate(w, G.w_avg, 0.5))
    with pytest.raises(ValueError):
        Portrait.from_w_plus(torch.randn(3, G.w_dim)).ws(G)


def test_latent_is_seed_or_w_plus():
    with pytest.raises(ValueError):
        Latent()
    with pytest.raises(ValueError):
        Latent(seed=1, w_plus=np.zeros((2, 2)))


def test_a_seed_is_drawn_in_its_class_and_b_keeps_its_own(tiny_cond_pair):
    from studio.engine.edit.latents import layer_groups
    from studio.engine.model.labels import class_labels

    Gc = tiny_cond_pair[0]
    p = Portrait.from_seed(5, 0.6, class_index=2)
    with torch.no_grad():
        expected = Gc.mapping(z_from_seed(5, Gc.z_dim), class_labels(Gc, 2), truncation_psi=0.6)
    torch.testing.assert_close(p.ws(Gc), expected)
    other = p.with_class(0)
    assert other.class_index == 0 and other != p and other.base.seed == 5 and p.class_index == 2
    assert not torch.equal(other.ws(Gc), p.ws(Gc))
    with pytest.raises(ValueError, match="class-conditional: choose one of its 3 classes"):
        Portrait.from_seed(5).ws(Gc)

    # portrait B of another class: its coarse styles come from B drawn in B's class
    b = Latent(seed=7, class_index=1)
    mixed = p.with_mixing(Mixing(b).with_group("coarse", enabled=True))
    coarse = layer_groups(Gc.num_ws)["coarse"]
    torch.testing.assert_close(mixed.ws(Gc)[:, coarse], Portrait(b, 0.6).ws(Gc)[:, coarse])
    assert Latent(seed=7, class_index=1) != Latent(seed=7, class_index=2)

    # a W+ keeps its class as a record; its pixels are the W+ whatever the class
    w = p.ws(Gc)[0]
    found = Portrait.from_w_plus(w, class_index=2)
    torch.testing.assert_close(found.with_class(1).ws(Gc), found.ws(Gc), rtol=0, atol=0)


def test_a_w_plus_carries_noise_maps_through_edits_and_they_must_fit(G):
    w = np.random.RandomState(0).randn(G.num_ws, G.w_dim).astype(np.float32)
    maps = {"b32.conv1": np.random.RandomState(1).randn(32, 32).astype(np.float32)}
    p = Portrait.from_w_plus(w, noise=maps)
    maps["b32.conv1"][:] = 0  # the portrait holds its own read-only copy
    assert p.noise["b32.conv1"].any() and not p.noise["b32.conv1"].flags.writeable
    edited = p.with_slider("PC1", 1.0).with_psi(0.5).with_mixing(Mixing(Latent(seed=3)).with_group("fine", True))
    assert edited.noise.keys() == {"b32.conv1"} and edited.without_edits().noise.keys() == {"b32.conv1"}
    assert p != Portrait.from_w_plus(w) and p == Portrait.from_w_plus(w, noise=dict(p.noise))
    assert p.with_base(Latent(seed=1)).noise == {}  # a new base draws with the model's own noise
    dropped = edited.without_noise()
    assert dropped.noise == {} and dropped.sliders == edited.sliders and dropped.mixing == edited.mixing
    np.testing.assert_array_equal(dropped.base.w_plus, p.base.w_plus)
    with torch.no_grad():
        img = G.synthesis(p.ws(G), noise=p.base.noise_for(G))
    assert (img - G.synthesis(p.ws(G))).abs().max() > 0
    with pytest.raises(ValueError, match="b32.conv1"):
        Latent(w_plus=w, noise={"b32.conv1": np.zeros((16, 16))}).noise_for(G)
    with pytest.raises(ValueError, match="b9.conv0"):
        Latent(w_plus=w, noise={"b9.conv0": np.zeros((16, 16))}).noise_for(G)
    with pytest.raises(ValueError, match="seed"):
        Latent(seed=1, noise=maps)
    with pytest.raises(ValueError, match="'b32.conv1' holds values that are not finite"):  # a hostile recipe
        Latent(w_plus=w, noise={"b32.conv1": np.full((32, 32), np.nan)})
    with pytest.raises(ValueError, match="W\\+ holds values that are not finite"):
        Latent(w_plus=np.full_like(w, np.inf))
