"""Hostile and damaged files given to the command line: one line naming the file, nothing allocated or run."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.engine import save_model
from studio.engine.train import list_checkpoints
from tests.conftest import make_tiny_pair, write_sketch_folder


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture
def huge_pkl(tmp_path):
    """A pickle of a hundred-odd bytes that declares a 931 GB numpy array."""
    reconstruct = np.zeros(1).__reduce__()[0]

    class Array:
        def __reduce__(self):
            return reconstruct, (np.ndarray, (10**6, 10**6), b"b")

    path = tmp_path / "huge.pkl"
    path.write_bytes(pickle.dumps({"G_ema": Array()}, protocol=4))
    return path


def test_info_and_train_init_refuse_a_tiny_pickle_declaring_a_huge_array(huge_pkl, tmp_path, capsys):
    assert main(["info", str(huge_pkl)]) == 2
    assert _one_line(capsys).startswith(f"studio info: {huge_pkl}: refused to load: it declares 953,674 MB of arrays")
    assert main(["train", "--preset", "tiny32", "--init", str(huge_pkl), "--out", str(tmp_path / "run")]) == 2
    assert _one_line(capsys).startswith(f"studio train: {huge_pkl}: refused to load: it declares 953,674 MB")


def test_train_resume_auto_skips_a_text_file_named_as_a_checkpoint(tmp_path, capsys):
    torch.set_num_threads(1)
    out = tmp_path / "run"
    argv = ["train", "--preset", "tiny32", "--out", str(out), "--steps", "1", "--batch", "4", "--workers", "0",
            "--augment", "none"]
    assert main(argv) == 0
    (out / "checkpoints" / "ckpt-00000005.pt").write_text("hello, I am not a checkpoint\n")
    capsys.readouterr()
    assert main([*argv, "--resume", "auto", "--steps", "2"]) == 0
    assert ("warning: skipped ckpt-00000005.pt, not a readable training checkpoint (it is not a PyTorch file); "
            f"resuming {out / 'checkpoints' / 'ckpt-00000001.pt'} at step 1") in capsys.readouterr().out
    assert [p.name for p in list_checkpoints(out)] == ["ckpt-00000001.pt", "ckpt-00000002.pt", "ckpt-00000005.pt"]


def test_customize_resume_from_a_text_checkpoint_is_one_sentence(tmp_path, capsys):
    model = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    write_sketch_folder(tmp_path / "sketches", 32)
    out = tmp_path / "custom.safetensors"
    (tmp_path / "custom.customize.pt").write_text("hello, I am not a checkpoint\n")
    assert main(["customize", "--model", str(model), "--sketches", str(tmp_path / "sketches"), "--world",
                 "--steps", "1", "--out", str(out), "--resume"]) == 2
    assert _one_line(capsys) == (f"studio customize: {tmp_path / 'custom.customize.pt'}: not a readable "
                                 "customization checkpoint (it is not a PyTorch file).")
    assert not out.exists()


# --- recipes: `studio generate`, edit its recipe, save it alone, `studio render` it ------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def generated(tmp_path):
    """A tiny model and the recipe `studio generate --seeds 0` wrote with it."""
    model = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    assert main(["generate", "--model", str(model), "--seeds", "0", "--out", str(tmp_path / "g")]) == 0
    return model, json.loads((tmp_path / "g" / "seed0000.json").read_text())


def _slider(layers: str, direction: str = "PC1") -> dict:
    return {"sliders": [{"direction": direction, "value": 1.0, "layers": layers}]}


@pytest.mark.parametrize("change, says", [
    ({"truncation_psi": 1e300}, "not a portrait recipe (truncation_psi must be a number from -1 to 2, not 1e+300)."),
    ({"seed": float("inf")}, "not a portrait recipe (seed must be a whole number from 0 to 4294967295, not inf)."),
    ({"model": ["default"]}, "the recipe's model must be a name in quotes, not ['default']."),
    ({"mixing": {"groups": {"fine": {"enabled": True, "strength": 1e300}}}},
     "not a portrait recipe (the fine mixing strength must be a number from 0 to 1, not 1e+300)."),
    (_slider("0-999999999"), "the layer range '0-999999999' must run from a lower layer to a higher one within 0-"),
    (_slider("0-3000000"), "the layer range '0-3000000' must run from a lower layer to a higher one within 0-"),
    (_slider("7-2"), "the layer range '7-2' must run from a lower layer to a higher one within 0-"),
    (_slider("all", "PC0"), "the direction 'PC0' is not available for this model."),
    ({"class_index": 3}, "this model is not class-conditional: it has no class 3."),
])
def test_render_refuses_a_hostile_recipe_in_one_line_naming_it(generated, tmp_path, capsys, change, says):
    model, recipe = generated
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**recipe, **change}))
    capsys.readouterr()
    assert main(["render", "--recipe", str(bad), "--model", str(model), "--out", str(tmp_path / "o.png")]) == 2
    *notes, line = capsys.readouterr().err.strip().splitlines()
    assert all(note.startswith("computing the principal directions") for note in notes)  # the sliders' progress
    assert line.startswith(f"studio render: {bad}: {says}") and len(line) < 300, line
    assert not (tmp_path / "o.png").exists()


def test_render_of_a_recipe_nested_too_deep_is_one_line(generated, tmp_path, capsys):
    model, _ = generated
    (tmp_path / "bad.json").write_text(DEEP)
    assert main(["render", "--recipe", str(tmp_path / "bad.json"), "--model", str(model), "--out",
                 str(tmp_path / "o.png")]) == 2
    assert _one_line(capsys) == (f"studio render: {tmp_path / 'bad.png'} has no readable recipe, neither in the PNG "
                                 "nor in bad.json.")


def test_gallery_publish_with_a_recipe_nested_too_deep_still_writes_the_site(generated, tmp_path, capsys):
    g = tmp_path / "g"
    (g / "seed0000.json").write_text(DEEP)
    png = g / "seed0000.png"
    Image.open(png).save(png)  # without its PNG recipe: only the deep sidecar is left
    assert main(["gallery", "publish", str(g), str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "pages" / "seed0000.html").is_file()
    assert "Warning" not in capsys.readouterr().err


def test_gallery_publish_refuses_a_site_whose_images_lead_into_a_users_folder(generated, tmp_path, capsys):
    site, photos = tmp_path / "site", tmp_path / "photos"
    assert main(["gallery", "publish", str(tmp_path / "g"), str(site)]) == 0
    photos.mkdir()
    (photos / "seed0000.png").write_bytes(b"a user's photo")
    for p in (site / "images").iterdir():
        p.unlink()
    (site / "images").rmdir()
    (site / "images").symlink_to(photos)
    capsys.readouterr()
    assert main(["gallery", "publish", str(tmp_path / "g"), str(site)]) == 2
    assert _one_line(capsys).startswith(f"studio gallery: {site / 'images'} is a link to {photos}, outside {site}")
    assert (photos / "seed0000.png").read_bytes() == b"a user's photo"
