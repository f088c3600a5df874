"""The studio's state without Qt: installing a model, its directions, recent models, and what a recipe needs."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from studio.engine.edit.directions import Direction, save_direction
from studio.engine.edit.portrait import Portrait
from studio.engine.library.recipe import RecipeError, portrait_recipe
from studio.engine.model.loaded import LoadedModel
from studio.engine.session import MAX_RECENT, ModelNeeded, Session


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_DATA", str(tmp_path / "data"))  # saved directions live here


@pytest.fixture
def model(tiny_pair) -> LoadedModel:
    return LoadedModel(tiny_pair[0], tiny_pair[1], None, "test", {"name": "tiny"})


@pytest.fixture
def other(tiny_pair) -> LoadedModel:
    G = copy.deepcopy(tiny_pair[0])
    with torch.no_grad():
        next(G.parameters()).add_(1.0)
    return LoadedModel(G, None, None, "test", {"name": "other"})


def test_install_remembers_the_model_and_where_it_came_from(model, tmp_path):
    store = {}
    session = Session(store)
    session.install(model, "default")
    assert session.model is model and session.model_path == "default"
    assert store[f"model_hashes/{model.weights_hash}"] == "default" and session.recent_models() == []  # not a file
    for i in range(MAX_RECENT + 2):
        session.install(model, str(tmp_path / f"m{i}.safetensors"))
    recent = session.recent_models()
    assert len(recent) == MAX_RECENT and recent[0].endswith(f"m{MAX_RECENT + 1}.safetensors")
    session.remember_recent(recent[3])
    assert session.recent_models()[0] == recent[3] and len(session.recent_models()) == MAX_RECENT


def test_a_lone_recent_model_stored_as_text_still_reads_as_a_list():
    assert Session({"recent_models": "/models/a.pt"}).recent_models() == ["/models/a.pt"]


def test_directions_join_the_saved_ones_and_a_new_model_clears_them(model, other):
    session, seen = Session({}), []
    session.on_directions.append(lambda d: seen.append(sorted(d)))
    session.install(model, "a")
    save_direction(model.weights_hash, "blue hair", np.ones(model.G.w_dim, np.float32))
    assert not session.directions_ready
    session.set_directions([Direction("PC1", np.ones(model.G.w_dim, np.float32), 1.0)])
    assert session.directions_ready and seen[-1] == ["PC1", "blue hair"]
    session.add_direction(Direction("mine", np.zeros(model.G.w_dim, np.float32), kind="saved"))
    assert seen[-1] == ["PC1", "blue hair", "mine"]
    session.install(other, "b")
    assert session.directions == {} and not session.directions_ready


def test_render_ws_adds_the_before_picture_and_needs_the_directions(model):
    session = Session({})
    session.install(model, "a")
    edited = Portrait.from_seed(3).with_slider("PC1", 2.0)
    with pytest.raises(KeyError):
        session.render_ws(edited)  # the directions are not there yet
    session.set_directions([Direction("PC1", np.ones(model.G.w_dim, np.float32), 1.0)])
    ws = session.render_ws(edited, with_before=True)
    assert ws.shape == (2, model.G.num_ws, model.G.w_dim)
    torch.testing.assert_close(ws[1:], Portrait.from_seed(3).ws(model.G))
    assert not torch.equal(ws[0], ws[1])


def test_recipe_plans(model, other, tmp_path):
    store = {}
    session = Session(store)
    recipe = portrait_recipe(other, Portrait.from_seed(7, 0.5))
    with pytest.raises(RecipeError, match=r"^x\.png: not a portrait recipe"):
        session.plan_recipe({"seed": "seven"}, "x.png")
    with pytest.raises(ModelNeeded, match="“other”, which is not among your recent models"):
        session.plan_recipe(recipe, "x.png")
    path = tmp_path / "other.safetensors"
    path.write_bytes(b"stands in for the file")
    session.install(other, str(path))
    session.install(model, "default")
    plan = session.plan_recipe(recipe, "x.png")
    assert plan.open_first == str(path) and plan.portrait == Portrait.from_seed(7, 0.5) and not session.fits(plan)
    session.install(other, str(path))
    assert session.fits(plan) and session.plan_recipe(recipe).open_first is None  # the open model fits
    path.unlink()
    session.install(model, "default")
    with pytest.raises(ModelNeeded):  # known, but the file has gone
        session.plan_recipe(recipe)
    plain = dict(recipe)
    del plain["model_hash"]
    assert session.plan_recipe(plain).open_first is None  # a recipe naming no model opens with the open one


def test_an_sg3_model_moves_and_its_saved_directions_follow_its_layers(model, tiny_sg3):
    session = Session({})
    session.install(model, "a.safetensors")
    assert not session.movable and session.layer_rates is None
    moved = Portrait.from_seed(1).with_view(rotate=10.0)
    assert session.view_transform(Portrait.from_seed(1)) is None
    with pytest.raises(ValueError, match="only a StyleGAN3 model can move or turn the picture"):
        session.view_transform(moved)

    sg3 = LoadedModel(tiny_sg3[0], None, None, "test", {"name": "tiny sg3", "pca_layers": {"PC1": "middle"},
                                                        "pca_names": {"PC1": "glow", "PC2": "tilt"}})
    G = sg3.G
    save_direction(sg3.weights_hash, "warm", np.ones((G.num_ws, G.w_dim), np.float32), "coarse")
    save_direction(sg3.weights_hash, "stale", np.ones((G.num_ws + 2, G.w_dim), np.float32))  # fits no layer count
    session.install(sg3, "b.safetensors")
    assert session.movable and session.layer_rates == (16,) * G.num_ws
    torch.testing.assert_close(session.view_transform(moved), moved.transform())
    pcs = [Direction(f"PC{i}", np.ones(G.w_dim, np.float32)) for i in (1, 2)]
    session.set_directions(pcs)
    assert list(session.directions) == ["PC1", "PC2", "warm"]  # the stale one is left out
    # A 16 px StyleGAN3 has no middle layers by its rates, so the card's PC1 name does not fit it; PC2's does.
    assert session.directions["PC1"].title == "PC1" and session.directions["PC2"].title == "PC2 · tilt"
    portrait = Portrait.from_seed(1).with_slider("warm", 1.0)
    delta = session.render_ws(portrait) - session.render_ws(Portrait.from_seed(1))
    torch.testing.assert_close(delta[0], torch.ones(G.num_ws, G.w_dim))  # all six entries are coarse by rate
