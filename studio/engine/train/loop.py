"""The StyleGAN2 training loop, as in the paper and stylegan2-ada-pytorch.

Per step, as phases (``phases``; the losses are ``objective``'s): G main (non-saturating loss, style mixing,
w_avg tracking), G path-length regularisation every ``pl_interval`` steps, D main (logistic loss on fakes, then
on reals), lazy R1 every ``r1_interval`` steps, then the G EMA. Every phase steps its optimizer, so Adam's lr and
betas carry the lazy-regularisation correction c = interval / (interval + 1). Under torchrun each rank trains on
its share of the batch inside DistributedDataParallel; the few statistics that are not gradients (w_avg, the
path-length mean, augment statistics, reported losses) are averaged over ranks too, so every rank holds the same
state and rank 0's checkpoint (with every rank's RNG state) resumes all of them exactly.

Class-conditional runs (``cond``) train G(z, c) and the projection D(x, c) as stylegan2-ada-pytorch does. The
fakes of a step take the labels of that step's real batch: the real batch is a uniform draw from the data, so
its labels are a draw from the data's class frequencies (what NVIDIA samples for its fakes), and D sees the same
classes on both sides of every batch. On the world the classes are its genres (``world_cache.world_classes``,
class 0 "portrait"), so a run warm-started from the portrait default keeps its portraits in class 0.
"""

from __future__ import annotations

import copy
import os
from collections import deque
from dataclasses import fields, replace
from pathlib import Path
from time import perf_counter

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..atomic import sweep_stale
from ..images import save_png
from ..jobs import Cancelled, CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..locks import LOCK_NAME, RunLock, lock_run
from ..model.labels import balanced_labels
from ..model.safetensors_io import save_model
from ..model.stylegan2 import Discriminator, Generator
from ..outputs import check_output_folder, folder_holds_only
from . import distributed
from .augment import Augment
from .checkpoint import (
    checkpoint_dir,
    list_checkpoints,
    resolve_resume,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from .config import ADDABLE_FIELDS, RUN_FIELDS, TrainConfig
from .data import FolderScan, StepBatches, batch_loader, describe, scan_folder, world_size
from .face_critic import FACE_STATS, FaceCritic
from .hardware import enable_tf32, plan
from .objective import MixingGenerator, StyleGAN2Loss
from .phases import Phase, run_phases
from .report import MetricsLog, plot_curves, sample_grid, sample_latents
from .warm_start import start_from, warm_start
from .world_cache import load_world_cache, world_classes

SAMPLE_COUNT = 16  # fixed latents in the sample grid, shown at each truncation
LAZY_STATS = ("r1", "pl", "r1_face")  # computed every few steps only: the metrics carry the latest
# What a run folder holds, so a run never writes into a folder of someone else's files.
RUN_FILES = ("checkpoints", "samples", "metrics.jsonl", "loss_curves.png", "model.safetensors", "model.json",
             LOCK_NAME)


def trained_d_params(D: Discriminator, freeze: int) -> list[nn.Parameter]:
    """D's parameters that train when its first ``freeze`` blocks (from the image side) are frozen (Freeze-D);
    the frozen ones are set not to require gradients, so they keep their start weights."""
    blocks = D.block_resolutions
    if freeze > len(blocks):
        raise ValueError(f"freeze_d {freeze} is more than the discriminator's {len(blocks)} blocks.")
    for res in blocks[:freeze]:
        getattr(D, f"b{res}").requires_grad_(False)
    return [p for p in D.parameters() if p.requires_grad]


def trained_g_params(G: Generator, up_to: int) -> list[nn.Parameter]:
    """G's parameters that train when its synthesis blocks up to ``up_to`` px are frozen (FreezeG); the frozen ones
    are set not to require gradients, so they keep their start weights."""
    for block in G.synthesis.blocks():
        if block.resolution <= up_to:
            block.requires_grad_(False)
    return [p for p in G.parameters() if p.requires_grad]


def _adam(params, lr: float, interval: int | None) -> torch.optim.Adam:
    """Adam(lr, betas (0, 0.99)), corrected for a lazy regulariser that also steps it every ``interval`` steps."""
    c = interval / (interval + 1) if interval else 1.0
    return torch.optim.Adam(params, lr=lr * c, betas=(0.0**c, 0.99**c), eps=1e-8)


class Trainer:
    """A run, ready to go: data found, models built or restored from a checkpoint. ``run()`` trains it.

    From the start the run folder is locked (``<out>/.lock``, held by rank 0 under torchrun) until ``run``
    ends or ``close`` is called: a second run on the same folder is refused rather than interleaved with it.
    """

    def __init__(self, config: TrainConfig, resume: str | Path | None = None) -> None:
        self.ranks, self.device = distributed.setup(config.device)
        self._lock: RunLock | None = None
        try:
            self._build(config, resume)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Leave the process group and unlock the run folder (``run`` does this when it ends)."""
        distributed.teardown(self.ranks)
        if self._lock is not None:
            self._lock.release()

    # --- setup -------------------------------------------------------------------------------------------

    def _build(self, config: TrainConfig, resume: str | Path | None) -> None:
        check_output_folder(config.out_dir, "a training run", lambda folder: folder_holds_only(folder, RUN_FILES),
                            subfolders=("checkpoints", "samples"))
        self._lock_folder(Path(config.out_dir))
        for folder in (checkpoint_dir(config.out_dir), Path(config.out_dir) / "samples"):
            sweep_stale(folder)  # a checkpoint half-written when the last run was killed: up to hundreds of MB
        path, ckpt, notes = resolve_resume(resume, config.out_dir)
        if path is None and list_checkpoints(config.out_dir):
            raise ValueError(f"{config.out_dir} holds another run's checkpoints; resume it or choose a new folder.")
        if ckpt is not None:
            saved = TrainConfig.from_dict(ckpt["config"])
            notes.append(f"resuming {path} at step {ckpt['step']:,}")
            added = {name: getattr(config, name) for name in ADDABLE_FIELDS if getattr(config, name) is not None}
            for f in fields(TrainConfig):
                asked, kept = getattr(config, f.name), getattr(saved, f.name)
                if f.name not in RUN_FIELDS | ADDABLE_FIELDS and asked != kept:
                    notes.append(f"kept the checkpoint's {f.name}={kept!r} (asked {asked!r})")
            config = replace(saved, **{name: getattr(config, name) for name in RUN_FIELDS}, **added)
            if bool(config.face_weight) != ("D_face" in ckpt):
                notes.append("the face critic starts fresh" if config.face_weight else
                             "the checkpoint's face critic is left out (face_critic 0)")
        init = None
        if ckpt is None and config.init:
            config, init, init_notes = warm_start(config)
            notes += init_notes
        config.validate(self.ranks.world_size)
        self.config = cfg = config
        self.out = Path(cfg.out_dir)
        self.export_path = self.out / "model.safetensors"
        self.scan = self._find_data(ckpt)
        self.genres = cfg.cond and cfg.data == "world"  # the world's genres are the classes
        self.classes = world_classes() if self.genres else self.scan.classes if self.scan is not None else []
        dev = self.device
        self.plan = plan(dev, cfg.precision, cfg.modconv)
        if dev.type == "cuda":
            enable_tf32()

        torch.manual_seed(cfg.seed)  # the same initial weights on every rank
        c_dim = len(self.classes)
        self.G = Generator(
            cfg.resolution, cfg.channels, cfg.z_dim, cfg.w_dim, cfg.mapping_layers, conv_clamp=cfg.conv_clamp,
            c_dim=c_dim,
        ).to(dev)
        self.D = Discriminator(cfg.resolution, cfg.channels, conv_clamp=cfg.conv_clamp, c_dim=c_dim).to(dev)
        if init is not None:
            notes += start_from(init, self.G, self.D, self.classes)  # D_face, if any, starts fresh
        self.face = FaceCritic(cfg, dev) if cfg.face_weight else None
        critics = (self.D, *([self.face.D] if self.face else ()))  # D_face, if any, trains beside D
        if self.face is not None:
            notes.append(f"face-crop critic, weight {cfg.face_weight:g}")
        self.summary = "; ".join([f"data: {self.data_description}", *notes, f"hardware: {self.hardware}"])
        if self.plan.channels_last:
            for net in (self.G, *critics):
                net.to(memory_format=torch.channels_last)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.mixing = MixingGenerator(self.G, cfg.mixing_prob, self.plan)
        self.D_trained = trained_d_params(self.D, cfg.freeze_d)
        G_trained = trained_g_params(self.G, cfg.freeze_g)
        self.opt_G = _adam(G_trained, cfg.lr, cfg.pl_interval if cfg.pl_weight > 0 else None)
        self.opt_D = _adam(self.D_trained, cfg.lr, cfg.r1_interval if cfg.gamma > 0 else None)
        self.opt_D_face = None if self.face is None else _adam(
            self.face.D.parameters(), cfg.lr, cfg.r1_interval if cfg.gamma > 0 else None)
        self.critic_params = self.D_trained + [p for net in critics[1:] for p in net.parameters()]
        self.augment = Augment(cfg.augment, cfg.batch, cfg.ada_target, cfg.ada_kimg)
        self.step, self.images_seen, self.seconds = 0, 0, 0.0
        G_train: nn.Module = self.mixing
        D_train: nn.Module = self.D
        if self.ranks.active:
            G_train, D_train = distributed.wrap(self.mixing, dev), distributed.wrap(self.D, dev)
            if self.face is not None:
                self.face.D_train = distributed.wrap(self.face.D, dev)
        self.loss = StyleGAN2Loss(cfg, self.G, self.D, G_train, D_train, self.mixing, self.augment, self.plan,
                                  self.ranks, dev, self.face)
        # NVlabs' phases: G, its lazy path-length term, D, its lazy R1 (a regulariser of weight 0 is no phase);
        # the face critic, if any, trains in D's phases
        opts_D = (self.opt_D, *([self.opt_D_face] if self.face else ()))
        self.phases = [
            Phase("G", (self.opt_G,), finite=(self.G,)),
            *([Phase("G_reg", (self.opt_G,), cfg.pl_interval, finite=(self.G,))] if cfg.pl_weight > 0 else []),
            Phase("D", opts_D, critic=True, finite=critics),
            *([Phase("D_reg", opts_D, cfg.r1_interval, critic=True, finite=critics)] if cfg.gamma > 0 else []),
        ]
        if dev.type == "cuda":
            torch.backends.cudnn.benchmark = True
        if ckpt is not None:
            self._restore(ckpt)
        else:
            seed_everything(cfg.seed, self.ranks.rank)
        self.sample_z = sample_latents(SAMPLE_COUNT, cfg.z_dim, cfg.seed)
        self.sample_c = balanced_labels(self.G_ema, SAMPLE_COUNT)  # the grid cycles through the classes
        self.dataset = StepBatches(
            cfg.resolution, cfg.batch, self.ranks.rank, self.ranks.world_size, cfg.seed, self.scan, cfg.xflip,
            genres=self.genres, heads=self.face is not None,
        )

    def _lock_folder(self, out: Path) -> None:
        """Rank 0 locks the run folder; every rank stops if it cannot (the others must not wait for it)."""
        error = None
        if self.ranks.main:
            try:
                self._lock = lock_run(out / LOCK_NAME, out)
            except (ValueError, OSError) as e:  # busy, or the folder cannot be written
                error = e
        message = distributed.from_main(None if error is None else str(error), self.ranks)
        if error is not None:
            raise error
        if message is not None:
            raise ValueError(message)

    @property
    def data_description(self) -> str:
        return describe(self.scan, self.config.world_cache if self.config.data == "world" else 0,
                        self.classes if self.genres else ())

    def _find_data(self, ckpt: dict | None) -> FolderScan | None:
        """None for the world; for a folder, the readable files (the checkpoint's list when resuming)."""
        cfg = self.config
        if cfg.data == "world":
            return None
        if ckpt is not None:
            data = ckpt["data"]
            return FolderScan(Path(cfg.data), list(data["files"]), int(data["skipped"]), list(data.get("classes", [])))
        found, error = None, None
        if self.ranks.main:  # one rank reads the folder; the others get its list
            try:
                found = scan_folder(cfg.data, self.workers, classes=cfg.cond, resolution=cfg.resolution)
            except ValueError as e:
                error = str(e)
        found, error = distributed.from_main((found, error), self.ranks)
        if error:
            raise ValueError(error)
        return found

    def _restore(self, ckpt: dict) -> None:
        self.G.load_state_dict(ckpt["G"])
        self.G_ema.load_state_dict(ckpt["G_ema"])
        self.D.load_state_dict(ckpt["D"])
        self.opt_G.load_state_dict(ckpt["opt_G"])
        self.opt_D.load_state_dict(ckpt["opt_D"])
        if self.face is not None and "D_face" in ckpt:  # else it starts fresh (noted in the summary)
            self.face.D.load_state_dict(ckpt["D_face"])
            self.opt_D_face.load_state_dict(ckpt["opt_D_face"])
        self.augment.load_state_dict(ckpt["augment"])
        self.loss.pl_mean.fill_(float(ckpt["pl_mean"]))
        self.step, self.images_seen, self.seconds = int(ckpt["step"]), int(ckpt["images_seen"]), float(ckpt["seconds"])
        rngs = ckpt["rng"]
        if len(rngs) == self.ranks.world_size:
            set_rng_state(rngs[self.ranks.rank], self.device)
        else:  # a different number of processes: the weights carry over, the noise streams cannot
            seed_everything(self.config.seed + self.step, self.ranks.rank)
            self.summary += f"; RNG reseeded ({len(rngs)} processes saved, {self.ranks.world_size} now)"

    @property
    def workers(self) -> int:
        if self.config.workers is not None:
            return self.config.workers
        if self.device.type != "cuda":
            return 0
        return max(1, (os.cpu_count() or 2) // self.ranks.world_size - 1)  # the world renders ~15 img/s per core

    @property
    def hardware(self) -> str:
        if self.device.type == "cuda":
            name = torch.cuda.get_device_name(self.device)
        else:
            name = f"CPU, {torch.get_num_threads()} torch threads"
        return f"{self.ranks.world_size} x {name} ({self.plan.describe()})"

    # --- one step ----------------------------------------------------------------------------------------

    def _train_step(
        self, real_u8: torch.Tensor, labels: torch.Tensor | None, heads: torch.Tensor | None, cancel: bool,
        timeout: bool,
    ) -> dict[str, float]:
        """One iteration of all phases; returns loss_G, loss_D, real_sign (E sign D(real)), r1, pl, the face
        critic's statistics (if any), cancel and timeout, averaged over ranks (so every rank stops at the same
        step when any rank is cancelled or out of time)."""
        dev = self.device
        real = real_u8.to(dev, non_blocking=True).to(torch.float32) / 127.5 - 1
        if self.plan.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        c = F.one_hot(labels.to(dev), self.G.c_dim).float() if labels is not None else None
        heads = heads.to(dev) if heads is not None else None
        done = run_phases(self.phases, self.step, self.loss, (real, c, heads), self.critic_params)
        self._update_ema()
        nan = torch.full([], float("nan"), device=dev)  # a lazy regulariser's where its phase did not run
        names = ["loss_G", "loss_D", "real_sign", "r1", "pl", *(FACE_STATS if self.face else ())]
        stats = torch.stack([
            *(done.get(name, nan) for name in names),
            torch.tensor(float(cancel), device=dev), torch.tensor(float(timeout), device=dev),
        ])
        return dict(zip([*names, "cancel", "timeout"], distributed.mean_(stats, self.ranks).tolist()))

    @torch.no_grad()
    def _update_ema(self) -> None:
        cfg = self.config
        ema_nimg = cfg.ema_kimg * 1000
        if cfg.ema_rampup is not None:
            ema_nimg = min(ema_nimg, self.images_seen * cfg.ema_rampup)
        beta = 0.5 ** (cfg.batch / max(ema_nimg, 1e-8))
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
            p_ema.copy_(p.lerp(p_ema, beta))
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
            b_ema.copy_(b)

    # --- the run -----------------------------------------------------------------------------------------

    def run(self, progress: ProgressFn | None = None, token: CancelToken | None = None) -> Path:
        """Train to ``config.steps``; returns the exported model. A cancel checkpoints, then raises Cancelled."""
        try:
            return self._run(progress if progress and self.ranks.main else no_progress, ensure_token(token))
        finally:
            self.close()

    def _run(self, report: ProgressFn, token: CancelToken) -> Path:
        cfg = self.config
        started = perf_counter()
        log = MetricsLog(self.out / "metrics.jsonl", self.step) if self.ranks.main else None
        report(Progress(self.step, cfg.steps, self.summary))
        if cfg.data == "world" and cfg.world_cache:
            self.dataset.world_cache = self._world_cache(report, token)
        if self.step >= cfg.steps:  # resumed a finished run: nothing to train
            if self.ranks.main and not self.export_path.exists():
                self._write_samples(log)
                self._export()
            return self.export_path
        # r1 and pl are computed every few steps only; report the latest (from the log when resuming)
        carried = {k: v for k, v in (log.rows[-1] if log is not None and log.rows else {}).items() if k in LAZY_STATS}
        clock = deque([(self.seconds, self.images_seen)], maxlen=21)
        last = perf_counter()
        batches = batch_loader(self.dataset, self.step, cfg.steps, self.workers, self.device.type == "cuda")
        for real, labels, heads in batches:
            paused = self._wait_while_paused(token)
            out_of_time = cfg.minutes is not None and perf_counter() - started > cfg.minutes * 60
            stats = self._train_step(real, labels, heads, token.cancelled, out_of_time)
            self.augment.observe(self.step, stats["real_sign"])
            self.step += 1
            self.images_seen += real.shape[0] * self.ranks.world_size
            now = perf_counter()
            self.seconds += now - last - paused
            last = now
            clock.append((self.seconds, self.images_seen))
            (t0, n0), (t1, n1) = clock[0], clock[-1]
            carried.update({k: stats[k] for k in LAZY_STATS if k in stats and not np.isnan(stats[k])})
            metrics = {
                **{k: v for k, v in stats.items() if k.startswith("loss_")}, **carried, "augment_p": self.augment.p,
                "imgs_per_s": (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0, "kimg": self.images_seen / 1000,
            }
            if log is not None:
                log.append({"step": self.step, **metrics})
            cancel, timeout = stats["cancel"], stats["timeout"]
            save = self.step == cfg.steps or cancel > 0 or timeout > 0 or self.step % cfg.checkpoint_every == 0
            preview = self._write_samples(log) if save or self.step % cfg.sample_every == 0 else None
            if save:
                self._checkpoint()
            message = f"step {self.step:,}/{cfg.steps:,}, {self.images_seen / 1000:.1f} kimg"
            report(Progress(self.step, cfg.steps, message, preview, metrics))
            if cancel > 0:
                raise Cancelled()
            if timeout > 0:
                report(Progress(self.step, cfg.steps, f"stopped after {cfg.minutes:g} minutes at {message}"))
                break
        distributed.barrier(self.ranks)
        return self.export_path

    def _world_cache(self, report: ProgressFn, token: CancelToken) -> np.ndarray:
        """The run's pre-rendered world images: rank 0 renders what is missing while the others wait, then all read."""
        cfg = self.config
        size = world_size(cfg.resolution)

        def render_progress(p: Progress) -> None:
            report(Progress(self.step, cfg.steps, f"{p.message}: {p.done}/{p.total} chunks"))

        images = None
        if self.ranks.main:
            images = load_world_cache(size, cfg.seed, cfg.world_cache, progress=render_progress, token=token,
                                      genres=self.genres)
        distributed.barrier(self.ranks)
        return images if images is not None else load_world_cache(size, cfg.seed, cfg.world_cache, genres=self.genres)

    @staticmethod
    def _wait_while_paused(token: CancelToken) -> float:
        """Block while paused, returning the seconds waited; a cancel is acted on after the step, on every rank."""
        start = perf_counter()
        try:
            token.check()
        except Cancelled:
            pass
        return perf_counter() - start

    def _sample_path(self) -> Path:
        return self.out / "samples" / f"{self.step:08d}.png"

    def _write_samples(self, log: MetricsLog | None) -> np.ndarray | None:
        """The sample grid (fixed z; psi 1 and 0.7) and the loss curves, on rank 0; the grid is the preview."""
        if not self.ranks.main:
            return None
        grid = sample_grid(self.G_ema, self.sample_z.to(self.device), c=self.sample_c)
        save_png(self._sample_path(), grid)
        if log is not None:
            plot_curves(log.rows, self.out / "loss_curves.png")
        return grid

    def _checkpoint(self) -> None:
        """Save the training state (every rank's RNG included) and export G_ema + D as our model."""
        rngs = distributed.gather(rng_state(self.device), self.ranks)
        if not self.ranks.main:
            return
        state = {
            "config": self.config.to_dict(), "step": self.step, "images_seen": self.images_seen,
            "seconds": self.seconds, "G": self.G.state_dict(), "G_ema": self.G_ema.state_dict(),
            "D": self.D.state_dict(), "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
            "augment": self.augment.state_dict(), "pl_mean": float(self.loss.pl_mean), "rng": rngs,
            "data": {
                "files": self.scan.files if self.scan else None, "skipped": self.scan.skipped if self.scan else 0,
                "classes": self.classes, "next_index": self.images_seen,
            },
            **({"D_face": self.face.D.state_dict(), "opt_D_face": self.opt_D_face.state_dict()} if self.face else {}),
        }
        save_checkpoint(self.out, self.step, state, self.config.keep)
        self._export()

    def _export(self) -> None:
        """G_ema + D as a GAN Studio model with its card (rank 0 only)."""
        cfg = self.config
        hours = self.seconds / 3600
        card = {
            "description": f"StyleGAN2, {cfg.resolution} px, trained with GAN Studio on {self.data_description}"
                           + (f", warm-started from {cfg.init}." if cfg.init else "."),
            "training": f"{self.step:,} steps, {self.images_seen / 1000:.1f} kimg, {hours:.2f} h on {self.hardware}",
            "license": "CC0 / generated" if self.scan is None else "as the training images (see data)",
            "steps": self.step, "images_seen": self.images_seen, "training_seconds": round(self.seconds, 1),
            "hardware": self.hardware, "data": self.data_description, "sample_grid": str(self._sample_path()),
            "train_config": cfg.to_dict(),
        }
        if self.classes:
            card["classes"] = self.classes
        save_model(self.export_path, self.G_ema, self.D, card)


def train(
    config: TrainConfig,
    resume: str | Path | None = None,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> Path:
    """Train StyleGAN2 as ``config`` says (``resume``: a checkpoint, ``"auto"`` or None); returns the model path."""
    return Trainer(config, resume).run(progress, token)
