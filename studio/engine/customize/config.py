"""What a customization run is asked to do: ``CustomizeConfig``, each default with the measurement behind it, and
the settings a model's card recommends for customizing it (``recommended_settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model.loaded import LoadedModel
from .augment import parse_policy

TRAIN_MODES = ("mapping", "shift", "full")
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

    @property
    def lock_path(self) -> Path:
        """Held while a run makes ``out`` (``locks``): one run per output."""
        return Path(self.out).with_suffix(".customize.lock")


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
