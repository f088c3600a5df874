"""Sketch Your Own GAN customization on a tiny model: losses, what trains, resume, cancel, errors."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine import LoadedModel, load_model
from studio.engine.customize.blend import blend_w, interpolate_models
from studio.engine.customize.card import kept_note
from studio.engine.customize.checkpoint import CHECKPOINT_KIND, CHECKPOINT_VERSION
from studio.engine.customize.config import CustomizeConfig, CustomizeError, recommended_settings
from studio.engine.customize.generator import CustomGenerator
from studio.engine.customize.loop import customize, lr_ramp, new_state
from studio.engine.customize.selection import BestSnapshot, sketch_distance
from studio.engine.customize.sketches import SketchError
from studio.engine.jobs import Cancelled, CancelToken
from studio.engine.train.checkpoint import list_checkpoints, load_state, save_checkpoint
from tests.conftest import make_tiny_pair, make_tiny_sg3


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run fastest on one thread, and the suite shares its CPU cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _base() -> LoadedModel:
    G, D = make_tiny_pair()
    return LoadedModel(G, D, None, "studio", {"name": "tiny"})


def _sketch_folder(tmp_path, n: int = 2):
    folder = tmp_path / "sketches"
    folder.mkdir()
    for i in range(n):
        img = np.full((80, 96), 255, np.uint8)
        img[20 + 10 * i : 24 + 10 * i, 10:80] = 0  # a bar at a different height per sketch
        img[10:70, 40:43] = 0
        Image.fromarray(img).save(folder / f"s{i}.png")
    return folder


def _image_folder(tmp_path, n: int = 3):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"i{i}.jpg")
    return folder


def _cfg(tmp_path, **kw) -> CustomizeConfig:
    kw.setdefault("out", str(tmp_path / "custom.safetensors"))
    kw.setdefault("steps", 2)
    kw.setdefault("r1_every", 2)
    return CustomizeConfig(**kw)


def test_world_images_losses_finite_small_sketch_set_and_loadable_result(tmp_path):
    reports = []
    base = _base()
    out = customize(base, _sketch_folder(tmp_path, 2), _cfg(tmp_path, batch=4, images="world", preview_every=1),
                    progress=reports.append)
    assert [p.done for p in reports] == [1, 2]
    for p in reports:
        for key in ("loss_sketch", "loss_image", "loss_D_sketch", "loss_D_image"):
            assert math.isfinite(p.metrics[key])
        assert p.preview.dtype == np.uint8 and p.preview.ndim == 3
    assert "r1_sketch" in reports[0].metrics and "r1_image" in reports[0].metrics
    m = load_model(out)
    assert m.G.config == base.G.config and m.D is not None
    info = m.card["customized"]
    assert info["base_model"]["weights_hash"] == base.weights_hash
    assert [s["file"] for s in info["sketches"]] == ["s0.png", "s1.png"] and info["steps"] == 2 and info["finished"]
    assert m.card["customize"] == recommended_settings(base)  # customizing it again starts from the same settings
    assert not torch.equal(m.G.mapping.fc0.weight, base.G.mapping.fc0.weight)  # the small set did train
    assert not (tmp_path / "custom.customize.pt").exists()  # a finished run leaves no checkpoint behind


def _changed(a: torch.nn.Module, b: torch.nn.Module) -> set[str]:
    pb = dict(b.named_parameters())
    return {k for k, p in a.named_parameters() if not torch.equal(p, pb[k])}


@pytest.mark.parametrize("mode", ["mapping", "shift", "full"])
def test_only_the_chosen_parameters_change(tmp_path, mode):
    base = _base()
    reports = []
    out = customize(base, _sketch_folder(tmp_path), _cfg(tmp_path, train=mode), progress=reports.append)
    assert "loss_weight" in reports[-1].metrics and "loss_image" not in reports[-1].metrics  # no images: L_weight
    changed = _changed(load_model(out).G, base.G)
    assert changed
    if mode == "mapping":
        assert all(k.startswith("mapping.") for k in changed)
    elif mode == "shift":  # the learned W shift is folded into the style affines' biases
        assert all(k.startswith("synthesis.") and k.endswith("affine.bias") for k in changed)
    else:
        assert any(k.startswith("synthesis.") for k in changed) and any(k.startswith("mapping.") for k in changed)


def test_mapping_lr_multiplier_speeds_up_only_the_mapping(tmp_path):
    base = _base()
    cfg = _cfg(tmp_path, train="full", lr=0.001, mapping_lr_multiplier=30.0)
    groups = new_state(base, cfg, False, None).opt_G.param_groups
    n_mapping = len(list(base.G.mapping.parameters()))
    assert sorted((g["lr"], len(g["params"])) for g in groups) == [
        (0.001, len(list(base.G.parameters())) - n_mapping), (pytest.approx(0.03), n_mapping)]
    shift = new_state(base, _cfg(tmp_path, train="shift", mapping_lr_multiplier=30.0), False, None).opt_G
    assert [g["lr"] for g in shift.param_groups] == [0.002]  # the W shift has no lr multiplier to undo


def test_lr_ramp_holds_then_falls_to_zero_by_cosine():
    ramp = [lr_ramp(k, 10, 0.5) for k in range(10)]
    assert ramp[:6] == [1.0] * 6 and all(a > b for a, b in zip(ramp[5:], ramp[6:])) and 0 < ramp[-1] < 0.1
    assert lr_ramp(7, 10, 0.5) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.4)))
    assert [lr_ramp(k, 10, 0.0) for k in range(10)] == [1.0] * 10  # the paper's constant lr
    with pytest.raises(CustomizeError, match="lr_rampdown"):
        CustomizeConfig(out="x.safetensors", lr_rampdown=1.5).validate()


def test_recommended_settings_come_from_the_config_the_world_and_the_card():
    G, D = make_tiny_pair()
    plain = recommended_settings(LoadedModel(G, D, None, "studio", {"name": "tiny"}))
    assert plain == {k: getattr(CustomizeConfig, k) for k in plain} and plain["extractor"] == "default"
    world_card = {"name": "tiny", "train_config": {"data": "world"}}
    assert recommended_settings(LoadedModel(G, D, None, "studio", world_card))["extractor"] == "world"
    card = {**world_card, "customize": {"steps": 123, "mapping_lr_multiplier": 7, "extractor": "default",
                                        "batch": "8", "train": True, "unknown": 1}}
    rec = recommended_settings(LoadedModel(G, D, None, "studio", card))
    assert rec["steps"] == 123 and rec["mapping_lr_multiplier"] == 7.0 and rec["extractor"] == "default"
    assert rec["batch"] == CustomizeConfig.batch and rec["train"] == CustomizeConfig.train  # wrong types ignored
    assert "unknown" not in rec
    CustomizeConfig(out="x.safetensors", **rec).validate()


def test_resume_continues_identically_and_cancel_leaves_a_loadable_model(tmp_path):
    sketches, images = _sketch_folder(tmp_path), _image_folder(tmp_path)
    straight = load_model(customize(_base(), sketches, _cfg(tmp_path, out=str(tmp_path / "a.safetensors"),
                                                            steps=4, images=str(images))))
    token = CancelToken()

    def stop_after_two(p):
        if p.done == 2:
            token.cancel()

    cfg = _cfg(tmp_path, out=str(tmp_path / "b.safetensors"), steps=4, images=str(images))
    with pytest.raises(Cancelled):
        customize(_base(), sketches, cfg, progress=stop_after_two, token=token)
    early = load_model(tmp_path / "b.safetensors")
    assert early.card["customized"]["steps"] == 2 and not early.card["customized"]["finished"]
    cfg.resume = True
    resumed = load_model(customize(_base(), sketches, cfg))
    for k, t in straight.G.state_dict().items():
        assert torch.equal(t, resumed.G.state_dict()[k]), k
    for k, t in straight.D.state_dict().items():
        assert torch.equal(t, resumed.D.state_dict()[k]), k


def test_resume_refuses_a_checkpoint_from_other_settings(tmp_path):
    sketches, token = _sketch_folder(tmp_path), CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        customize(_base(), sketches, _cfg(tmp_path), token=token)
    with pytest.raises(CustomizeError, match="custom.customize.pt.*settings"):
        customize(_base(), sketches, _cfg(tmp_path, train="full", resume=True))


def test_a_second_run_on_the_same_output_is_refused_while_the_first_holds_it(tmp_path):
    import os

    from studio.engine.locks import lock_run

    sketches, cfg = _sketch_folder(tmp_path), _cfg(tmp_path, steps=1)
    with lock_run(cfg.lock_path, cfg.out):  # the first run (a lock is per open file: this process counts)
        with pytest.raises(ValueError) as refused:
            customize(_base(), sketches, cfg)
    assert str(refused.value) == (f"{cfg.out} is in use by another GAN Studio run (process {os.getpid()}); let it "
                                  "finish or stop it, or choose another output.")
    assert customize(_base(), sketches, cfg).is_file() and not cfg.lock_path.exists()  # free once the first ended


def test_damaged_or_foreign_checkpoints_are_one_sentence(tmp_path):
    sketches, cfg = _sketch_folder(tmp_path), _cfg(tmp_path, resume=True)
    cfg.checkpoint_path.write_bytes(b"PK\x03\x04 torn")
    with pytest.raises(CustomizeError, match=r"custom\.customize\.pt: not a readable customization checkpoint"):
        customize(_base(), sketches, cfg)
    save_checkpoint(tmp_path / "run", 1, {"step": 1}, keep=2)  # a training checkpoint is not a customization one
    shutil.copy(list_checkpoints(tmp_path / "run")[0], cfg.checkpoint_path)
    with pytest.raises(CustomizeError, match=r"not a GAN Studio customization checkpoint\b"):
        customize(_base(), sketches, cfg)


def test_blank_sketch_is_refused_naming_the_file(tmp_path):
    folder = _sketch_folder(tmp_path)
    Image.fromarray(np.full((50, 50), 250, np.uint8)).save(folder / "empty.png")
    with pytest.raises(SketchError, match="empty.png.*blank"):
        customize(_base(), folder, _cfg(tmp_path))
    with pytest.raises(SketchError, match="no image files"):
        customize(_base(), _image_dir_empty(tmp_path), _cfg(tmp_path))


def _image_dir_empty(tmp_path):
    d = tmp_path / "nothing"
    d.mkdir()
    (d / "notes.txt").write_text("no sketches here")
    return d


def test_model_and_w_interpolation(tmp_path):
    base = _base()
    custom = load_model(customize(base, _sketch_folder(tmp_path), _cfg(tmp_path, lr=0.05)))
    for alpha, ref in ((0.0, base.G), (1.0, custom.G)):
        mixed = interpolate_models(base.G, custom.G, alpha)
        for k, t in mixed.state_dict().items():
            assert torch.allclose(t, ref.state_dict()[k]), k
    z = torch.randn(3, base.G.z_dim)
    ws = blend_w(base.G, custom.G, z, 0.5)
    assert ws.shape == (3, base.G.num_ws, base.G.w_dim)
    assert torch.allclose(blend_w(base.G, custom.G, z, 1.0), custom.G.mapping(z))


def test_exported_shift_model_renders_what_training_saw():
    G, _ = make_tiny_pair()
    Gp = CustomGenerator(G, "shift")
    with torch.no_grad():
        Gp.shift.copy_(torch.randn(G.w_dim) * 0.5)
    z = torch.randn(3, G.z_dim)
    assert torch.allclose(Gp.export()(z), Gp.render(z), atol=1e-4)


# --- keeping the best snapshot ------------------------------------------------------------------------------


def test_best_snapshot_keeps_the_lowest_score_as_a_copy_and_round_trips():
    best, p = BestSnapshot(), {"w": torch.zeros(2)}
    for step, score in ((1, 0.5), (2, 0.2), (3, 0.2), (4, 0.9)):  # a forced sequence: the tie keeps the earlier
        p["w"].fill_(step)
        best.consider(step, score, p)
    assert (best.step, best.score) == (2, 0.2) and torch.equal(best.params["w"], torch.full((2,), 2.0))
    assert best.scores == [(1, 0.5), (2, 0.2), (3, 0.2), (4, 0.9)]
    again = BestSnapshot()
    again.load_state_dict(best.state_dict())
    assert (again.step, again.score, again.scores) == (best.step, best.score, best.scores)
    assert torch.equal(again.params["w"], best.params["w"])


def test_sketch_distance_picks_the_nearest_sketch_by_where_the_ink_is_not_how_much():
    real = torch.ones(2, 1, 16, 16)
    real[0, :, 4, :] = -1  # a line near the top
    real[1, :, 12, :] = -1  # one near the bottom
    near_top = torch.ones(1, 1, 16, 16)
    near_top[0, :, 5, :] = -1
    faint_top = torch.where(real[:1] < 0, 0.0, 1.0)  # the top line with half the ink
    d = sketch_distance(torch.cat([real, near_top, faint_top]), real)
    assert d[:2].abs().max() < 1e-6 and d[3].abs() < 1e-6
    assert 0 < d[2] < sketch_distance(near_top, real[1:])[0]


def _snapshots_by_step(cfg):
    """A progress callback that copies G′'s trained tensors at every step from the checkpoint (checkpoint_every 1)."""
    seen = {}

    def report(p):
        seen[p.done] = load_state(cfg.checkpoint_path, CHECKPOINT_KIND, CHECKPOINT_VERSION)["trainable"]
        seen.setdefault("scores", {})[p.done] = p.metrics.get("sketch_distance")

    return seen, report


def _mapping_equal(G, tensors) -> bool:
    return all(torch.equal(p, tensors[f"mapping.{k}"]) for k, p in G.mapping.named_parameters())


def test_the_best_scored_step_is_exported_and_named_on_the_card(tmp_path):
    base, sketches = _base(), _sketch_folder(tmp_path)
    cfg = _cfg(tmp_path, steps=6, select_every=1, checkpoint_every=1, lr=0.05)  # a large lr: G′ wanders
    seen, report = _snapshots_by_step(cfg)
    m = load_model(customize(base, sketches, cfg, progress=report))
    scores = seen["scores"]
    kept = min(scores, key=lambda k: (scores[k], k))
    info = m.card["customized"]
    assert info["kept_step"] == kept and info["steps"] == 6
    assert info["selection"]["scores"] == [[k, scores[k]] for k in range(1, 7)]
    assert info["selection"]["score"] == scores[kept] and f"kept step {kept} of 6" in m.card["training"]
    assert _mapping_equal(m.G, seen[kept])


def test_select_every_zero_exports_the_last_step_unscored(tmp_path):
    base, sketches = _base(), _sketch_folder(tmp_path)
    cfg = _cfg(tmp_path, steps=3, select_every=0, checkpoint_every=1, lr=0.05)
    seen, report = _snapshots_by_step(cfg)
    m = load_model(customize(base, sketches, cfg, progress=report))
    assert set(seen["scores"].values()) == {None}  # nothing scored
    info = m.card["customized"]
    assert info["kept_step"] == 3 and "selection" not in info and "kept step" not in m.card["training"]
    assert _mapping_equal(m.G, seen[3])
    # scoring draws no random numbers: the same run with selection trains the very same weights
    scored = _cfg(tmp_path, out=str(tmp_path / "scored.safetensors"), steps=3, select_every=1, checkpoint_every=1,
                  lr=0.05)
    seen_scored, report = _snapshots_by_step(scored)
    customize(base, sketches, scored, progress=report)
    assert all(torch.equal(seen[3][k], t) for k, t in seen_scored[3].items())


def test_resume_keeps_the_best_and_selects_as_a_straight_run(tmp_path):
    sketches = _sketch_folder(tmp_path)
    kw = {"steps": 6, "select_every": 2, "lr": 0.05}
    straight = load_model(customize(_base(), sketches, _cfg(tmp_path, out=str(tmp_path / "a.safetensors"), **kw)))
    token = CancelToken()

    def stop_after_three(p):
        if p.done == 3:
            token.cancel()

    cfg = _cfg(tmp_path, out=str(tmp_path / "b.safetensors"), **kw)
    with pytest.raises(Cancelled):
        customize(_base(), sketches, cfg, progress=stop_after_three, token=token)
    early = load_model(tmp_path / "b.safetensors").card["customized"]
    assert [s[0] for s in early["selection"]["scores"]] == [2, 3]  # the stopped step competed for the saved model
    ckpt = load_state(cfg.checkpoint_path, CHECKPOINT_KIND, CHECKPOINT_VERSION)
    assert [s[0] for s in ckpt["best"]["scores"]] == [2] and ckpt["best"]["step"] == 2  # ...but not on resume
    cfg.resume = True
    resumed = load_model(customize(_base(), sketches, cfg))
    assert resumed.card["customized"]["selection"] == straight.card["customized"]["selection"]
    assert resumed.card["customized"]["kept_step"] == straight.card["customized"]["kept_step"]
    for k, t in straight.G.state_dict().items():
        assert torch.equal(t, resumed.G.state_dict()[k]), k


def test_kept_note_reads_the_card_and_is_empty_without_selection(tmp_path):
    sketches = _sketch_folder(tmp_path)
    out = customize(_base(), sketches, _cfg(tmp_path, steps=2, select_every=1))
    assert kept_note(out).startswith("kept step ") and " of 2, the closest to the sketches" in kept_note(out)
    plain = customize(_base(), sketches, _cfg(tmp_path, out=str(tmp_path / "p.safetensors"), select_every=0))
    assert kept_note(plain) == "" and kept_note(tmp_path / "missing.safetensors") == ""
    with pytest.raises(CustomizeError, match="select_every"):
        CustomizeConfig(out="x.safetensors", select_every=-1).validate()


# --- StyleGAN3 ------------------------------------------------------------------------------------------------


def _sg3_base(config: str = "r") -> LoadedModel:
    G, D = make_tiny_sg3(config)  # NVIDIA's SG3 snapshots carry a StyleGAN2 D, as this one does
    return LoadedModel(G, D, None, "studio", {"name": "tiny-sg3"})


def _changed_tensors(a: torch.nn.Module, b: torch.nn.Module) -> set[str]:
    sb = b.state_dict()
    return {k for k, t in a.state_dict().items() if not torch.equal(t, sb[k])}


def test_on_stylegan3_each_mode_trains_its_part_and_the_model_reopens_as_stylegan3(tmp_path):
    base, sketches = _sg3_base(), _sketch_folder(tmp_path)
    emas = {k for k in base.G.state_dict() if k.endswith(".magnitude_ema")}
    assert len(emas) == len(base.G.synthesis.layers())
    for mode in ("mapping", "shift", "full"):
        out = customize(base, sketches, _cfg(tmp_path, out=str(tmp_path / f"{mode}.safetensors"), train=mode))
        m = load_model(out)
        assert m.G.architecture == "sg3-r" and m.G.config == base.G.config and m.D is not None
        changed = _changed_tensors(m.G, base.G)
        if mode == "mapping":  # the synthesis is the base's, its magnitudes included: W renders as in G
            assert changed and all(k.startswith("mapping.") for k in changed)
        elif mode == "shift":  # folded into every style affine's bias, the Fourier input's too
            assert "synthesis.input.affine.bias" in changed
            assert all(k.startswith("synthesis.") and k.endswith("affine.bias") for k in changed)
        else:  # the magnitudes follow the training synthesis, as NVIDIA's D step updates them
            assert emas <= changed and any(k.startswith("mapping.fc") for k in changed)
            assert "synthesis.input.freqs" not in changed and "synthesis.input.transform" not in changed


def test_on_stylegan3_the_exported_shift_model_renders_what_training_saw():
    G, _ = make_tiny_sg3("t")
    Gp = CustomGenerator(G, "shift")
    with torch.no_grad():
        Gp.shift.copy_(torch.randn(G.w_dim) * 0.5)
    z = torch.randn(3, G.z_dim)
    assert torch.allclose(Gp.export()(z), Gp.render(z), atol=1e-4)


def test_on_stylegan3_a_full_run_resumes_identically_with_its_magnitudes(tmp_path):
    sketches = _sketch_folder(tmp_path)
    kw = {"steps": 3, "select_every": 1, "train": "full", "lr": 0.01}
    straight = load_model(customize(_sg3_base(), sketches, _cfg(tmp_path, out=str(tmp_path / "a.safetensors"), **kw)))
    token = CancelToken()

    def stop_after_one(p):
        if p.done == 1:
            token.cancel()

    cfg = _cfg(tmp_path, out=str(tmp_path / "b.safetensors"), **kw)
    with pytest.raises(Cancelled):
        customize(_sg3_base(), sketches, cfg, progress=stop_after_one, token=token)
    ckpt = load_state(cfg.checkpoint_path, CHECKPOINT_KIND, CHECKPOINT_VERSION)
    assert any(k.endswith(".magnitude_ema") for k in ckpt["trainable"])
    cfg.resume = True
    resumed = load_model(customize(_sg3_base(), sketches, cfg))
    assert resumed.card["customized"]["kept_step"] == straight.card["customized"]["kept_step"]
    for k, t in straight.G.state_dict().items():
        assert torch.equal(t, resumed.G.state_dict()[k]), k
