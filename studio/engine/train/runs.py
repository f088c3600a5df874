"""Runs the studio starts ("Train on my pictures"): one folder each under ``<user data>/runs``.

A run folder holds ``run.json`` (its name, data folder, picture count, start model, few-shot lines and how it
ended) and ``train/``, an ordinary training run folder (checkpoints, samples, metrics, ``model.safetensors``)
that holds nothing else. A run killed mid-way has checkpoints but no ending, so it is listed as interrupted and
resumes from its newest checkpoint. While it trains, the run folder is locked (``.lock``), so a second window or
process can neither train nor discard it.
When a run finishes or is stopped-and-kept, its model is published to ``<user data>/models`` with a card saying
what it was trained on; a warm-started one also carries the ``customized`` block that lets it be blended with
its start model, as a sketch-customized model is.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text
from ..grid import make_grid
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..locks import LOCK_NAME, lock_run
from ..model.checkpoints import load_model
from ..model.labels import balanced_labels
from ..model.loaded import LoadedModel
from ..model.safetensors_io import save_model
from ..paths import user_data_dir
from .checkpoint import checkpoint_step, list_checkpoints
from .config import TrainConfig
from .loop import SAMPLE_COUNT, Trainer
from .report import sample_grid, sample_latents

RUN_FILE = "run.json"
TRAIN_DIR = "train"
KEEP_CHECKPOINTS = 2


def runs_dir() -> Path:
    return user_data_dir() / "runs"


def models_dir() -> Path:
    """Where models made in the studio are saved."""
    return user_data_dir() / "models"


@dataclass
class Run:
    folder: Path
    name: str
    data: str
    pictures: int
    preset: str  # the recipe the run's hyper-parameters came from
    config: TrainConfig
    start: dict | None = None  # the start model {name, path, weights_hash}; None: trained from scratch
    few_shot: list[str] = field(default_factory=list)
    created: float = 0.0
    ended: str | None = None  # "finished" | "stopped" (and kept); None while running, or when killed
    model: str | None = None  # the published model

    # --- reading and writing ---------------------------------------------------------------------------

    def save(self) -> None:
        d = asdict(self)
        d["folder"], d["config"] = None, self.config.to_dict()
        atomic_write_text(self.folder / RUN_FILE, json.dumps(d, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> Run:
        """The run in ``folder``; ValueError (one sentence) if its run.json is missing or damaged."""
        try:
            d = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
            d["config"] = replace(TrainConfig.from_dict(d["config"]), out_dir=str(folder / TRAIN_DIR))
            d["folder"] = folder
            return cls(**d)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{folder}: not a readable studio training run ({e}).") from None

    # --- where it stands -------------------------------------------------------------------------------

    @property
    def exported(self) -> Path:
        """The model the trainer exports at each checkpoint."""
        return Path(self.config.out_dir) / "model.safetensors"

    @property
    def step(self) -> int:
        """The step of the newest checkpoint (0 before the first)."""
        found = list_checkpoints(self.config.out_dir)
        return checkpoint_step(found[-1]) if found else 0

    @property
    def status(self) -> str:
        if self.ended:
            return self.ended
        return "interrupted" if self.step else "not started"

    @property
    def resumable(self) -> bool:
        return self.ended != "finished"

    def describe(self) -> str:
        """One line for a menu: name, progress and state."""
        done = self.step * self.config.batch / 1000
        total = self.config.steps * self.config.batch / 1000
        return f"{self.name} — {done:.1f} of {total:.1f} kimg, {self.status}"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "run"


def new_run(
    name: str, config: TrainConfig, pictures: int, preset: str, start: LoadedModel | None = None,
    few_shot: list[str] | None = None,
) -> Run:
    """Make the folder of a new run training ``config`` (its data folder) from ``start`` (warm) or from scratch."""
    info = None
    if start is not None:
        if start.path is None:
            raise ValueError(f"{start.name}: the start model has no file to warm-start from; save it first.")
        info = {"name": start.name, "path": str(start.path), "weights_hash": start.weights_hash}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = runs_dir() / f"{_slug(name)}-{stamp}"
    k = 2
    while folder.exists():
        folder, k = runs_dir() / f"{_slug(name)}-{stamp}-{k}", k + 1
    folder.mkdir(parents=True)
    cfg = replace(config, out_dir=str(folder / TRAIN_DIR), init=info["path"] if info else None, keep=KEEP_CHECKPOINTS)
    run = Run(folder, name, str(config.data), pictures, preset, cfg, info, list(few_shot or []), time.time())
    run.save()
    return run


def list_runs() -> list[Run]:
    """The studio's runs, newest first (folders without a readable run.json are left out)."""
    runs = []
    for folder in runs_dir().glob("*/"):
        try:
            runs.append(Run.load(folder))
        except ValueError:
            continue
    return sorted(runs, key=lambda r: r.created, reverse=True)


def start_grid(run: Run) -> np.ndarray | None:
    """The start model's sample grid for the run's fixed z (None when trained from scratch or the file changed)."""
    if run.start is None:
        return None
    model = load_model(run.start["path"])
    if model.weights_hash != run.start["weights_hash"]:
        return None
    G = model.G
    z = sample_latents(SAMPLE_COUNT, G.z_dim, run.config.seed).to(G.w_avg.device)
    return sample_grid(G, z, c=balanced_labels(G, SAMPLE_COUNT))  # the trainer's grid: same z, same classes


def train_run(run: Run, progress: ProgressFn | None = None, token: CancelToken | None = None) -> Path:
    """Train ``run`` from its newest checkpoint (if any) and publish its model; returns the published file.

    Previews show the start model's grid and the current one side by side. A cancel saves a checkpoint and
    raises Cancelled (``publish_run`` keeps what was trained; ``discard_run`` throws it away).
    """
    report, token = progress or no_progress, ensure_token(token)
    with lock_run(run.folder / LOCK_NAME, run.folder):  # another window or process may be training it
        trainer = Trainer(run.config, resume="auto")
        try:
            run.ended = None
            run.save()
            token.check()
            before = start_grid(run)
        except BaseException:
            trainer.close()
            raise

        def beside(p: Progress) -> None:
            if p.preview is not None and before is not None:
                p = replace(p, preview=make_grid([before, p.preview], cols=2, pad=8))
            report(p)

        trainer.run(beside, token)
        return publish_run(run, finished=trainer.step >= trainer.config.steps)


def publish_run(run: Run, finished: bool) -> Path:
    """Save the run's newest model to the models folder with its card; returns the file."""
    exported = load_model(run.exported)
    card = {k: v for k, v in exported.card.items() if k != "architecture"}
    kimg, minutes = card["images_seen"] / 1000, card["training_seconds"] / 60
    start = run.start["name"] if run.start else f"scratch ({run.preset} preset)"
    card.update({
        "name": run.name,
        "description": f"{start} trained on {run.pictures:,} pictures from {run.data} with GAN Studio",
        "trained_on_pictures": {
            "folder": run.data, "pictures": run.pictures, "kimg": round(kimg, 2), "minutes": round(minutes, 1),
            "start_model": run.start or {"preset": run.preset}, "few_shot": run.few_shot, "finished": finished,
            "run": str(run.folder),
        },
    })
    if run.start is not None:  # what "Blend with base" reads
        card["customized"] = {"method": "trained on pictures", "base_model": run.start, "settings": {"train": "full"},
                              "steps": card["steps"], "finished": finished}
    out = models_dir() / f"{run.folder.name}.safetensors"
    save_model(out, exported.G, exported.D, card)
    run.ended, run.model = ("finished" if finished else "stopped"), str(out)
    run.save()
    return out


def discard_run(run: Run) -> None:
    """Delete the run's folder (a model it published earlier stays); refused while another process trains it."""
    with lock_run(run.folder / LOCK_NAME, run.folder):
        shutil.rmtree(run.folder, ignore_errors=True)
