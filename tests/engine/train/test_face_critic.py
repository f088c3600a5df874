"""The face-crop critic (``face_critic``) on tiny 32 px runs of the world: the reals' heads come from their records,
the fakes' crops are differentiable and placed by the frozen locator, it trains and changes G, it resumes bit for
bit (and can be taken up or dropped on resume), off it is the run without it, and bad settings are one sentence."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from studio.cli import main
from studio.engine.train import Trainer, list_checkpoints, load_checkpoint, train
from studio.engine.train.data import StepBatches
from studio.engine.train.face_critic import FACE_STATS, FaceCritic
from studio.engine.train.world_cache import world_heads, world_seed
from studio.engine.world import portrait_head_record, sample_attributes
from tests.engine.train.test_train import _tensors, one_thread, tiny  # noqa: F401 - the fixture applies here too

TRAINED = ("G", "G_ema", "D", "opt_G", "opt_D", "rng")


def _same(a: dict, b: dict, keys: tuple[str, ...]) -> None:
    ta, tb = _tensors({k: a[k] for k in keys}), _tensors({k: b[k] for k in keys})
    assert ta.keys() == tb.keys()
    for name in ta:
        assert torch.equal(ta[name], tb[name]), name


def _last(run) -> dict:
    return load_checkpoint(list_checkpoints(run.out_dir)[-1])


def test_heads_are_the_portraits_records_in_cache_and_stream():
    for seed in (0, 7, 10**9 + 3):
        assert portrait_head_record(seed) == sample_attributes(seed)["head"]
    heads = world_heads(0, [5, 6])
    want = [[h["x"], h["y"], h["scale"]] for h in (sample_attributes(world_seed(0, i))["head"] for i in (5, 6))]
    np.testing.assert_array_equal(heads, np.array(want, np.float32))

    _, _, streamed = StepBatches(32, 4, 0, 1, 0, heads=True)[1]  # images 4..7
    np.testing.assert_array_equal(streamed.numpy(), world_heads(0, range(4, 8)))
    cache = np.zeros((3, 32, 32, 3), np.uint8)
    cached = StepBatches(32, 4, 0, 1, 0, world_cache=cache, heads=True)
    order = [cached._permuted(i, 3) for i in range(4)]  # the cached items step 0 reads
    np.testing.assert_array_equal(cached[0][2].numpy(), world_heads(0, order))
    assert StepBatches(32, 4, 0, 1, 0)[0][2] is None  # no face critic: no heads drawn
    with pytest.raises(ValueError, match="only the world's portraits"):
        StepBatches(32, 4, 0, 1, 0, genres=True, heads=True)


def test_fake_crops_pass_gradients_to_the_picture_not_to_the_locator(tmp_path):
    critic = FaceCritic(tiny(tmp_path, face_critic=1.0), torch.device("cpu"))
    fake = torch.rand(4, 3, 32, 32, requires_grad=True) * 2 - 1
    fake.retain_grad()
    crops = critic.fake_crops(fake)
    assert crops.shape == (4, 3, 32, 32)
    critic.D(crops, None).sum().backward()
    assert fake.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in critic.locator.parameters())


def test_face_critic_trains_changes_g_and_resumes_bit_for_bit(tmp_path):
    whole = tiny(tmp_path / "whole", steps=2, checkpoint_every=1, face_critic=1.0)
    reports = []
    train(whole, progress=reports.append)
    half = tiny(tmp_path / "half", steps=1, checkpoint_every=1, face_critic=1.0)
    train(half)
    train(replace(half, steps=2, face_critic=None), resume="auto")  # not asked on resume: kept
    plain = tiny(tmp_path / "plain", steps=2, checkpoint_every=1)
    train(plain)

    for p in reports[1:]:
        assert set(FACE_STATS) <= p.metrics.keys() and all(math.isfinite(v) for v in p.metrics.values())
    a, b, c = _last(whole), _last(half), _last(plain)
    assert a["config"]["face_critic"] == b["config"]["face_critic"] == 1.0
    _same(a, b, (*TRAINED, "D_face", "opt_D_face"))
    assert a["opt_D_face"]["state"]  # D_face was stepped
    fresh = FaceCritic(whole, torch.device("cpu")).D.state_dict()
    assert any(not torch.equal(v, a["D_face"][k]) for k, v in fresh.items())
    assert any(not torch.equal(v, c["G"][k]) for k, v in a["G"].items())  # the face term changed G
    assert "D_face" not in c and c["config"]["face_critic"] is None


def test_off_is_the_run_without_it(tmp_path):
    """A run with face_critic 0 computes what a run that never heard of it does: the same weights, optimizers and
    random state (checked by hand against main before the option: identical too)."""
    runs = [tiny(tmp_path / name, steps=2, checkpoint_every=2, **extra)
            for name, extra in (("default", {}), ("zero", {"face_critic": 0.0}))]
    for run in runs:
        train(run)
    a, b = (_last(run) for run in runs)
    _same(a, b, TRAINED)
    assert "D_face" not in a and "D_face" not in b


def test_face_critic_taken_up_kept_and_dropped_on_resume(tmp_path, tiny_pair):
    from studio.engine import save_model

    run = tiny(tmp_path / "run", steps=1, checkpoint_every=1)
    train(run)
    added = Trainer(replace(run, steps=2, face_critic=0.5), resume="auto")
    assert "the face critic starts fresh" in added.summary and not added.opt_D_face.state
    added.run()
    state = _last(run)
    assert state["config"]["face_critic"] == 0.5 and "D_face" in state
    kept = Trainer(replace(run, steps=3), resume="auto")
    assert kept.config.face_critic == 0.5 and "starts fresh" not in kept.summary
    assert "kept the checkpoint's face_critic" not in kept.summary
    for k, v in kept.face.D.state_dict().items():
        assert torch.equal(v, state["D_face"][k]), k
    kept.close()
    dropped = Trainer(replace(run, steps=3, face_critic=0.0), resume="auto")
    assert dropped.face is None and "face critic is left out" in dropped.summary
    dropped.close()

    model = save_model(tmp_path / "start.safetensors", *tiny_pair, {"name": "start"})
    warm = Trainer(tiny(tmp_path / "warm", init=str(model), face_critic=0.5))  # G and D from the file, D_face fresh
    assert warm.face is not None and not warm.opt_D_face.state and "face-crop critic" in warm.summary
    warm.close()


@pytest.mark.parametrize("value, data, cond, message", [
    (-1.0, "world", False, "face_critic must be a weight of 0 or more, not -1.0."),
    (float("nan"), "world", False, "face_critic must be a weight of 0 or more, not nan."),
    (1.0, "world", True, "face_critic needs the world's portraits (data world, not cond)"),
    (1.0, "some/folder", False, "face_critic needs the world's portraits (data world, not cond)"),
])
def test_bad_face_critic_settings_are_one_sentence(tmp_path, value, data, cond, message):
    with pytest.raises(ValueError) as e:
        tiny(tmp_path, face_critic=value, data=data, cond=cond).validate()
    assert str(e.value).startswith(message)


@pytest.mark.parametrize("text, message", [
    ("-1", "must be a number from 0 to 100, not -1"), ("nan", "must be a finite number, not nan"),
    ("inf", "must be a finite number, not inf"), ("many", "'many' is not a number"),
    ("1000", "must be a number from 0 to 100, not 1000"),
])
def test_cli_rejects_bad_face_critic_weights(tmp_path, capsys, text, message):
    assert main(["train", "--preset", "tiny32", "--out", str(tmp_path / "run"), "--face-critic", text]) == 2
    err = capsys.readouterr().err
    assert f"argument --face-critic: {message}" in err
    assert not (tmp_path / "run").exists()
