"""Resuming a customization: ``RunState`` (everything a step changes), saved whole to one checkpoint beside the
output and restored with identical numbers, refused when the base model, sketches or settings differ."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..model.loaded import LoadedModel
from ..model.stylegan2 import Discriminator
from ..train.checkpoint import load_state, save_state
from .config import CustomizeConfig, CustomizeError
from .generator import CustomGenerator
from .selection import BestSnapshot
from .sketches import SketchSet

CHECKPOINT_KIND, CHECKPOINT_VERSION = "gan-studio-customize", 2  # 2: the best snapshot so far
# Settings that may change on resume: they do not change the numbers a step computes (steps does: the G lr
# ramps down towards the last step).
_RUN_FIELDS = frozenset({"out", "checkpoint_every", "preview_every", "resume"})


@dataclass
class RunState:
    """Everything a step changes; saved whole for resuming."""

    Gp: CustomGenerator
    D_sketch: Discriminator
    D_image: Discriminator | None
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    gen: torch.Generator
    step: int = 0
    best: BestSnapshot = field(default_factory=BestSnapshot)


def run_fingerprint(base: LoadedModel, cfg: CustomizeConfig, sk: SketchSet, images_desc: str) -> str:
    settings = {k: v for k, v in asdict(cfg).items() if k not in _RUN_FIELDS}
    return json.dumps({"base": base.weights_hash, "settings": settings, "sketches": sk.hashes,
                       "images": images_desc}, sort_keys=True)


def save_checkpoint(path: Path, s: RunState, fingerprint: str) -> None:
    ckpt = {
        "fingerprint": fingerprint, "step": s.step,
        "trainable": {k: p.detach().cpu() for k, p in s.Gp.tensors().items()}, "best": s.best.state_dict(),
        "D_sketch": s.D_sketch.state_dict(), "D_image": s.D_image.state_dict() if s.D_image is not None else {},
        "opt_G": s.opt_G.state_dict(), "opt_D": s.opt_D.state_dict(),
        "rng": s.gen.get_state(), "torch_rng": torch.get_rng_state(),
    }
    save_state(path, ckpt, CHECKPOINT_KIND, CHECKPOINT_VERSION)  # one file, replaced atomically: the newest only


def load_checkpoint(path: Path, s: RunState, fingerprint: str) -> None:
    ckpt = load_state(path, CHECKPOINT_KIND, CHECKPOINT_VERSION, "customization checkpoint", CustomizeError)
    if ckpt.get("fingerprint") != fingerprint:
        raise CustomizeError(f"{path}: was made with another base model, sketch set or settings; "
                             "delete it or run without resume.")
    set_trainable(s.Gp, ckpt["trainable"])
    s.best.load_state_dict(ckpt["best"])
    s.D_sketch.load_state_dict(ckpt["D_sketch"])
    if s.D_image is not None:
        s.D_image.load_state_dict(ckpt["D_image"])
    s.opt_G.load_state_dict(ckpt["opt_G"])
    s.opt_D.load_state_dict(ckpt["opt_D"])
    s.gen.set_state(ckpt["rng"])
    torch.set_rng_state(ckpt["torch_rng"])
    s.step = int(ckpt["step"])


def set_trainable(Gp: CustomGenerator, tensors: dict[str, torch.Tensor]) -> None:
    """Set what a run changes in G′ (``CustomGenerator.tensors``) to a snapshot's or checkpoint's values."""
    with torch.no_grad():
        for k, p in Gp.tensors().items():
            p.copy_(tensors[k])
