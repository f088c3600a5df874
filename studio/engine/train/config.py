"""What a training run is: one ``TrainConfig`` (architecture, data, hyper-parameters, bookkeeping) and presets.

Defaults follow StyleGAN2 (Karras et al. 2020) and the stylegan2-ada-pytorch code: Adam lr 0.002 with
betas (0, 0.99), R1 every 16 D steps, path-length regularisation every 4 G steps, style mixing 0.9,
G EMA with a half-life of 10 kimg. Fields that only steer bookkeeping (``RUN_FIELDS``) may change when a
run is resumed; every other field is taken from the checkpoint so the resumed run computes the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

from ..model.architecture import resolutions_up_to

AUGMENTS = ("none", "diffaugment", "translation-cutout", "ada")
PRECISIONS = ("auto", "fp32", "bf16")  # hardware.plan() picks what "auto" means on the device
MODCONVS = ("auto", "fused", "nonfused")
# A new run on a folder of fewer pictures gets few-shot settings (``few_shot``). stylegan2-ada's small data sets
# (MetFaces 1,336, BreCaHAD 1,944, AFHQ about 5,000 per class) all needed augmentation; at 5,000 pictures and
# more the standard recipe is kept.
SMALL_FOLDER = 5_000

# Bookkeeping and hardware fields: they may change when a run is resumed (on the same machine with the same
# values a resumed run computes the same numbers; a run moved from a CPU to a GPU computes in the GPU's way).
RUN_FIELDS = frozenset({
    "steps", "out_dir", "checkpoint_every", "sample_every", "keep", "device", "workers", "precision", "modconv",
    "minutes",
})
# Extra training terms a resumed run may take up, change or drop when asked; not asked (None), it keeps the
# checkpoint's. A critic taken up on resume starts fresh.
ADDABLE_FIELDS = frozenset({"face_critic"})


@dataclass
class TrainConfig:
    """Everything a run needs; ``data`` is a folder of images or ``"world"`` (the procedural paintings: portraits,
    or with ``cond`` the four genres as classes)."""

    data: str = "world"
    # class-conditional: the data folder's first-level sub-folders are the classes (names sorted); every image
    # must lie in one of them (at any depth), and there must be at least two. On the world, the classes are its
    # four genres (class 0 "portrait"), painted in turn
    cond: bool = False
    out_dir: str = "runs/train"
    resolution: int = 128
    channels: dict[int, int] = field(default_factory=lambda: {4: 256, 8: 256, 16: 256, 32: 256, 64: 128, 128: 64})
    z_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 8
    conv_clamp: float | None = None  # clamp conv outputs (NVIDIA's 256 for fp16 layers); None = off
    init: str | None = None  # warm start: a model file (ours, rosinality, NVIDIA) whose G and D the run starts from
    batch: int = 32  # global batch: split evenly over the ranks of a torchrun job
    steps: int = 10_000
    lr: float = 0.002
    r1_gamma: float | None = None  # None: 0.0002 * resolution² / batch, stylegan2-ada's heuristic
    r1_interval: int = 16
    pl_weight: float = 2.0  # 0 turns path-length regularisation off
    pl_interval: int = 4
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    mixing_prob: float = 0.9
    ema_kimg: float = 10.0
    ema_rampup: float | None = 0.05  # EMA half-life ≤ this fraction of images seen; None turns it off
    # "none" | "diffaugment" (always on) | "translation-cutout" (DiffAugment without colour, always on) | "ada"
    # (DiffAugment's ops at an adaptive p)
    augment: str = "none"
    ada_target: float = 0.6
    ada_kimg: float = 100.0  # images it takes p to move by 1
    xflip: bool = False  # folder data only: also train on mirror images
    # Freeze-D (Mo et al. 2020; stylegan2-ada's --freezed): this many of D's blocks on the image side (the highest
    # resolutions) keep the start model's weights, so a few pictures cannot make D relearn its low-level features
    freeze_d: int = 0
    # FreezeG (Lee 2020): G's synthesis blocks up to this resolution (px; 0 = none) keep the start model's weights,
    # so a folder that differs in colour and brushwork cannot unlearn layouts and faces. Not a few-shot default:
    # on the default model it did not beat training all of G on either benchmark folder (README)
    freeze_g: int = 0
    world_cache: int = 0  # world data: train on this many pre-rendered paintings (0 = render every batch)
    # The face-crop critic (``face_critic``): weight of its non-saturating loss in G's loss; world portraits only.
    # None (and 0) is off; None on resume keeps the checkpoint's, a number takes it up, changes or drops it
    face_critic: float | None = None
    seed: int = 0
    checkpoint_every: int = 1000
    sample_every: int = 500
    keep: int = 3  # how many training checkpoints to keep
    device: str = "auto"  # "auto" = cuda when available; under torchrun each rank takes cuda:LOCAL_RANK
    workers: int | None = None  # data-loading processes per rank; None picks by device
    precision: str = "auto"  # "auto" (bf16 where the device computes it natively, else fp32), "fp32", "bf16"
    modconv: str = "auto"  # "auto" (fused on CUDA, non-fused on CPU), "fused", "nonfused"
    minutes: float | None = None  # stop (checkpoint and export) after this many minutes of this process

    def __post_init__(self) -> None:
        self.channels = {int(k): int(v) for k, v in self.channels.items()}

    @property
    def gamma(self) -> float:
        """The R1 weight actually used."""
        return self.r1_gamma if self.r1_gamma is not None else 0.0002 * self.resolution**2 / self.batch

    @property
    def face_weight(self) -> float:
        """The face-crop critic's weight in G's loss (0: no face critic)."""
        return self.face_critic or 0.0

    def validate(self, world_size: int = 1) -> None:
        """Raise ValueError with one sentence for a setting that cannot train."""
        resolutions_up_to(self.resolution)  # raises for non powers of two
        missing = [r for r in resolutions_up_to(self.resolution) if r not in self.channels]
        if missing:
            raise ValueError(f"channels has no entry for resolution {missing[0]}.")
        for name, allowed in (("augment", AUGMENTS), ("precision", PRECISIONS), ("modconv", MODCONVS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}.")
        if self.freeze_d < 0:
            raise ValueError(f"freeze_d must be 0 (train all of D) or a number of D blocks, not {self.freeze_d}.")
        if not 0 <= self.freeze_g < self.resolution:
            raise ValueError(f"freeze_g must be 0 (train all of G) or a resolution below the model's "
                             f"{self.resolution} px up to which G keeps its blocks, not {self.freeze_g}.")
        if self.world_cache < 0:
            raise ValueError(f"world_cache must be 0 (stream) or a number of images, not {self.world_cache}.")
        if self.face_critic is not None and not (math.isfinite(self.face_critic) and self.face_critic >= 0):
            raise ValueError(f"face_critic must be a weight of 0 or more, not {self.face_critic}.")
        if self.face_weight and (self.data != "world" or self.cond):
            raise ValueError("face_critic needs the world's portraits (data world, not cond): only they record "
                             "where each head is.")
        if self.minutes is not None and not self.minutes > 0:
            raise ValueError(f"minutes must be positive, not {self.minutes}.")
        if self.batch % world_size:
            raise ValueError(f"batch {self.batch} does not split evenly over {world_size} processes.")
        per_rank = self.batch // world_size
        if per_rank % min(4, per_rank):
            raise ValueError(f"the per-process batch ({per_rank}) must be a multiple of 4 (minibatch-stddev groups).")
        for name in ("steps", "checkpoint_every", "sample_every", "keep", "r1_interval", "pl_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def with_kimg(self, kimg: float) -> TrainConfig:
        """The same config trained for ``kimg`` thousand images (rounded up to whole steps)."""
        return replace(self, steps=max(1, math.ceil(kimg * 1000 / self.batch)))


# The shipped model is small on purpose: 128 px with at most 256 channels (about 6 M weights in G) renders
# in tens of milliseconds on a laptop CPU, which is what live preview while dragging a slider needs; a
# full-width 512-channel StyleGAN2 would be ~10x slower to infer. 8 mapping layers as in the paper keep W
# well disentangled for the editing tools; batch 32 fills one GPU and matches the R1 heuristic above.
PRESETS: dict[str, TrainConfig] = {
    "default128": TrainConfig(),
    # The CPU recipe (``benchmarks/train_speed.py``): 64 px, narrow, no path-length term, batch 32 in bf16 where
    # the CPU has it, on 50,000 pre-rendered world portraits (about 2.5 min to render on 2 cores, 614 MB); the
    # shipped default is this architecture, warm-started and trained on for hours (its card has the figures).
    "cpu64": TrainConfig(
        resolution=64, channels={4: 128, 8: 128, 16: 128, 32: 64, 64: 32}, batch=32, pl_weight=0.0,
        world_cache=50_000, checkpoint_every=500, sample_every=250,
    ),
    "tiny32": TrainConfig(
        resolution=32, channels={4: 32, 8: 32, 16: 16, 32: 16}, z_dim=64, w_dim=64, mapping_layers=2, batch=8,
        pl_weight=0.0, checkpoint_every=200, sample_every=100,
    ),
}


def preset(name: str, **overrides) -> TrainConfig:
    """A copy of preset ``name`` with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    return replace(PRESETS[name], **overrides)
