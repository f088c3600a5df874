"""Sketch Your Own GAN (Wang, Bau, Zhu 2021): fine-tune a pretrained G so its samples follow 1–30 sketches.

No sketch goes into the new generator G′: a fixed photo->sketch network F turns G′(z) into a sketch, and
a sketch critic D_Y learns to tell F(G′(z)) from the user's sketches, while an image critic D_X on
G′(z) against real images keeps quality and diversity:  L = L_sketch + λ_image · L_image  (λ = 0.7).
Without real images the paper's weaker alternative L_weight = mean |θ′ − θ| holds G′ near G instead.

As in the official code: both critics start as copies of the pretrained D, non-saturating loss, R1
(γ = 10, every 16 steps, the image one scaled by λ_image), Adam lr 0.002 betas (0, 0.99) with D's
lazy-regularisation correction, style mixing 0.9, no EMA, and the sketch augmentation on real and fake
sketches in the D, G and R1 steps (never on D_X's inputs). By default only the mapping network trains,
so G′'s W space stays compatible with G's (``blend_w``); "shift" trains one W offset, "full" all of G.
Where the paper runs 75k GPU steps, the defaults here aim at a few hundred CPU steps: the mapping learns 100×
faster, the sketch critic sees blurred sketches, and the run saves its best snapshot by a probe-free sketch score
rather than its last (selection.py; see CustomizeConfig).

A class-conditional model is customized for one of its classes (``class_index``): G′ samples that class and
both critics judge it as that class; the result stays conditional, and in "mapping" and "full" mode the other
classes may change too, since they share the weights that train.

This module is the run: its loop, state, checkpoints and previews. The losses are ``objective``'s, run phase by
phase (``train.phases``) as StyleGAN2's trainer runs its own.
"""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..edit.latents import z_from_seeds
from ..grid import make_grid
from ..images import tensor_to_images
from ..jobs import Cancelled, CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..locks import lock_run
from ..model.checkpoints import model_files
from ..model.labels import class_labels
from ..model.loaded import LoadedModel
from ..model.safetensors_io import card_path, save_model
from ..outputs import check_output_file
from ..train.phases import Phase, run_phases
from .augment import parse_policy
from .card import model_card
from .checkpoint import RunState, load_checkpoint, run_fingerprint, save_checkpoint, set_trainable
from .config import CustomizeConfig, CustomizeError
from .extractors import SketchExtractor, load_extractor
from .generator import CustomGenerator
from .objective import Batch, SketchObjective
from .real_images import ImageSource, image_source
from .selection import SELECT_SEEDS, sketch_distance
from .sketches import SketchSource, load_sketches

PREVIEW_SEEDS = range(8)


def customize(
    base: LoadedModel,
    sketches: SketchSource,
    config: CustomizeConfig,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> Path:
    """Fine-tune ``base`` towards ``sketches`` and save G′ (+ D_X) at ``config.out`` with a model card.

    Every ``select_every`` steps and at the last, G′ is scored against the sketches (selection.py); the saved G′
    is the best-scoring snapshot, and the card names its step and score (``select_every`` 0: the last step).
    A checkpoint (trained tensors, the best snapshot, both critics, optimizers, step, RNG) is written every
    ``checkpoint_every`` steps; ``config.resume`` continues from it with identical numbers. On cancel the
    model as trained so far is saved too (the best of the snapshots and the stopped step), then ``Cancelled``
    propagates. The checkpoint is removed once the run finishes. While the run lasts, ``config.lock_path`` is
    locked: a second run on the same output is refused rather than interleaved with it.
    """
    config.validate()
    check_output_file(config.out, ".safetensors", "a GAN Studio model", companions=[card_path(config.out)],
                      inputs=model_files(base.path) if base.path else ())
    with lock_run(config.lock_path, config.out):
        return _customize(base, sketches, config, progress, token)


def _customize(
    base: LoadedModel, sketches: SketchSource, cfg: CustomizeConfig, progress: ProgressFn | None,
    token: CancelToken | None,
) -> Path:
    report, token = progress or no_progress, ensure_token(token)
    if base.D is None:
        raise CustomizeError(f"{base.path or base.name}: has no discriminator; both critics start from it, "
                             "so customizing needs a checkpoint that includes D.")
    try:
        c = class_labels(base.G, cfg.class_index)
    except ValueError as e:
        raise CustomizeError(f"{base.path or base.name}: {e}") from None
    device = base.G.w_avg.device
    G_base = base.G
    sk = load_sketches(sketches, G_base.resolution)
    real_sketches = sk.tensor.to(device)
    F = load_extractor(cfg.extractor).to(device)
    ops = parse_policy(cfg.augment)
    images, images_desc = image_source(base, cfg, token)

    torch.manual_seed(cfg.seed)  # the synthesis noise draws from the global generator
    state = new_state(base, cfg, images is not None, c)
    start = {k: p.detach().clone() for k, p in state.Gp.trainable().items()}
    fingerprint = run_fingerprint(base, cfg, sk, images_desc)
    if cfg.resume and cfg.checkpoint_path.exists():
        load_checkpoint(cfg.checkpoint_path, state, fingerprint)
    objective = SketchObjective(state, cfg, F, ops, start)
    phases = [Phase("D", (state.opt_D,), critic=True), Phase("D_reg", (state.opt_D,), cfg.r1_every, critic=True),
              Phase("G", (state.opt_G,))]
    critics = [p for d in (state.D_sketch, state.D_image) if d is not None for p in d.parameters()]
    z_select = z_from_seeds(SELECT_SEEDS, G_base.z_dim).to(device)

    def select() -> float:
        """Score G′ as it is now and keep it if it is the best so far (no RNG drawn: resuming stays exact)."""
        with torch.no_grad():
            score = float(sketch_distance(F(state.Gp.render(z_select)), real_sketches).mean())
        state.best.consider(state.step, score, state.Gp.tensors())
        return score

    z_preview = z_from_seeds(PREVIEW_SEEDS, G_base.z_dim).to(device)
    with torch.no_grad():
        c_preview = state.Gp.labels(len(z_preview))
        base_row = tensor_to_images(G_base.synthesis(G_base.mapping(z_preview, c_preview), noise_mode="const"))

    def finish(finished: bool) -> Path:
        if not finished:
            save_checkpoint(cfg.checkpoint_path, state, fingerprint)
            # the stopped step competes for what is saved now, but not in the checkpoint: a resumed run selects
            # from the same snapshots as one that never stopped
            if cfg.select_every and state.step > 0 and state.step not in dict(state.best.scores):
                select()
        if state.best.params is not None:  # the run ends here: G′ becomes its best snapshot
            set_trainable(state.Gp, state.best.params)
        D_out = state.D_image if state.D_image is not None else base.D
        card = model_card(base, cfg, sk, images_desc, F, state.step, finished, state.best)
        return save_model(cfg.out, state.Gp.export(), D_out, card)

    t0, first = time.perf_counter(), state.step
    try:
        while state.step < cfg.steps:
            token.check()
            metrics = _train_step(state, cfg, objective, phases, critics, real_sketches, images)
            state.step += 1
            if cfg.select_every and (state.step % cfg.select_every == 0 or state.step == cfg.steps):
                metrics["sketch_distance"] = select()
            metrics["sec_per_step"] = (time.perf_counter() - t0) / (state.step - first)
            preview = None
            if state.step % cfg.preview_every == 0 or state.step in (first + 1, cfg.steps):
                preview = _preview(state.Gp, F, z_preview, base_row)
            if state.step % cfg.checkpoint_every == 0:  # the last step's too: a kill while saving resumes there
                save_checkpoint(cfg.checkpoint_path, state, fingerprint)
            report(Progress(state.step, cfg.steps, f"customizing ({cfg.train})", preview=preview, metrics=metrics))
    except Cancelled:
        finish(False)
        raise
    out = finish(True)
    cfg.checkpoint_path.unlink(missing_ok=True)
    return out


def new_state(base: LoadedModel, cfg: CustomizeConfig, with_images: bool, c: torch.Tensor | None) -> RunState:
    """G′, both critics (copies of the base's D) and their optimizers, as a run starts."""
    Gp = CustomGenerator(base.G, cfg.train, c)
    D_sketch = copy.deepcopy(base.D).train().requires_grad_(True)
    D_image = copy.deepcopy(base.D).train().requires_grad_(True) if with_images else None
    group = D_sketch.b4.mbstd.group_size if D_sketch.b4.mbstd is not None else 0
    if group and cfg.batch % min(group, cfg.batch):
        raise CustomizeError(f"batch {cfg.batch} must be a multiple of {group} (the critic's minibatch groups).")
    ratio = cfg.r1_every / (cfg.r1_every + 1)
    groups: dict[bool, list[nn.Parameter]] = {True: [], False: []}
    for name, p in Gp.trainable().items():
        groups[name.startswith("mapping.")].append(p)
    opt_G = torch.optim.Adam([{"params": ps, "lr": cfg.lr * (cfg.mapping_lr_multiplier if mapping else 1.0)}
                              for mapping, ps in groups.items() if ps], betas=(0.0, 0.99))
    for group in opt_G.param_groups:
        group["full_lr"] = group["lr"]
    d_params = list(D_sketch.parameters()) + (list(D_image.parameters()) if D_image is not None else [])
    opt_D = torch.optim.Adam(d_params, lr=cfg.lr * ratio, betas=(0.0, 0.99**ratio))
    return RunState(Gp, D_sketch, D_image, opt_G, opt_D, torch.Generator().manual_seed(cfg.seed))


def _real_batch(real: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """n sketches drawn with replacement: a set smaller than the batch still fills every batch."""
    return real[torch.randint(len(real), (n,), generator=gen)]


def _train_step(
    s: RunState, cfg: CustomizeConfig, objective: SketchObjective, phases: list[Phase], critics: list[nn.Parameter],
    real_sketches: torch.Tensor, images: ImageSource | None,
) -> dict[str, float]:
    """One iteration: draw the real data, set G′'s lr on its ramp, run the phases."""
    n, gen = cfg.batch, s.gen
    real_img = images(n, gen).to(real_sketches.device) if images is not None else None
    batch = Batch(_real_batch(real_sketches, n, gen), real_img, s.Gp.labels(n))  # both critics judge the class
    ramp = lr_ramp(s.step, cfg.steps, cfg.lr_rampdown)
    for group in s.opt_G.param_groups:
        group["lr"] = group["full_lr"] * ramp
    return run_phases(phases, s.step, objective, batch, critics)


def lr_ramp(step: int, steps: int, rampdown: float) -> float:
    """G′'s lr factor at ``step`` (0-based) of ``steps``: 1, then a cosine to 0 over the last ``rampdown``."""
    t = step / steps
    if rampdown <= 0 or t <= 1 - rampdown:
        return 1.0
    return 0.5 * (1 + math.cos(math.pi * (t - 1 + rampdown) / rampdown))


def _preview(Gp: CustomGenerator, F: SketchExtractor, z: torch.Tensor, base_row: np.ndarray) -> np.ndarray:
    """Rows: base model, G′, F(G′) — the same z in every column."""
    img = Gp.render(z)
    with torch.no_grad():
        sketch = tensor_to_images(F(img))
    return make_grid([*base_row, *tensor_to_images(img), *sketch], cols=len(base_row))
