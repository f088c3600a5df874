"""A StyleGAN3 picture moved and turned through the input transform: the portrait's view, its recipe, the
seed renderer and the mixing grid; a StyleGAN2 model refuses a view in one sentence."""

from __future__ import annotations

import json

import pytest
import torch

from studio.engine.edit.generate import render_seeds
from studio.engine.edit.latents import seed_ws
from studio.engine.edit.mixing import mixing_grid
from studio.engine.edit.portrait import Portrait
from studio.engine.images import tensor_to_images
from studio.engine.library.recipe import portrait_from_recipe, portrait_recipe
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.stylegan3 import input_transform


def test_the_view_is_part_of_the_portrait_and_its_recipe(tiny_sg3):
    model = LoadedModel(tiny_sg3[0], None, None, "studio", {"name": "tiny"})
    p = Portrait.from_seed(3)
    assert not p.moved and p.transform() is None and "translate" not in portrait_recipe(model, p)
    moved = p.with_view((0.25, -0.125), 30).with_view(rotate=45)  # None keeps the translation
    assert moved.translate == (0.25, -0.125) and moved.rotate == 45.0 and p.translate == (0.0, 0.0)
    torch.testing.assert_close(moved.transform(), input_transform((0.25, -0.125), 45))
    recipe = json.loads(json.dumps(portrait_recipe(model, moved)))
    assert recipe["translate"] == [0.25, -0.125] and recipe["rotate"] == 45.0
    assert portrait_from_recipe(recipe) == moved
    for bad in ({"translate": [1.0]}, {"translate": "left"}, {"rotate": "nan"}, {"translate": [float("inf"), 0]}):
        with pytest.raises(ValueError, match="not a portrait recipe"):
            portrait_from_recipe({**recipe, **bad})


def test_seeds_and_mixes_render_moved(tiny_sg3):
    G, _ = tiny_sg3
    t = input_transform((0.125, 0), 90)
    got = dict(render_seeds(G, [1, 2], 0.7, transform=t))
    want = tensor_to_images(G.synthesis(seed_ws(G, [1, 2], 0.7), transform=t))
    assert (got[1] == want[0]).all() and (got[2] == want[1]).all()
    plain = dict(render_seeds(G, [1], 0.7))
    assert (plain[1] != got[1]).any()
    grid = mixing_grid(G, [1], [2], "coarse", transform=t)
    assert (grid.rows[0] == tensor_to_images(G.synthesis(seed_ws(G, [1]), transform=t))[0]).all()


def test_stylegan2_refuses_a_view(G):
    with pytest.raises(ValueError, match="translate and rotate move a StyleGAN3 picture .*this model is StyleGAN2"):
        next(render_seeds(G, [1], transform=input_transform(rotate=10)))
    assert next(render_seeds(G, [1], transform=Portrait().transform()))[0] == 1  # unmoved: no transform at all
