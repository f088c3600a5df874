"""A recipe over 1 MB (a projection's noise maps) reads back from the picture alone: Pillow unpacks at most
1 MB of compressed text, so big recipes are written plain, and ones written compressed before are read too."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from studio.engine.arrays import decode_array, encode_array
from studio.engine.images import load_image
from studio.engine.library.recipe import RECIPE_KEY, read_recipe, recipe_text, write_picture
from studio.engine.outputs import made_here

IMG = np.zeros((16, 16, 3), np.uint8)


@pytest.fixture
def big_recipe() -> dict:
    """A projection-like recipe of about 2.8 MB: W+ and two 512 px noise maps."""
    rng = np.random.default_rng(0)
    maps = {f"b512.conv{i}": encode_array(rng.standard_normal((512, 512)).astype(np.float32)) for i in (0, 1)}
    recipe = {"kind": "portrait", "w_plus": encode_array(rng.standard_normal((16, 512)).astype(np.float32)),
              "noise": maps, "truncation_psi": 1.0}
    assert len(recipe_text(recipe)) > 2 << 20
    return recipe


def _same(a: dict, b: dict) -> None:
    assert a.keys() - {"schema"} == b.keys() - {"schema"}
    for name, m in a["noise"].items():
        np.testing.assert_array_equal(decode_array(m), decode_array(b["noise"][name]))


def test_a_recipe_over_a_megabyte_reads_back_from_the_picture_alone(tmp_path, big_recipe):
    png = write_picture(tmp_path / "projected.png", IMG, big_recipe)
    png.with_suffix(".json").unlink()  # the sidecar is gone: the picture alone carries it
    _same(read_recipe(png), big_recipe)
    assert json.loads(Image.open(png).text[RECIPE_KEY])["kind"] == "portrait"  # any Pillow reads it as it is
    assert made_here(png) and load_image(png).shape == IMG.shape


def test_a_big_recipe_written_compressed_before_is_read_with_a_bounded_limit(tmp_path, big_recipe):
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GAN Studio")
    info.add_itxt(RECIPE_KEY, recipe_text(big_recipe), zip=True)  # as earlier versions wrote it
    png = tmp_path / "old.png"
    Image.fromarray(IMG).save(png, pnginfo=info)
    with pytest.raises(ValueError, match="MAX_TEXT_CHUNK"):
        Image.open(png)  # what Pillow does with it by default
    _same(read_recipe(png), big_recipe)
    assert made_here(png) and load_image(png).shape == IMG.shape
    assert PngImagePlugin.MAX_TEXT_CHUNK == 1 << 20  # Pillow's own limit is left as it was
