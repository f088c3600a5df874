"""The trainer on tiny 32 px models for a few steps: it trains, checkpoints, exports, resumes exactly, cancels."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine import load_model
from studio.engine.jobs import Cancelled, CancelToken, Progress
from studio.engine.train import TrainConfig, list_checkpoints, load_checkpoint, preset, train
from studio.engine.train.augment import diff_augment
from studio.engine.train.data import scan_folder


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: the steps are tiny, and shared CI cores make more threads slower, not faster."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny(out: Path, **overrides) -> TrainConfig:
    """A 32 px run that exercises every phase within a few steps: R1 and path length every 2nd step, and
    ADA with a target that makes p rise at every adjustment, so augmented batches are trained on too."""
    base = dict(
        out_dir=str(out), batch=4, steps=4, checkpoint_every=2, sample_every=2, workers=0, r1_interval=2,
        pl_weight=2.0, pl_interval=2, augment="ada", ada_kimg=0.02, ada_target=-1.0,
    )
    return preset("tiny32", **{**base, **overrides})


def test_world_run_checkpoints_and_exports(tmp_path):
    reports: list[Progress] = []
    cfg = tiny(tmp_path / "run", steps=3, keep=1)
    model_path = train(cfg, progress=reports.append)

    assert [p.done for p in reports] == [0, 1, 2, 3] and "world" in reports[0].message
    for p in reports[1:]:
        assert {"loss_G", "loss_D", "r1", "pl", "augment_p", "imgs_per_s"} <= p.metrics.keys()
        assert all(math.isfinite(v) for v in p.metrics.values())
    assert reports[2].preview.dtype == np.uint8 and reports[1].preview is None

    ckpts = list_checkpoints(cfg.out_dir)
    assert [c.name for c in ckpts] == ["ckpt-00000003.pt"]  # keep=1 pruned step 2
    assert not [p for p in ckpts[0].parent.iterdir() if p.name.endswith(".tmp")]
    state = torch.load(ckpts[0], map_location="cpu", weights_only=True)  # nothing in it needs unpickling code
    assert state["step"] == 3 and state["images_seen"] == 12 and len(state["rng"]) == 1

    m = load_model(model_path)
    assert m.G.resolution == 32 and m.D is not None and m.card["license"] == "CC0 / generated"
    assert m.card["steps"] == 3 and Path(m.card["sample_grid"]).is_file()
    assert m.G.w_avg.abs().sum() > 0  # tracked during G steps, so truncation works
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert (tmp_path / "run" / "loss_curves.png").is_file()


def _tensors(state: dict, prefix: str = "") -> dict:
    out = {}
    if isinstance(state, torch.Tensor):
        return {prefix: state}
    items = state.items() if isinstance(state, dict) else enumerate(state) if isinstance(state, (list, tuple)) else []
    for k, v in items:
        out.update(_tensors(v, f"{prefix}/{k}"))
    return out


def test_resume_continues_bit_for_bit(tmp_path):
    whole = tiny(tmp_path / "whole", steps=6, checkpoint_every=3)
    train(whole)
    half = tiny(tmp_path / "half", steps=3, checkpoint_every=3)
    train(half)
    train(replace(half, steps=6), resume="auto")

    a = load_checkpoint(list_checkpoints(whole.out_dir)[-1])
    b = load_checkpoint(list_checkpoints(half.out_dir)[-1])
    assert a["step"] == b["step"] == 6
    ta, tb = _tensors({k: a[k] for k in ("G", "G_ema", "D", "opt_G", "opt_D", "rng")}), _tensors(
        {k: b[k] for k in ("G", "G_ema", "D", "opt_G", "opt_D", "rng")}
    )
    assert ta.keys() == tb.keys()
    for name in ta:
        assert torch.equal(ta[name], tb[name]), name
    assert a["augment"] == b["augment"] and a["augment"]["p"] > 0 and a["pl_mean"] == b["pl_mean"]

    def losses(run: TrainConfig) -> list:
        lines = (Path(run.out_dir) / "metrics.jsonl").read_text().splitlines()
        return [{k: v for k, v in json.loads(line).items() if k != "imgs_per_s"} for line in lines]

    assert losses(whole) == losses(half)


def test_cancel_saves_a_checkpoint_then_raises(tmp_path):
    token = CancelToken()

    def cancel_at_2(p: Progress) -> None:
        if p.done == 2:
            token.cancel()

    cfg = tiny(tmp_path / "run", steps=50, checkpoint_every=50)
    with pytest.raises(Cancelled):
        train(cfg, progress=cancel_at_2, token=token)
    (ckpt,) = list_checkpoints(cfg.out_dir)
    assert 2 <= load_checkpoint(ckpt)["step"] <= 3
    assert (tmp_path / "run" / "model.safetensors").is_file()

    with pytest.raises(ValueError, match="another run"):
        train(cfg)  # a fresh run must not mix with the checkpoints there
    done = []
    train(replace(cfg, steps=5), resume="auto", progress=done.append)
    assert done[-1].done == 5 and "resuming" in done[0].message


def _write_image_folder(root: Path) -> None:
    rng = np.random.default_rng(0)
    (root / "nested").mkdir(parents=True)
    for i, (h, w) in enumerate([(40, 60), (32, 32), (80, 50)]):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), np.uint8)).save(root / f"rgb{i}.png")
    Image.fromarray(rng.integers(0, 256, (48, 48, 4), np.uint8), "CMYK").save(root / "nested" / "cmyk.jpg")
    Image.fromarray(rng.integers(0, 65536, (36, 36), np.uint16)).save(root / "nested" / "deep16.png")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png")
    (root / "notes.txt").write_text("not an image, not counted")


def test_folder_data_skips_and_counts_unreadable_files(tmp_path):
    data = tmp_path / "data"
    _write_image_folder(data)
    scan = scan_folder(data)
    assert scan.skipped == 1 and len(scan.files) == 5 and "nested/cmyk.jpg" in scan.files

    reports: list[Progress] = []
    cfg = tiny(tmp_path / "run", data=str(data), steps=2, xflip=True, augment="diffaugment")
    model = load_model(train(cfg, progress=reports.append))
    assert "5 images, 1 unreadable files skipped" in reports[0].message
    assert "broken.png is damaged" in reports[0].message  # named, so the user need not hunt for it
    assert "as the training images" in model.card["license"]


def test_folder_without_images_is_one_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "bad.jpg").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"no readable images \(1 image files could not be read; the first: .*bad.jpg"):
        train(tiny(tmp_path / "run", data=str(tmp_path / "empty")))
    with pytest.raises(ValueError, match="no such folder"):
        train(tiny(tmp_path / "run", data=str(tmp_path / "missing")))


def test_diff_augment_is_differentiable_and_off_at_p0():
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    torch.testing.assert_close(diff_augment(x, p=0.0), x)  # identity up to rounding
    y = diff_augment(x, p=1.0)
    assert y.shape == x.shape and not torch.equal(y, x)
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_cutout_moves_and_hides_pixels_but_never_changes_a_colour():
    torch.manual_seed(0)
    x = torch.rand(8, 3, 16, 16) + 1  # no pixel of x is 0, the colour of the border and of a cutout
    y = diff_augment(x, p=1.0, colour=False)
    assert not torch.equal(y, x)
    colours = {tuple(c) for c in x.permute(0, 2, 3, 1).reshape(-1, 3).tolist()} | {(0.0, 0.0, 0.0)}
    assert {tuple(c) for c in y.permute(0, 2, 3, 1).reshape(-1, 3).tolist()} <= colours
    with_colour = diff_augment(x, p=1.0)
    assert not {tuple(c) for c in with_colour.permute(0, 2, 3, 1).reshape(-1, 3).tolist()} <= colours


def test_world_cache_holds_the_streamed_images_and_reuses_its_chunks(tmp_path):
    from studio.engine.train.world_cache import CHUNK, load_world_cache, world_seed
    from studio.engine.world import render_batch

    cache = load_world_cache(32, 0, 3, workers=1, root=tmp_path)
    np.testing.assert_array_equal(cache, render_batch([world_seed(0, i) for i in range(3)], 32))
    (chunk,) = list((tmp_path / "32px-seed0").iterdir())
    stamp = chunk.stat().st_mtime_ns
    reports: list[Progress] = []
    again = load_world_cache(32, 0, CHUNK, progress=reports.append, root=tmp_path)  # same chunk, nothing rendered
    assert chunk.stat().st_mtime_ns == stamp and reports[0].done == reports[0].total == 1
    np.testing.assert_array_equal(again[:3], cache)

    chunk.write_bytes(chunk.read_bytes()[:1000])  # a torn file, as a full disk could leave outside our writes
    with pytest.raises(ValueError, match="damaged world cache file; it was removed"):
        load_world_cache(32, 0, 3, root=tmp_path)
    assert not chunk.exists()


def test_world_cache_run_trains_on_the_cached_images(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    reports: list[Progress] = []
    train(tiny(tmp_path / "run", steps=2, world_cache=6), progress=reports.append)
    assert "first 6 procedural painted portraits" in reports[0].message
    assert any("rendering 6 world portraits" in p.message for p in reports)
    assert list((tmp_path / "cache" / "world" / "32px-seed0").glob("chunk-*.npy"))


def test_warm_start_takes_the_files_weights_architecture_and_fresh_optimizers(tmp_path, tiny_pair):
    from studio.engine import save_model
    from studio.engine.train import Trainer

    G, D = tiny_pair
    path = save_model(tmp_path / "start.safetensors", G, D, {"name": "start"})
    cfg = tiny(tmp_path / "run", steps=1, init=str(path), mapping_layers=4, z_dim=512, w_dim=512)
    trainer = Trainer(cfg)
    assert trainer.config.mapping_layers == 2 and trainer.config.z_dim == 64  # the file's architecture
    assert "warm start from" in trainer.summary and "architecture taken from the file" in trainer.summary
    for ours, theirs in ((trainer.G, G), (trainer.G_ema, G), (trainer.D, D)):
        for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            assert torch.equal(a, b), name
    assert not trainer.opt_G.state and not trainer.opt_D.state
    model = load_model(trainer.run())
    assert str(path) in model.card["description"] and model.card["train_config"]["init"] == str(path)

    # resuming the run continues from its checkpoint; the warm start is not applied again
    resumed = Trainer(replace(cfg, steps=2), resume="auto")
    assert "resuming" in resumed.summary and "warm start" not in resumed.summary


def test_freeze_d_keeps_the_image_side_blocks_and_trains_the_rest(tmp_path, tiny_pair):
    from studio.engine import save_model
    from studio.engine.train import Trainer

    G, D = tiny_pair
    path = save_model(tmp_path / "start.safetensors", G, D, {"name": "start"})
    trainer = Trainer(tiny(tmp_path / "run", steps=2, init=str(path), freeze_d=1))
    frozen = f"b{trainer.D.block_resolutions[0]}."
    trainer.run()
    for (name, after), before in zip(trainer.D.state_dict().items(), D.state_dict().values()):
        assert torch.equal(after, before) == name.startswith(frozen), name
    assert load_checkpoint(list_checkpoints(tmp_path / "run")[-1])["config"]["freeze_d"] == 1

    with pytest.raises(ValueError, match="more than the discriminator's"):
        Trainer(tiny(tmp_path / "other", freeze_d=9))


def test_freeze_g_keeps_the_coarse_blocks_and_trains_the_rest(tmp_path, tiny_pair):
    from studio.engine import save_model
    from studio.engine.train import Trainer

    G, D = tiny_pair
    path = save_model(tmp_path / "start.safetensors", G, D, {"name": "start"})
    trainer = Trainer(tiny(tmp_path / "run", steps=2, init=str(path), freeze_g=8))
    trainer.run()
    for (name, after), before in zip(trainer.G.named_parameters(), G.parameters()):
        assert torch.equal(after, before) == name.startswith(("synthesis.b4.", "synthesis.b8.")), name
    assert load_checkpoint(list_checkpoints(tmp_path / "run")[-1])["config"]["freeze_g"] == 8

    with pytest.raises(ValueError, match="a resolution below the model's"):
        Trainer(tiny(tmp_path / "other", init=str(path), freeze_g=G.resolution))


def test_a_second_run_on_the_same_folder_is_refused_while_the_first_holds_it(tmp_path):
    import os

    from studio.engine.train import Trainer

    cfg = tiny(tmp_path / "run", steps=1)
    first = Trainer(cfg)
    with pytest.raises(ValueError) as refused:
        Trainer(cfg, resume="auto")
    assert str(refused.value) == (f"{tmp_path / 'run'} is in use by another GAN Studio run (process {os.getpid()}); "
                                  "let it finish or stop it, or choose another output.")
    first.run()
    assert not (tmp_path / "run" / ".lock").exists()
    assert Trainer(replace(cfg, steps=2), resume="auto").run().is_file()  # free again once the first ended


def test_a_run_that_cannot_start_leaves_no_folder_and_no_lock(tmp_path):
    from studio.engine.train import Trainer

    with pytest.raises(ValueError, match="more than the discriminator's"):
        Trainer(tiny(tmp_path / "run", freeze_d=9))
    assert not (tmp_path / "run").exists()


def test_minutes_limit_stops_cleanly_with_a_checkpoint(tmp_path):
    reports: list[Progress] = []
    path = train(tiny(tmp_path / "run", steps=50, checkpoint_every=50, minutes=1e-9), progress=reports.append)
    assert path.is_file() and "stopped after" in reports[-1].message
    (ckpt,) = list_checkpoints(tmp_path / "run")
    assert load_checkpoint(ckpt)["step"] == 1


def test_plan_picks_the_cpu_path_and_bf16_trains(tmp_path):
    from studio.engine.train.hardware import plan

    cpu = torch.device("cpu")
    assert plan(cpu, "fp32").fused is False and plan(cpu, "fp32").channels_last
    assert plan(cpu, "fp32", "fused").fused and not plan(cpu, "fp32", "fused").channels_last
    with pytest.raises(ValueError, match="precision must be one of"):
        plan(cpu, "fp8")
    reports: list[Progress] = []
    train(tiny(tmp_path / "run", steps=2, precision="bf16"), progress=reports.append)
    assert "bf16, non-fused modconv, channels-last" in reports[0].message
    assert all(math.isfinite(v) for p in reports[1:] for v in p.metrics.values())


def test_resume_auto_skips_a_damaged_newest_checkpoint(tmp_path):
    """A newest checkpoint cut short (a full disk, a kill during a copy) is skipped with a warning, in whole
    sentences, and the run resumes from the newest one that reads."""
    cfg = tiny(tmp_path / "run", steps=2, checkpoint_every=1, keep=3)
    train(cfg)
    older, newest = list_checkpoints(cfg.out_dir)
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    reports: list[Progress] = []
    train(replace(cfg, steps=3), resume="auto", progress=reports.append)
    summary = reports[0].message
    assert (f"warning: skipped {newest.name}, not a readable training checkpoint (the file is damaged or cut short, "
            "as an interrupted save leaves it)") in summary
    assert f"resuming {older} at step 1" in summary and reports[-1].done == 3
    for path in list_checkpoints(cfg.out_dir):
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"none of its 3 checkpoints can be read; move the folder away"):
        train(replace(cfg, steps=4), resume="auto")


def test_a_run_never_writes_into_a_folder_of_other_files(tmp_path):
    run = tmp_path / "thesis"
    run.mkdir()
    (run / "chapter1.tex").write_text("years of work")
    with pytest.raises(ValueError, match="thesis is not empty and does not hold a training run"):
        train(tiny(run, steps=1))
    assert [p.name for p in run.iterdir()] == ["chapter1.tex"]
