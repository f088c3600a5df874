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
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..edit.latents import crossover, z_from_seeds
from ..grid import make_grid
from ..images import image_to_tensor, images_to_tensor, load_fitted, tensor_to_images
from ..jobs import Cancelled, CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..model.checkpoints import DEFAULT_MODEL, model_files
from ..model.labels import batch_labels, class_labels
from ..model.loaded import LoadedModel
from ..model.reading import estimate_w_avg
from ..model.safetensors_io import card_path, save_model
from ..model.stylegan2 import Discriminator, Generator
from ..outputs import check_output_file
from ..train.checkpoint import load_state, save_state
from ..train.losses import d_loss_fake, d_loss_real, g_nonsaturating, r1_penalty
from ..world import GENRES, render_batch
from .augment import augment_sketches, parse_policy
from .extractors import SketchExtractor, load_extractor
from .selection import SELECT_SEEDS, BestSnapshot, sketch_distance
from .sketches import SketchError, SketchSet, SketchSource, image_files, load_sketches

TRAIN_MODES = ("mapping", "shift", "full")
MAX_FOLDER_IMAGES = 5000
PREVIEW_SEEDS = range(8)
CHECKPOINT_KIND, CHECKPOINT_VERSION = "gan-studio-customize", 2  # 2: the best snapshot so far
# Settings that may change on resume: they do not change the numbers a step computes (steps does: the G lr
# ramps down towards the last step).
_RUN_FIELDS = frozenset({"out", "checkpoint_every", "preview_every", "resume"})
# What a model's card may recommend for customizing it (its "customize" block), with each setting's type.
RECOMMENDABLE = {"steps": int, "batch": int, "train": str, "extractor": str, "mapping_lr_multiplier": float}


class CustomizeError(ValueError):
    """A customization cannot start or resume; the message is one sentence naming the problem."""


@dataclass
class CustomizeConfig:
    """One customization run. ``images``: "world", a folder, or None (the world for the default model,
    otherwise no real images and L_weight instead of L_image)."""

    # Defaults: the paper's where it fixes a value, else tuned with benchmarks/customize.py on the default model
    # (64 px) for a useful result within 10 minutes on 2 CPU cores (README, "Sketch your own GAN").
    out: str
    # 1.0-1.9 s a step on one shared CPU core at 64 px with the world extractor: 300 steps take 5-6 minutes, inside
    # the 10-minute budget with room for a slower CPU; more steps (with the ramp below) is the next lever.
    steps: int = 300
    # the paper's (its scripts use 1 at 1024 px). Batch 8 over 150 steps, the same samples and CPU time, kept 39 %
    # in the sketched composition over the four benchmark runs against 54 % for 4 over 300, and still wandered.
    batch: int = 4
    # mapping only, as the paper: W stays blendable with the base, and the synthesis keeps the base's quality
    train: str = "mapping"  # mapping | shift | full
    # edges need no weights and suit any model; for models drawn from the world recommended_settings picks
    # "world": 68 % against 49 % for edges from world drawings of one pose, a tie over hand-drawn sketches
    extractor: str = "default"  # default | world | photosketch:PATH
    images: str | None = None
    lambda_image: float = 0.7  # the paper's; 2.0 held the base's composition mix (3 % instead of 58 % after 150 steps)
    lambda_weight: float = 1.0  # only without real images
    lr: float = 0.002
    # The trained mapping's Adam lr is lr × this (the W shift and synthesis weights train at lr). The paper's
    # 0.002 moves the mapping (whose own lr multiplier is 0.01) by ~2e-5 of its weights per step, fine for its
    # 75k GPU steps; for a few hundred CPU steps ×100: after 150 steps ×25 had 38 % of samples in the sketched
    # composition, ×100 81 %, with hair, background and feature diversity still ≥ 0.84 of the base's.
    mapping_lr_multiplier: float = 100.0
    # G′'s lr falls to 0 over this last fraction of the run (cosine; 0: constant, as the paper). At ×100 the
    # mapping wanders from step to step, so where a constant-lr run stops decides much of the result; with the
    # ramp it settles (edge extractor, 300 steps, the same run up to step 150: 15 % constant, 49 % ramped).
    lr_rampdown: float = 0.5
    r1_gamma: float = 10.0
    r1_every: int = 16
    mixing_prob: float = 0.9
    # the paper's translation, plus scale and stroke width for hand-drawn sketches, and blur so the critic judges
    # the layout more than the line style (hand-drawn: 50 % -> 58 % of samples in composition after 150 steps)
    augment: str = "translation,scale,width,blur"
    seed: int = 0
    # Every this many steps (and at the last) G′ is scored on held-out z (selection.sketch_distance) and the run
    # saves its best snapshot (0: the last step, as the paper's fixed iteration count). G′ wanders even between points
    # 25 steps apart (74 % of samples in the composition at step 150, 21 % at 175); over the four benchmark runs the
    # kept snapshots had 54 % against 38 % at the last step, for ~2 s per point on one CPU core.
    select_every: int = 25
    checkpoint_every: int = 200
    preview_every: int = 50
    resume: bool = False
    class_index: int | None = None  # the class a conditional model is customized for (None: unconditional)

    def validate(self) -> None:
        if self.train not in TRAIN_MODES:
            raise CustomizeError(f"train must be one of {', '.join(TRAIN_MODES)}, not {self.train!r}.")
        if not str(self.out).lower().endswith(".safetensors"):
            raise CustomizeError(f"{self.out}: the customized model must be saved as .safetensors.")
        for name in ("steps", "batch", "r1_every", "checkpoint_every", "preview_every"):
            if getattr(self, name) < 1:
                raise CustomizeError(f"{name} must be at least 1, not {getattr(self, name)}.")
        if self.select_every < 0:
            raise CustomizeError(f"select_every must be 0 (off) or more, not {self.select_every}.")
        if not 0 <= self.lr_rampdown <= 1:
            raise CustomizeError(f"lr_rampdown must be between 0 and 1, not {self.lr_rampdown}.")
        parse_policy(self.augment)

    @property
    def checkpoint_path(self) -> Path:
        return Path(self.out).with_suffix(".customize.pt")


# --- real images for D_X ----------------------------------------------------------------------------------

ImageSource = Callable[[int, torch.Generator], torch.Tensor]


def world_images(size: int, genre: str = "portrait") -> ImageSource:
    """Fresh world paintings of ``genre`` every step (random seeds), as the default model was trained on."""

    def draw(n: int, gen: torch.Generator) -> torch.Tensor:
        seeds = torch.randint(0, 2**31 - 1, (n,), generator=gen).tolist()
        return images_to_tensor(render_batch(seeds, size, genre))

    return draw


def folder_images(folder: Path, size: int, token: CancelToken) -> ImageSource:
    """The images of ``folder`` (up to MAX_FOLDER_IMAGES), centre-cropped and resized once, drawn at random."""
    if not folder.is_dir():
        raise CustomizeError(f"{folder}: no such folder of real images.")
    paths = image_files(folder)[:MAX_FOLDER_IMAGES]
    if not paths:
        raise CustomizeError(f"{folder}: holds no image files to use as real images.")
    pool = []
    for p in paths:
        token.check()
        pool.append(image_to_tensor(load_fitted(p, size)))
    data = torch.cat(pool)

    def draw(n: int, gen: torch.Generator) -> torch.Tensor:
        return data[torch.randint(len(data), (n,), generator=gen)]

    return draw


def _image_source(base: LoadedModel, cfg: CustomizeConfig, token: CancelToken) -> tuple[ImageSource | None, str]:
    size = base.G.resolution
    choice = cfg.images
    if choice is None:
        choice = "world" if base.path is not None and base.path.resolve() == DEFAULT_MODEL.resolve() else ""
    if choice == "world":  # a genre model customized for a genre of the world gets that genre's paintings
        named = base.classes[cfg.class_index] if cfg.class_index is not None else None
        genre = named if named in GENRES else "portrait"
        return world_images(size, genre), "world" if genre == "portrait" else f"world ({genre})"
    if choice:
        return folder_images(Path(choice), size, token), str(choice)
    return None, "none (L_weight)"


# --- G′: which parameters train -----------------------------------------------------------------------------


class CustomGenerator(nn.Module):
    """G′ while it trains: a copy of G, plus a learned W shift in "shift" mode."""

    def __init__(self, G: Generator, mode: str, c: torch.Tensor | None = None) -> None:
        super().__init__()
        self.G = copy.deepcopy(G).requires_grad_(False)
        self.mode = mode
        self.c = c  # the class label row (1, c_dim) of a conditional G, or None
        self.shift = nn.Parameter(torch.zeros(G.w_dim, device=G.w_avg.device)) if mode == "shift" else None
        for p in self.trainable().values():
            p.requires_grad_(True)

    def trainable(self) -> dict[str, nn.Parameter]:
        if self.mode == "shift":
            return {"w_shift": self.shift}
        if self.mode == "mapping":
            return dict(self.G.mapping.named_parameters(prefix="mapping"))
        return dict(self.G.named_parameters())

    def sample(self, batch: int, gen: torch.Generator, mixing_prob: float) -> torch.Tensor:
        """G′(z) for fresh z with style mixing, random noise, no truncation (as in training)."""
        G, device, c = self.G, self.G.w_avg.device, self.labels(batch)
        ws = G.mapping(torch.randn(batch, G.z_dim, generator=gen).to(device), c)
        if float(torch.rand((), generator=gen)) < mixing_prob:
            ws2 = G.mapping(torch.randn(batch, G.z_dim, generator=gen).to(device), c)
            ws = crossover(ws, ws2, int(torch.randint(1, G.num_ws, (), generator=gen)))
        return G.synthesis(self.shifted(ws), noise_mode="random")

    def labels(self, n: int) -> torch.Tensor | None:
        """The class labels for a batch of ``n`` (None for an unconditional G)."""
        return batch_labels(self.c, n)

    def shifted(self, ws: torch.Tensor) -> torch.Tensor:
        return ws if self.shift is None else ws + self.shift

    @torch.no_grad()
    def render(self, z: torch.Tensor) -> torch.Tensor:
        return self.G.synthesis(self.shifted(self.G.mapping(z, self.labels(len(z)))), noise_mode="const")

    @torch.no_grad()
    def export(self) -> Generator:
        """A plain Generator that renders exactly what G′ does: the W shift is folded into every style
        affine's bias, and the mapping's w_avg is re-estimated when the mapping changed."""
        G = copy.deepcopy(self.G).eval().requires_grad_(False)
        if self.shift is not None:
            for m in G.synthesis.modules():
                affine = getattr(m, "affine", None)
                if affine is not None:
                    extra = nn.functional.linear(self.shift, affine.weight * affine.weight_gain)
                    affine.bias.add_(extra / affine.bias_gain)
        else:
            G.mapping.w_avg.copy_(estimate_w_avg(G))
        return G


def recommended_settings(model: LoadedModel) -> dict:
    """The settings to customize ``model`` with, as the customize window and ``studio customize`` start.

    CustomizeConfig's defaults; the world extractor for a model trained on the world (its card's
    ``train_config.data``), which draws the contour lines the world's sketches have; then whatever the card's
    "customize" block recommends (benchmarks/customize.py's best settings measured on that model). Entries of
    another name or type are ignored: a card is data, not code.
    """
    out = {k: getattr(CustomizeConfig, k) for k in RECOMMENDABLE}
    train_config = model.card.get("train_config")
    if isinstance(train_config, dict) and train_config.get("data") == "world":
        out["extractor"] = "world"
    block = model.card.get("customize")
    if isinstance(block, dict):
        for k, v in block.items():
            kind = RECOMMENDABLE.get(k)
            if kind is not None and isinstance(v, kind) and not isinstance(v, bool):
                out[k] = v
            elif kind is float and isinstance(v, int) and not isinstance(v, bool):
                out[k] = float(v)
    return out


def weight_loss(params: dict[str, nn.Parameter], start: dict[str, torch.Tensor]) -> torch.Tensor:
    """L_weight: mean |θ′ − θ| over all elements of the trained tensors."""
    total = sum((p - start[k]).abs().sum() for k, p in params.items())
    return total / sum(p.numel() for p in params.values())


# --- the run ----------------------------------------------------------------------------------------------


@dataclass
class _State:
    """Everything a step changes; saved whole for resuming."""

    Gp: CustomGenerator
    D_sketch: Discriminator
    D_image: Discriminator | None
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    gen: torch.Generator
    step: int = 0
    best: BestSnapshot = field(default_factory=BestSnapshot)


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
    propagates. The checkpoint is removed once the run finishes.
    """
    cfg = config
    cfg.validate()
    check_output_file(cfg.out, ".safetensors", "a GAN Studio model", companions=[card_path(cfg.out)],
                      inputs=model_files(base.path) if base.path else ())
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
    images, images_desc = _image_source(base, cfg, token)

    torch.manual_seed(cfg.seed)  # the synthesis noise draws from the global generator
    state = _new_state(base, cfg, images is not None, c)
    start = {k: p.detach().clone() for k, p in state.Gp.trainable().items()}
    fingerprint = _fingerprint(base, cfg, sk, images_desc)
    if cfg.resume and cfg.checkpoint_path.exists():
        _load_checkpoint(cfg.checkpoint_path, state, fingerprint)
    z_select = z_from_seeds(SELECT_SEEDS, G_base.z_dim).to(device)

    def select() -> float:
        """Score G′ as it is now and keep it if it is the best so far (no RNG drawn: resuming stays exact)."""
        with torch.no_grad():
            score = float(sketch_distance(F(state.Gp.render(z_select)), real_sketches).mean())
        state.best.consider(state.step, score, state.Gp.trainable())
        return score

    z_preview = z_from_seeds(PREVIEW_SEEDS, G_base.z_dim).to(device)
    with torch.no_grad():
        c_preview = state.Gp.labels(len(z_preview))
        base_row = tensor_to_images(G_base.synthesis(G_base.mapping(z_preview, c_preview), noise_mode="const"))

    def finish(finished: bool) -> Path:
        if not finished:
            _save_checkpoint(cfg.checkpoint_path, state, fingerprint)
            # the stopped step competes for what is saved now, but not in the checkpoint: a resumed run selects
            # from the same snapshots as one that never stopped
            if cfg.select_every and state.step > 0 and state.step not in dict(state.best.scores):
                select()
        if state.best.params is not None:  # the run ends here: G′ becomes its best snapshot
            _set_trainable(state.Gp, state.best.params)
        D_out = state.D_image if state.D_image is not None else base.D
        card = _card(base, cfg, sk, images_desc, F, state.step, finished, state.best)
        return save_model(cfg.out, state.Gp.export(), D_out, card)

    t0, first = time.perf_counter(), state.step
    try:
        while state.step < cfg.steps:
            token.check()
            metrics = _train_step(state, cfg, F, ops, real_sketches, images, start)
            state.step += 1
            if cfg.select_every and (state.step % cfg.select_every == 0 or state.step == cfg.steps):
                metrics["sketch_distance"] = select()
            metrics["sec_per_step"] = (time.perf_counter() - t0) / (state.step - first)
            preview = None
            if state.step % cfg.preview_every == 0 or state.step in (first + 1, cfg.steps):
                preview = _preview(state.Gp, F, z_preview, base_row)
            if state.step % cfg.checkpoint_every == 0:  # the last step's too: a kill while saving resumes there
                _save_checkpoint(cfg.checkpoint_path, state, fingerprint)
            report(Progress(state.step, cfg.steps, f"customizing ({cfg.train})", preview=preview, metrics=metrics))
    except Cancelled:
        finish(False)
        raise
    out = finish(True)
    cfg.checkpoint_path.unlink(missing_ok=True)
    return out


def _new_state(base: LoadedModel, cfg: CustomizeConfig, with_images: bool, c: torch.Tensor | None) -> _State:
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
    return _State(Gp, D_sketch, D_image, opt_G, opt_D, torch.Generator().manual_seed(cfg.seed))


def _to3(sketch: torch.Tensor) -> torch.Tensor:
    return sketch.repeat(1, 3, 1, 1)


def _d_loss(D: Discriminator, real: torch.Tensor, fake: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
    return d_loss_real(D(real, c)).mean() + d_loss_fake(D(fake, c)).mean()


def _real_batch(real: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """n sketches drawn with replacement: a set smaller than the batch still fills every batch."""
    return real[torch.randint(len(real), (n,), generator=gen)]


def _train_step(
    s: _State, cfg: CustomizeConfig, F: SketchExtractor, ops: tuple[str, ...], real_sketches: torch.Tensor,
    images: ImageSource | None, start: dict[str, torch.Tensor],
) -> dict[str, float]:
    n, gen, lam = cfg.batch, s.gen, cfg.lambda_image
    D_all = [d for d in (s.D_sketch, s.D_image) if d is not None]
    device = real_sketches.device
    real_img = images(n, gen).to(device) if images is not None else None
    real_sk = _real_batch(real_sketches, n, gen)
    c = s.Gp.labels(n)  # both critics judge the customized class

    # D step: fakes are constants here
    for d in D_all:
        d.requires_grad_(True)
    with torch.no_grad():
        fake = s.Gp.sample(n, gen, cfg.mixing_prob)
        fake_sk = F(fake)
    loss_d_sketch = _d_loss(s.D_sketch, _to3(augment_sketches(real_sk, ops, gen)),
                            _to3(augment_sketches(fake_sk, ops, gen)), c)
    loss_d = loss_d_sketch
    metrics = {"loss_D_sketch": loss_d_sketch.item()}
    if s.D_image is not None:
        loss_d_image = _d_loss(s.D_image, real_img, fake, c)
        loss_d = loss_d + lam * loss_d_image
        metrics["loss_D_image"] = loss_d_image.item()
    s.opt_D.zero_grad(set_to_none=True)
    loss_d.backward()
    s.opt_D.step()

    # lazy R1 on both critics (the image one scaled by λ_image), gradient taken w.r.t. the un-augmented sketch
    if s.step % cfg.r1_every == 0:
        x = real_sk.detach().requires_grad_(True)
        r1 = r1_penalty(x, s.D_sketch(_to3(augment_sketches(x, ops, gen)), c)).mean()
        loss_r1 = cfg.r1_gamma / 2 * r1 * cfg.r1_every
        metrics["r1_sketch"] = r1.item()
        if s.D_image is not None:
            xi = real_img.detach().requires_grad_(True)
            r1_img = r1_penalty(xi, s.D_image(xi, c)).mean()
            loss_r1 = loss_r1 + lam * cfg.r1_gamma / 2 * r1_img * cfg.r1_every
            metrics["r1_image"] = r1_img.item()
        s.opt_D.zero_grad(set_to_none=True)
        loss_r1.backward()
        s.opt_D.step()

    # G step: gradients flow through F (frozen, not detached) and both critics (frozen for this step)
    for d in D_all:
        d.requires_grad_(False)
    fake = s.Gp.sample(n, gen, cfg.mixing_prob)
    loss_sketch = g_nonsaturating(s.D_sketch(_to3(augment_sketches(F(fake), ops, gen)), c)).mean()
    loss_g = loss_sketch
    metrics["loss_sketch"] = loss_sketch.item()
    if s.D_image is not None:
        loss_image = g_nonsaturating(s.D_image(fake, c)).mean()
        loss_g = loss_g + lam * loss_image
        metrics["loss_image"] = loss_image.item()
    else:
        loss_weight = weight_loss(s.Gp.trainable(), start)
        loss_g = loss_g + cfg.lambda_weight * loss_weight
        metrics["loss_weight"] = loss_weight.item()
    ramp = lr_ramp(s.step, cfg.steps, cfg.lr_rampdown)
    for group in s.opt_G.param_groups:
        group["lr"] = group["full_lr"] * ramp
    s.opt_G.zero_grad(set_to_none=True)
    loss_g.backward()
    s.opt_G.step()
    return metrics


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


# --- checkpoint and card ------------------------------------------------------------------------------------


def _fingerprint(base: LoadedModel, cfg: CustomizeConfig, sk: SketchSet, images_desc: str) -> str:
    settings = {k: v for k, v in asdict(cfg).items() if k not in _RUN_FIELDS}
    return json.dumps({"base": base.weights_hash, "settings": settings, "sketches": sk.hashes,
                       "images": images_desc}, sort_keys=True)


def _save_checkpoint(path: Path, s: _State, fingerprint: str) -> None:
    ckpt = {
        "fingerprint": fingerprint, "step": s.step,
        "trainable": {k: p.detach().cpu() for k, p in s.Gp.trainable().items()}, "best": s.best.state_dict(),
        "D_sketch": s.D_sketch.state_dict(), "D_image": s.D_image.state_dict() if s.D_image is not None else {},
        "opt_G": s.opt_G.state_dict(), "opt_D": s.opt_D.state_dict(),
        "rng": s.gen.get_state(), "torch_rng": torch.get_rng_state(),
    }
    save_state(path, ckpt, CHECKPOINT_KIND, CHECKPOINT_VERSION)  # one file, replaced atomically: the newest only


def _load_checkpoint(path: Path, s: _State, fingerprint: str) -> None:
    ckpt = load_state(path, CHECKPOINT_KIND, CHECKPOINT_VERSION, "customization checkpoint", CustomizeError)
    if ckpt.get("fingerprint") != fingerprint:
        raise CustomizeError(f"{path}: was made with another base model, sketch set or settings; "
                             "delete it or run without resume.")
    _set_trainable(s.Gp, ckpt["trainable"])
    s.best.load_state_dict(ckpt["best"])
    s.D_sketch.load_state_dict(ckpt["D_sketch"])
    if s.D_image is not None:
        s.D_image.load_state_dict(ckpt["D_image"])
    s.opt_G.load_state_dict(ckpt["opt_G"])
    s.opt_D.load_state_dict(ckpt["opt_D"])
    s.gen.set_state(ckpt["rng"])
    torch.set_rng_state(ckpt["torch_rng"])
    s.step = int(ckpt["step"])


def _set_trainable(Gp: CustomGenerator, tensors: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for k, p in Gp.trainable().items():
            p.copy_(tensors[k])


def _card(base: LoadedModel, cfg: CustomizeConfig, sk: SketchSet, images_desc: str, F: SketchExtractor,
          steps: int, finished: bool, best: BestSnapshot) -> dict:
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("out", "resume")}
    of_class = f" (class {base.classes[cfg.class_index]})" if cfg.class_index is not None else ""
    kept = best.step if best.params is not None else steps
    selection = {"score": best.score, "scores": [list(s) for s in best.scores],
                 "held_out_samples": len(SELECT_SEEDS)} if best.params is not None else None
    card = {
        "name": Path(cfg.out).stem,
        "description": f"{base.name}{of_class} customized to {len(sk)} sketch(es) with Sketch Your Own GAN",
        **({"classes": base.classes} if base.classes else {}),
        "customize": recommended_settings(base),  # customizing it again starts where its base did
        "training": f"customized from {base.name} for {steps} steps ({cfg.train}, extractor {F.name}, "
                    f"real images: {images_desc}){'' if finished else ', stopped early'}",
        "customized": {
            "method": "sketch-your-own-gan",
            "base_model": {"name": base.name, "weights_hash": base.weights_hash,
                           "path": str(base.path) if base.path else None},
            **base.class_fields(cfg.class_index),
            "sketches": [{"file": n, "sha256": h} for n, h in zip(sk.names, sk.hashes)],
            "real_images": images_desc, "extractor": F.name, "settings": settings, "steps": steps,
            "finished": finished, "kept_step": kept, **({"selection": selection} if selection else {}),
        },
    }
    if selection:
        card["training"] += f"; {_kept_text(card['customized'])}"
    return card


def _kept_text(info: dict) -> str:
    return (f"kept step {info['kept_step']} of {info['steps']}, the closest to the sketches "
            f"(sketch distance {info['selection']['score']:.4f} on {info['selection']['held_out_samples']} "
            "held-out samples)")


def kept_note(model_path: str | Path) -> str:
    """Which step the card beside a customized model says was kept, for the run's final message ("" if the run
    kept its last step unscored, or the card cannot be read: it is informative only)."""
    try:
        info = json.loads(card_path(model_path).read_text(encoding="utf-8"))["customized"]
        return _kept_text(info) if "selection" in info else ""
    except (OSError, ValueError, KeyError, TypeError):
        return ""


# --- model and latent blending ------------------------------------------------------------------------------


@torch.no_grad()
def interpolate_models(base_G: Generator, custom_G: Generator, alpha: float) -> Generator:
    """The generator whose weights are (1 − alpha)·base + alpha·custom (alpha outside [0, 1] extrapolates)."""
    if base_G.config != custom_G.config:
        raise ValueError("the two generators have different architectures; only a model and its "
                         "customizations can be interpolated.")
    out = copy.deepcopy(base_G).eval().requires_grad_(False)
    other = custom_G.state_dict()
    for k, t in out.state_dict().items():
        if t.is_floating_point():
            t.lerp_(other[k].to(t), alpha)
    return out


@torch.no_grad()
def blend_w(base_G: Generator, custom_G: Generator, z: torch.Tensor, alpha: float,
            truncation_psi: float = 1.0, c: torch.Tensor | None = None) -> torch.Tensor:
    """W+ latents lerped between the base and the custom mapping of the same ``z`` (and class labels ``c``).

    For mapping-trained models (the default) both share one synthesis network: render the result with
    ``base_G.synthesis``; alpha 0 gives the base sample, 1 the customized one.
    """
    w0 = base_G.mapping(z, c, truncation_psi=truncation_psi)
    return w0.lerp(custom_G.mapping(z, c, truncation_psi=truncation_psi), alpha)


__all__ = [
    "CustomGenerator", "CustomizeConfig", "CustomizeError", "RECOMMENDABLE", "SketchError", "TRAIN_MODES", "blend_w",
    "customize", "interpolate_models", "kept_note", "recommended_settings",
]
