"""Class-conditional training end to end on a tiny model: class folders in, a conditional model out, exported to
ONNX with its labels; warm start from an unconditional model; the folder rules refused in one sentence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from studio.engine import load_model, save_model
from studio.engine.jobs import Progress
from studio.engine.model.labels import class_labels
from studio.engine.preview.export.format import ExportInfo
from studio.engine.preview.export.writer import export_onnx
from studio.engine.train import Trainer, list_checkpoints, load_checkpoint, train
from studio.engine.train.data import scan_folder
from tests.engine.train.test_train import one_thread, tiny  # noqa: F401 - the fixture applies to this module too

COLOURS = {"blue": (30, 60, 200), "green": (40, 170, 60), "red": (210, 40, 30)}


def write_class_folder(root: Path, per_class: int = 3) -> Path:
    """Sub-folders named after colours, each with noisy images of its colour (one nested a level deeper)."""
    rng = np.random.default_rng(0)
    for name, rgb in COLOURS.items():
        for i in range(per_class):
            folder = root / name / ("deeper" if i == 0 else "")
            folder.mkdir(parents=True, exist_ok=True)
            img = np.clip(np.array(rgb) + rng.normal(0, 20, (40, 40, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(folder / f"{i}.png")
    return root


def test_classes_are_the_first_level_sub_folders_sorted(tmp_path):
    root = write_class_folder(tmp_path / "data")
    scan = scan_folder(root, classes=True)
    assert scan.classes == ["blue", "green", "red"] and len(scan.files) == 9
    assert scan.label("red/deeper/0.png") == 2 and scan.label("blue/1.png") == 0
    assert scan_folder(root).classes == []  # an unconditional run reads the same folder without classes


def test_folder_rules_are_one_clear_sentence(tmp_path):
    root = write_class_folder(tmp_path / "data")
    Image.new("RGB", (8, 8)).save(root / "stray.png")
    with pytest.raises(ValueError, match=r"an image lies outside the class sub-folders \(e\.g\. stray\.png\)"):
        scan_folder(root, classes=True)
    one = tmp_path / "one"
    (one / "only").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(one / "only" / "a.png")
    (one / "empty").mkdir()  # a sub-folder without images is no class
    with pytest.raises(ValueError, match=r"needs at least two class sub-folders with images; this folder has one"):
        train(tiny(tmp_path / "run", data=str(one), cond=True))


def test_conditional_run_trains_exports_loads_and_renders_each_class(tmp_path):
    data = write_class_folder(tmp_path / "data")
    reports: list[Progress] = []
    cfg = tiny(tmp_path / "run", data=str(data), cond=True, steps=2, xflip=True)
    path = train(cfg, progress=reports.append)
    assert "9 images in 3 classes (blue, green, red)" in reports[0].message
    ckpt = load_checkpoint(list_checkpoints(cfg.out_dir)[-1])
    assert ckpt["data"]["classes"] == ["blue", "green", "red"]

    m = load_model(path)
    assert m.G.c_dim == m.D.c_dim == 3 and m.classes == ["blue", "green", "red"]
    assert m.card["classes"] == m.classes and m.G.w_avg.abs().sum() > 0
    z = torch.randn(2, m.G.z_dim, generator=torch.Generator().manual_seed(1))
    images = [m.G(z, class_labels(m.G, m.resolve_class(name), 2)) for name in m.classes]
    assert all(img.shape == (2, 3, 32, 32) and torch.isfinite(img).all() for img in images)
    assert (images[0] - images[2]).abs().max() > 1e-3  # the class changes the picture
    assert torch.isfinite(m.D(images[1], class_labels(m.G, 1, 2))).all()

    info = export_onnx(m, tmp_path / "onnx")
    assert info.c_dim == 3 and max(info.parity.values()) <= 1e-3
    assert ExportInfo.read(tmp_path / "onnx").c_dim == 3
    mapping = onnx.load(str(info.graph_path("mapping"))).graph  # its parity with torch, labels and all, is above
    assert [i.name for i in mapping.input] == ["z", "psi", "c"]

    resumed = Trainer(replace(cfg, steps=3), resume="auto")  # the classes come back from the checkpoint
    assert resumed.classes == ["blue", "green", "red"] and resumed.G.c_dim == 3
    assert load_model(resumed.run()).classes == ["blue", "green", "red"]


def test_warm_start_from_an_unconditional_model_starts_class_0_there(tmp_path, tiny_pair):
    G, D = tiny_pair
    start = save_model(tmp_path / "plain.safetensors", G, D)
    data = write_class_folder(tmp_path / "data")
    trainer = Trainer(tiny(tmp_path / "run", data=str(data), cond=True, steps=1, init=str(start)))
    assert "class 0 (blue) starts as the file's model" in trainer.summary
    Gc = trainer.G
    assert Gc.c_dim == 3
    z = torch.randn(4, G.z_dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        torch.testing.assert_close(Gc.mapping(z, class_labels(Gc, 0, 4)), G.mapping(z), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(Gc(z, class_labels(Gc, 0, 4)), G(z), atol=1e-4, rtol=1e-4)
        for k in (1, 2):  # the other classes start apart, so the label embedding can learn them
            assert (Gc.mapping(z, class_labels(Gc, k, 4)) - G.mapping(z)).abs().mean() > 0.1
    ours, theirs = trainer.D.state_dict(), D.state_dict()
    assert all(torch.equal(ours[k], v) for k, v in theirs.items() if not k.startswith("b4.out."))
    img = G(z)
    with torch.no_grad():
        for k in range(3):  # D's projection head gives the file's logit whatever the label
            torch.testing.assert_close(trainer.D(img, class_labels(Gc, k, 4)), D(img), atol=1e-4, rtol=1e-4)
    model = load_model(trainer.run())
    assert model.G.c_dim == 3 and model.classes == ["blue", "green", "red"]

    # and a conditional model cannot start an unconditional run, nor one with another number of classes
    with pytest.raises(ValueError, match="a class-conditional model with 3 classes, but this run is not"):
        Trainer(tiny(tmp_path / "run2", data=str(data), steps=1, init=str(model.path)))
    (data / "yellow").mkdir()
    Image.new("RGB", (8, 8), (230, 220, 40)).save(data / "yellow" / "a.png")
    with pytest.raises(ValueError, match="with 3 classes, but the data has 4 classes"):
        Trainer(tiny(tmp_path / "run3", data=str(data), cond=True, steps=1, init=str(model.path)))


# --- the world's genres as classes --------------------------------------------------------------------------


def test_world_genre_batches_are_balanced_by_image_index():
    from studio.engine.train.data import StepBatches
    from studio.engine.train.world_cache import world_seed
    from studio.engine.world import GENRES, render_batch

    batches = StepBatches(32, 8, 0, 1, 0, genres=True)
    images, labels, _ = batches[1]  # images 8..15
    assert labels.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    want = render_batch([world_seed(0, i) for i in range(8, 16)], 32, [GENRES[i % 4] for i in range(8, 16)])
    np.testing.assert_array_equal(images.permute(0, 2, 3, 1).numpy(), want)
    portraits, none, _ = StepBatches(32, 8, 0, 1, 0)[1]  # an unconditional world run: portraits, no labels
    assert none is None
    np.testing.assert_array_equal(portraits[::4], images[::4])  # class 0 is the portraits, the same seeds


def test_genre_cache_has_its_own_folder_and_labels_by_cached_item(tmp_path):
    from studio.engine.train.data import StepBatches
    from studio.engine.train.world_cache import load_world_cache, world_images

    portraits = load_world_cache(32, 0, 4, workers=1, root=tmp_path)
    genres = load_world_cache(32, 0, 4, workers=1, root=tmp_path, genres=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["32px-seed0", "32px-seed0-genres"]  # portraits' name kept
    np.testing.assert_array_equal(genres, world_images(32, 0, range(4), genres=True))
    np.testing.assert_array_equal(genres[0], portraits[0])
    assert not np.array_equal(genres[1], portraits[1])
    batches = StepBatches(32, 4, 0, 1, 0, world_cache=genres, genres=True)
    images, labels, _ = batches[0]
    for img, label in zip(images.permute(0, 2, 3, 1).numpy(), labels.tolist()):
        np.testing.assert_array_equal(img, genres[label])  # a cached item's class is its index's genre


def test_world_genre_run_trains_with_the_genres_as_classes(tmp_path, monkeypatch):
    from studio.engine.world import GENRES

    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    reports: list[Progress] = []
    cfg = tiny(tmp_path / "run", cond=True, steps=2, world_cache=8)
    path = train(cfg, progress=reports.append)
    assert "paintings in 4 genres (portrait, still_life, landscape, cityscape)" in reports[0].message
    assert list((tmp_path / "cache" / "world" / "32px-seed0-genres").glob("chunk-*.npy"))
    m = load_model(path)
    assert m.classes == list(GENRES) and m.card["classes"] == list(GENRES) and m.G.c_dim == m.D.c_dim == 4
    resumed = Trainer(replace(cfg, steps=3, world_cache=0), resume="auto")  # classes again from the world
    assert resumed.classes == list(GENRES) and resumed.genres


def test_warm_start_from_the_portrait_model_keeps_portraits_in_class_0(tmp_path, tiny_pair):
    G, D = tiny_pair
    start = save_model(tmp_path / "portraits.safetensors", G, D)
    trainer = Trainer(tiny(tmp_path / "run", cond=True, steps=1, init=str(start)))
    assert trainer.classes[0] == "portrait" and "class 0 (portrait) starts as the file's model" in trainer.summary
    z = torch.randn(4, G.z_dim, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        for Gc in (trainer.G, trainer.G_ema):  # at step 0 the portrait class is the file's model
            torch.testing.assert_close(Gc(z, class_labels(Gc, 0, 4)), G(z), atol=1e-4, rtol=1e-4)
