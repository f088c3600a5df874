"""Recipes: one portrait encoder and decoder that round-trip exactly, and one way to write a picture with
its recipe, which `studio generate`, the gallery, its website and "reopen recipe" all share."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.engine import load_model, save_model
from studio.engine.edit.portrait import GroupMix, Latent, Mixing, Portrait
from studio.engine.images import load_image, tensor_to_images
from studio.engine.library.gallery import export_picture, list_pictures
from studio.engine.library.recipe import (
    RECIPE_SCHEMA,
    RecipeError,
    portrait_from_recipe,
    portrait_recipe,
    read_recipe,
    write_picture,
)
from studio.engine.library.site import publish_site
from studio.engine.model.loaded import LoadedModel
from tests.engine.library.test_gallery import IMG


@pytest.fixture
def tiny(G):
    return LoadedModel(G, None, None, "studio", {"name": "tiny"})


def test_recipe_round_trips_exactly_through_json(G, dirs, tiny):
    w = np.random.RandomState(3).randn(G.num_ws, G.w_dim).astype(np.float32)
    p = (
        Portrait.from_w_plus(w, psi=0.8)
        .with_slider("PC1", 1.5, "2-5")
        .with_slider("mine", -0.25)
        .with_mixing(Mixing(Latent(seed=4), (GroupMix(True, 0.3), GroupMix(), GroupMix(True, 1.0))))
    )
    recipe = json.loads(json.dumps(portrait_recipe(tiny, p)))
    assert recipe["model_hash"] == tiny.weights_hash and recipe["model"] == "tiny"
    back = portrait_from_recipe(recipe)
    assert back == p
    torch.testing.assert_close(back.ws(G, dirs), p.ws(G, dirs), rtol=0, atol=0)


def test_noise_maps_round_trip_and_a_bad_map_is_a_value_error(G, tiny):
    w = np.random.RandomState(3).randn(G.num_ws, G.w_dim).astype(np.float32)
    maps = {"b32.conv0": np.random.RandomState(4).randn(32, 32).astype(np.float32)}
    recipe = json.loads(json.dumps(portrait_recipe(tiny, Portrait.from_w_plus(w, noise=maps))))
    back = portrait_from_recipe(recipe)
    np.testing.assert_array_equal(back.noise["b32.conv0"], maps["b32.conv0"])  # bit for bit
    for bad in ({"b32.conv0": {"a": 1}}, ["b32.conv0"], {"b32.conv0": recipe["w_plus"]}):  # the last: 2-D but W+
        recipe["noise"] = bad
        if isinstance(bad, dict) and "__ndarray__" in bad["b32.conv0"]:
            with pytest.raises(ValueError, match="b32.conv0"):  # read, but it does not fit the model
                portrait_from_recipe(recipe).base.noise_for(G)
            continue
        with pytest.raises(ValueError):
            portrait_from_recipe(recipe)


def test_seed_recipe_is_readable_by_plain_tools(tiny):
    recipe = portrait_recipe(tiny, Portrait.from_seed(42, 0.5))
    assert recipe["seed"] == 42 and recipe["truncation_psi"] == 0.5 and recipe["sliders"] == []


@pytest.mark.parametrize("bad", [{}, {"seed": "x"}, {"seed": 1, "sliders": [{"value": 1}]}, {"w_plus": {"a": 1}}])
def test_bad_recipes_raise_value_error(bad):
    with pytest.raises(ValueError):
        portrait_from_recipe(bad)


def test_write_picture_stamps_kind_and_schema_in_png_and_sidecar(tmp_path, tiny):
    image = np.full((8, 8, 3), 9, np.uint8)
    png = write_picture(tmp_path / "p.png", image, portrait_recipe(tiny, Portrait.from_seed(1), note="x"))
    sidecar = json.loads(png.with_suffix(".json").read_text())
    assert read_recipe(png) == sidecar and sidecar["kind"] == "portrait" and sidecar["schema"] == RECIPE_SCHEMA
    assert sidecar["note"] == "x" and np.array_equal(load_image(png), image)


def test_generated_pictures_carry_their_recipe_into_the_gallery_and_site(tmp_path, tiny_pair):
    G, D = tiny_pair
    model = save_model(tmp_path / "m.safetensors", G, D)
    out = tmp_path / "out"
    assert main(["generate", "--model", str(model), "--seeds", "4-5", "--truncation", "0.7", "--out", str(out)]) == 0
    assert [(it.title, it.has_recipe) for it in sorted(list_pictures(out), key=lambda it: it.title)] == [
        ("seed0004", True), ("seed0005", True)]
    recipe = read_recipe(out / "seed0004.png")
    assert recipe["kind"] == "portrait" and recipe["schema"] == RECIPE_SCHEMA
    # reopening the recipe makes the very picture again
    portrait = portrait_from_recipe(recipe)
    loaded = load_model(model)
    assert recipe["model_hash"] == loaded.weights_hash
    with torch.no_grad():
        again = tensor_to_images(loaded.G.synthesis(portrait.ws(loaded.G), noise_mode="const"))[0]
    np.testing.assert_array_equal(again, load_image(out / "seed0004.png"))
    # and the published site shows it rather than "No recipe is stored with this picture"
    publish_site(out, tmp_path / "site")
    page = (tmp_path / "site" / "pages" / "seed0004.html").read_text(encoding="utf-8")
    assert "No recipe is stored" not in page and '"seed": 4' in page and '"kind": "portrait"' in page


def test_recipes_carry_the_class_of_the_portrait_and_of_b(tiny_cond_pair, tmp_path, tiny):
    G, D = tiny_cond_pair
    model = load_model(save_model(tmp_path / "c.safetensors", G, D, {"classes": ["portrait", "still_life", "sky"]}))
    p = Portrait.from_seed(3, 0.7, class_index=2).with_mixing(Mixing(Latent(seed=9, class_index=0)).with_group(
        "fine", enabled=True))
    recipe = json.loads(json.dumps(portrait_recipe(model, p)))
    assert (recipe["class"], recipe["class_index"]) == ("sky", 2)
    assert recipe["mixing"]["other"] == {"seed": 9, "class": "portrait", "class_index": 0}
    back = portrait_from_recipe(recipe)
    assert back == p and back.class_index == 2 and back.mixing.other.class_index == 0
    torch.testing.assert_close(back.ws(G), p.ws(G), rtol=0, atol=0)
    with pytest.raises(ValueError, match="has classes 0 to 2"):
        portrait_recipe(model, p.with_class(5))
    with pytest.raises(ValueError, match="not a portrait recipe"):
        portrait_from_recipe({**recipe, "class_index": "sky"})
    assert "class" not in portrait_recipe(tiny, Portrait.from_seed(3))  # unconditional: as before


def test_read_recipe_falls_back_to_sidecar(tmp_path):
    png = export_picture(tmp_path, IMG, {"seed": 5}, name="a")
    Image.fromarray(IMG).save(png)  # a tool that strips PNG text chunks
    assert read_recipe(png)["seed"] == 5
    png.write_bytes(png.read_bytes()[:40])  # even a damaged PNG keeps its recipe
    assert read_recipe(png)["seed"] == 5


def test_read_recipe_errors_name_the_file(tmp_path):
    Image.fromarray(IMG).save(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match=r"plain\.png has no readable recipe"):
        read_recipe(tmp_path / "plain.png")
    (tmp_path / "plain.json").write_text("{not json")
    with pytest.raises(RecipeError, match=r"plain\.png has no readable recipe"):
        read_recipe(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match=r"missing\.png does not exist"):
        read_recipe(tmp_path / "missing.png")
    (tmp_path / "future.json").write_text('{"schema": 999}')
    with pytest.raises(RecipeError, match="newer GAN Studio"):
        read_recipe(tmp_path / "future.png")
