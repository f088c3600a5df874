"""Recipes are text anyone can edit: every number is range-checked with the command line's own ranges, every
refusal is one short sentence, and a recipe too deep to read costs a picture its recipe, never the gallery."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from PIL import Image

from studio.engine.arrays import encode_array
from studio.engine.edit.latents import layer_indices
from studio.engine.edit.portrait import Portrait
from studio.engine.library.gallery import export_picture
from studio.engine.library.recipe import RecipeError, portrait_from_recipe, portrait_recipe, read_recipe
from studio.engine.library.site import publish_site
from studio.engine.model.loaded import LoadedModel
from tests.engine.library.test_gallery import IMG

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def recipe(G):
    """A W+ recipe with a slider, mixing and a noise map: every kind of number a recipe holds."""
    portrait = Portrait.from_w_plus(np.zeros((G.num_ws, G.w_dim), np.float32),
                                    noise={"b32.conv0": np.zeros((32, 32), np.float32)}).with_slider("PC1", 1.0)
    return json.loads(json.dumps(portrait_recipe(LoadedModel(G, None, None, "studio", {"name": "tiny"}), portrait)))


def _set(recipe: dict, path: str, value) -> dict:
    """``recipe`` with the field at ``path`` (dots, list indices as numbers) set to ``value``."""
    recipe = json.loads(json.dumps(recipe))
    *parents, last = path.split(".")
    node = recipe
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return recipe


@pytest.mark.parametrize("path, value, says", [
    ("truncation_psi", 1e300, "truncation_psi must be a number from -1 to 2, not 1e+300"),
    ("truncation_psi", float("nan"), "truncation_psi must be a number from -1 to 2, not nan"),
    ("truncation_psi", float("inf"), "truncation_psi must be a number from -1 to 2, not inf"),
    ("truncation_psi", -50, "truncation_psi must be a number from -1 to 2, not -50"),
    ("truncation_psi", "0.7", "truncation_psi must be a number, not '0.7'"),
    ("mixing.groups.fine.strength", 1e300, "the fine mixing strength must be a number from 0 to 1, not 1e+300"),
    ("mixing.groups.coarse.strength", float("nan"), "the coarse mixing strength must be a number from 0 to 1"),
    ("sliders.0.value", float("nan"), "slider 'PC1' must be a number from -3 to 3, not nan"),
    ("sliders.0.value", 1e300, "slider 'PC1' must be a number from -3 to 3, not 1e+300"),
    ("sliders.0.layers", ["0-3"], "a slider's direction and layers must be text"),
    ("w_plus", {"seed": 1}, "not an encoded array"),
    ("rotate", float("inf"), "rotate must be a number from -360 to 360, not inf"),
    ("noise_mode", "x" * 10_000, "noise_mode must be one of const, random, none, not 'xxx"),
])
def test_out_of_range_numbers_are_one_short_sentence(recipe, path, value, says):
    with pytest.raises(ValueError) as e:
        portrait_from_recipe(_set(recipe, path, value))
    assert str(e.value).startswith("not a portrait recipe (") and says in str(e.value)
    assert len(str(e.value)) < 200


@pytest.mark.parametrize("seed, says", [
    (float("inf"), "seed must be a whole number from 0 to 4294967295, not inf"),
    (2**62, "not 4611686018427387904"),
    (-1, "not -1"),
    (1.5, "not 1.5"),
    (True, "not True"),
])
def test_a_seed_is_a_whole_number_in_numpys_range(seed, says):
    with pytest.raises(ValueError, match=f"{says}"):
        portrait_from_recipe({"seed": seed})


@pytest.mark.parametrize("field, values, says", [
    ("w_plus", np.float32(1e38), "W+ holds values beyond ±1000 (up to 1e+38)"),
    ("w_plus", np.int64(2**62), "W+ holds values beyond ±1000 (up to 4.61e+18)"),
    ("noise", np.float32(3e38), "the noise map 'b32.conv0' holds values beyond ±100 (up to 3e+38)"),
])
def test_huge_latents_and_noise_maps_are_refused(recipe, G, field, values, says):
    if field == "w_plus":
        recipe = _set(recipe, "w_plus", encode_array(np.full((G.num_ws, G.w_dim), values)))
    else:
        recipe = _set(recipe, "noise", {"b32.conv0": encode_array(np.full((32, 32), values))})
    with pytest.raises(ValueError) as e:
        portrait_from_recipe(recipe)
    assert str(e.value) == f"not a portrait recipe ({says}, which no picture has)"


@pytest.mark.parametrize("spec, says", [
    ("7-2", "the layer range '7-2' must run from a lower layer to a higher one within 0-9, this model's layers"),
    ("0-999999999", "the layer range '0-999999999' must run from a lower layer to a higher one within 0-9"),
    ("0-3000000", "the layer range '0-3000000' must run"),
    ("0-" + "9" * 5000, "the layer range '0-99999999999999999999999999999999999999999999999999999999…"),
    ("x" * 10_000, "unknown layer range 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"),
])
def test_layer_ranges_are_bounded_by_the_model_and_quoted_short(spec, says):
    with pytest.raises(ValueError) as e:
        layer_indices(spec, 10)
    assert str(e.value).startswith(says) and len(str(e.value)) < 200


def test_a_recipe_too_deep_to_read_has_no_readable_recipe(tmp_path):
    (tmp_path / "deep.json").write_text(DEEP)
    with pytest.raises(RecipeError, match=r"deep\.png has no readable recipe"):
        read_recipe(tmp_path / "deep.json")
    (tmp_path / "nested.json").write_text(json.dumps({"schema": 1, "seed": 1, "note": json.loads("[" * 50 + "]" * 50)}))
    with pytest.raises(RecipeError, match=r"nested\.png has no readable recipe"):  # parses, but no recipe nests so
        read_recipe(tmp_path / "nested.json")


def test_a_sidecar_larger_than_any_recipe_is_not_read(tmp_path):
    with open(tmp_path / "huge.json", "wb") as f:
        f.truncate((64 << 20) + 1)  # sparse: no disk taken
    with pytest.raises(RecipeError, match=r"huge\.json is larger than any recipe GAN Studio reads \(64 MB\)"):
        read_recipe(tmp_path / "huge.json")


def test_a_recipe_naming_its_model_with_a_list_is_one_sentence(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"schema": 1, "kind": "portrait", "seed": 1, "model": ["default"]}))
    with pytest.raises(RecipeError, match=r"bad\.json: the recipe's model must be a name in quotes, not \['default'\]"):
        read_recipe(tmp_path / "bad.json")


def test_publish_shows_a_picture_whose_recipe_cannot_be_read_and_warns_of_nothing(tmp_path):
    g, site = tmp_path / "gallery", tmp_path / "site"
    export_picture(g, IMG, {"seed": 1}, name="good")
    export_picture(g, IMG, {"seed": 2}, name="deep")
    Image.fromarray(IMG).save(g / "deep.png")  # a tool that strips the PNG's recipe: only the sidecar is left …
    (g / "deep.json").write_text(DEEP)  # … and it is too deep to read
    huge = {"schema": 1, "kind": "portrait", "w_plus": encode_array(np.full((4, 8), 3e38, np.float32))}
    export_picture(g, IMG, huge, name="huge")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings included
        report = publish_site(g, site)
    assert report.published == 3 and not report.skipped
    assert "No recipe is stored with this picture" in (site / "pages" / "deep.html").read_text(encoding="utf-8")
    assert "float32 array 4x8, mean 3e+38, std 0" in (site / "pages" / "huge.html").read_text(encoding="utf-8")
    assert (site / "index.html").is_file()
