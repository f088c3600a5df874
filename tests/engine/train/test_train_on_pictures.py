"""Training on a folder of pictures: the folder summary, the few-shot settings, studio runs (publish, resume)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from studio.engine import load_model, save_model
from studio.engine.jobs import Progress
from studio.engine.train import preset
from studio.engine.train.few_shot import (
    DIFFAUGMENT_BELOW,
    SMALL_FOLDER,
    apply_few_shot,
    apply_to_new_run,
    folder_pictures,
)
from studio.engine.train.folder_summary import summarize_folder
from studio.engine.train.report import sample_grid, sample_latents
from studio.engine.train.runs import Run, list_runs, new_run, publish_run, start_grid, train_run
from tests.conftest import make_tiny_pair, write_pictures


@pytest.fixture
def pictures(tmp_path):
    folder = tmp_path / "pictures"
    write_pictures(folder)
    return folder


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def tiny_model(tmp_path):
    G, D = make_tiny_pair()
    return load_model(save_model(tmp_path / "start.safetensors", G, D, card={"name": "start"}))


def test_summary_counts_sizes_skips_and_sheet(pictures):
    reports: list[Progress] = []
    s = summarize_folder(pictures, progress=reports.append)
    assert s.pictures == 6 and len(s.skipped) == 1 and "broken.png" in s.skipped[0]
    assert "more/wide.jpg" in s.files and sorted(s.sizes)[0] == (32, 32) and (48, 40) in s.sizes
    assert dict(s.histogram()) == {"under 64 px": 6, "64–127 px": 0, "128–255 px": 0, "256–511 px": 0,
                                   "512–1023 px": 0, "1024 px and up": 0}
    assert s.sheet.dtype == np.uint8 and s.sheet.shape[2] == 3 and s.sheet.shape[1] > 64 * 5
    lines = s.lines(64)
    assert lines[0].startswith("6 usable picture(s)") and "1 file(s) skipped" in lines[0]
    assert "6 are smaller than 64 px" in lines[2] and "1 are cropped" in lines[2]
    assert reports[-1].done == reports[-1].total == 7
    assert folder_pictures(pictures) == 6


def test_summary_of_an_empty_folder_is_one_sentence(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"no pictures to train on \(none of its 1 image files can be read\)\.$"):
        summarize_folder(tmp_path)
    with pytest.raises(ValueError, match="missing: no such folder of pictures"):
        summarize_folder(tmp_path / "missing")


def test_few_shot_settings_by_folder_size_and_kept_user_choices():
    cfg = preset("cpu64", init="default")
    small, lines = apply_few_shot(cfg, 50, resolution=64)
    assert (small.augment, small.xflip, small.lr, small.r1_gamma, small.ema_kimg) == ("diffaugment", True, 0.0025,
                                                                                      None, 10.0)
    assert len(lines) == 6 and "0.0256" in lines[4]  # one sentence per choice, after the headline
    mid, _ = apply_few_shot(cfg, DIFFAUGMENT_BELOW, resolution=64)
    assert (mid.augment, mid.ada_kimg, mid.ada_target) == ("ada", 100.0, 0.6)
    scratch, _ = apply_few_shot(replace(cfg, init=None), DIFFAUGMENT_BELOW)
    assert scratch.ada_kimg == 500.0
    big, lines = apply_few_shot(cfg, SMALL_FOLDER)
    assert big == replace(cfg, ema_rampup=None) and len(lines) == 2  # a warm start averages G from the first step
    assert lines[0] == "5,000 pictures: the standard recipe (few-shot settings are for folders under 5,000 pictures)."
    assert small.ema_rampup == 0.05  # few-shot runs keep the ramp-up: they last a few kimg
    assert apply_few_shot(replace(cfg, init=None), SMALL_FOLDER)[0].ema_rampup == 0.05  # from scratch too
    world, lines = apply_to_new_run(cfg)
    assert world.ema_rampup is None and "no ramp-up" in lines[0]
    mine, lines = apply_few_shot(replace(cfg, augment="none", lr=0.001), 50, keep={"augment", "lr"})
    assert (mine.augment, mine.lr, mine.xflip) == ("none", 0.001, True)
    assert any(line.startswith("Kept your augment='none'") for line in lines)


def tiny_run(pictures, model, **overrides):
    cfg = preset("cpu64", data=str(pictures), batch=4, steps=4, checkpoint_every=2, sample_every=2, workers=0)
    cfg, lines = apply_few_shot(replace(cfg, **overrides), 6, resolution=32)
    return new_run("My pictures!", cfg, 6, "cpu64", start=model, few_shot=lines)


def test_run_trains_publishes_a_blendable_model_with_its_card(pictures, tiny_model, data_home):
    torch.set_num_threads(1)
    run = tiny_run(pictures, tiny_model)
    assert run.folder.parent == data_home / "runs" and run.folder.name.startswith("My-pictures-")
    assert run.status == "not started" and list_runs()[0].folder == run.folder
    reports: list[Progress] = []
    out = train_run(run, progress=reports.append)
    previews = [p.preview for p in reports if p.preview is not None]
    before = sample_grid(tiny_model.G, sample_latents(16, tiny_model.G.z_dim, 0))
    h, w = before.shape[:2]
    assert previews and all(np.array_equal(p[8 : 8 + h, 8 : 8 + w], before) for p in previews)  # start model, left
    assert previews[-1].shape == (h + 16, 2 * w + 24, 3)
    model = load_model(out)
    assert out.parent == data_home / "models" and model.name == "My pictures!"
    info = model.card["trained_on_pictures"]
    assert info["folder"] == str(pictures) and info["pictures"] == 6 and info["finished"]
    assert info["kimg"] == 0.02 and info["start_model"]["weights_hash"] == tiny_model.weights_hash
    assert info["few_shot"][0].startswith("6 pictures: few-shot")
    blend = model.card["customized"]
    assert blend["base_model"]["path"] == str(tiny_model.path) and blend["settings"]["train"] == "full"
    again = Run.load(run.folder)
    assert again.status == "finished" and again.model == str(out) and not again.resumable
    assert sorted(p.name for p in run.folder.iterdir()) == ["run.json", "train"]  # the trainer's folder is its own


def test_killed_run_resumes_from_its_checkpoint(pictures, tiny_model, data_home):
    torch.set_num_threads(1)
    run = tiny_run(pictures, tiny_model)

    def crash(p: Progress) -> None:
        if p.done == 3:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        train_run(run, progress=crash)
    found = list_runs()[0]
    assert found.status == "interrupted" and found.step == 2 and found.resumable and found.exported.is_file()
    assert "0.0 of 0.0 kimg, interrupted" in found.describe()
    reports: list[Progress] = []
    out = train_run(found, progress=reports.append)
    assert [p.done for p in reports] == [2, 3, 4]
    assert load_model(out).card["steps"] == 4 and Run.load(run.folder).status == "finished"


def test_stopped_run_publishes_what_it_has_and_scratch_runs_have_no_base(pictures, tiny_model, data_home):
    torch.set_num_threads(1)
    cfg = preset("tiny32", data=str(pictures), batch=4, steps=2, checkpoint_every=1, workers=0)
    run = new_run("scratch", cfg, 6, "tiny32")
    assert start_grid(run) is None
    train_run(run)
    out = publish_run(run, finished=False)
    card = load_model(out).card
    assert "customized" not in card and card["trained_on_pictures"]["start_model"] == {"preset": "tiny32"}
    assert Run.load(run.folder).status == "stopped"
