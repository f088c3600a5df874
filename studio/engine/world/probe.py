"""The world probe: a small CNN that reads a portrait's composition and hair colour, our measuring instrument.

FID and LPIPS weights cannot be had here, but the procedural world knows the truth about every sample.
The probe is trained on world samples (64 px, any model's output is resized to it) to predict the
composition class, the head's x/y/scale/tilt/turn, the hair-colour name and the background kind. Its
penultimate features serve for a Fréchet distance between a model's samples and the world, its predictions
for "does this customised model follow the sketch" and "did the hair turn blue".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..atomic import atomic_path, atomic_write_text
from ..images import images_to_tensor
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..paths import shipped
from . import BACKGROUNDS, COMPOSITIONS, HAIR_COLORS

PROBE_SIZE = 64
PROBE_PATH = shipped("models", "world_probe.safetensors")
HAIR_NAMES = tuple(HAIR_COLORS)
COMPOSITION_NAMES = tuple(c.name for c in COMPOSITIONS)
HEAD_KEYS = ("x", "y", "scale", "tilt_deg", "turn")
# Head targets are standardised with these (world ranges), so the regression losses weigh alike.
HEAD_CENTER = torch.tensor([0.5, 0.41, 0.19, 0.0, 0.0])
HEAD_SPREAD = torch.tensor([0.1, 0.05, 0.06, 5.0, 0.5])


class WorldProbe(nn.Module):
    """Conv encoder (64 px -> 4x4) -> 256-d features -> composition, head, hair and background heads."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        chans = [3, width, width * 2, width * 4, width * 8]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                       nn.Conv2d(cout, cout, 3, padding=1, stride=2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        self.encoder = nn.Sequential(*layers)
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(chans[-1] * 16, 256), nn.ReLU(inplace=True))
        self.composition = nn.Linear(256, len(COMPOSITION_NAMES))
        self.head = nn.Linear(256, len(HEAD_KEYS))
        self.hair = nn.Linear(256, len(HAIR_NAMES))
        self.background = nn.Linear(256, len(BACKGROUNDS))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``x``: images in [-1, 1], any size (resized to 64 px)."""
        if x.shape[-1] != PROBE_SIZE:
            x = F.interpolate(x, size=(PROBE_SIZE, PROBE_SIZE), mode="area" if x.shape[-1] > PROBE_SIZE else "bilinear")
        f = self.features(self.encoder(x))
        return {"features": f, "composition": self.composition(f), "head": self.head(f), "hair": self.hair(f),
                "background": self.background(f)}


@dataclass
class ProbeReadout:
    """What the probe says about a batch of images, as numpy arrays."""

    features: np.ndarray  # (N, 256)
    composition: np.ndarray  # (N,) class index into COMPOSITION_NAMES
    head: np.ndarray  # (N, 5): x, y, scale, tilt_deg, turn
    hair: np.ndarray  # (N,) index into HAIR_NAMES
    background: np.ndarray  # (N,) index into BACKGROUNDS


def targets_from_attributes(records: Sequence[dict]) -> dict[str, torch.Tensor]:
    head = torch.tensor([[r["head"][k] for k in HEAD_KEYS] for r in records], dtype=torch.float32)
    return {
        "composition": torch.tensor([COMPOSITION_NAMES.index(r["composition"]) for r in records]),
        "head": (head - HEAD_CENTER) / HEAD_SPREAD,
        "hair": torch.tensor([HAIR_NAMES.index(r["hair"]["color"]) for r in records]),
        "background": torch.tensor([BACKGROUNDS.index(r["background"]["kind"]) for r in records]),
    }


def probe_loss(out: dict[str, torch.Tensor], t: dict[str, torch.Tensor]) -> torch.Tensor:
    return (F.cross_entropy(out["composition"], t["composition"]) + F.mse_loss(out["head"], t["head"])
            + F.cross_entropy(out["hair"], t["hair"]) + F.cross_entropy(out["background"], t["background"]))


@torch.no_grad()
def read_images(probe: WorldProbe, images: np.ndarray | torch.Tensor, batch: int = 256) -> ProbeReadout:
    """Run the probe on uint8 (N,H,W,3) images or a [-1,1] (N,3,H,W) tensor."""
    probe.eval()
    x_all = images_to_tensor(images) if isinstance(images, np.ndarray) else images.float()
    outs = [probe(x_all[i : i + batch]) for i in range(0, len(x_all), batch)]
    cat = {k: torch.cat([o[k] for o in outs]) for k in outs[0]}
    return ProbeReadout(
        features=cat["features"].numpy(),
        composition=cat["composition"].argmax(1).numpy(),
        head=(cat["head"] * HEAD_SPREAD + HEAD_CENTER).numpy(),
        hair=cat["hair"].argmax(1).numpy(),
        background=cat["background"].argmax(1).numpy(),
    )


def evaluate(probe: WorldProbe, images: np.ndarray, records: Sequence[dict]) -> dict[str, float]:
    """Held-out accuracy per class head and mean absolute error per head value."""
    r = read_images(probe, images)
    t = targets_from_attributes(records)
    head_true = t["head"].numpy() * HEAD_SPREAD.numpy() + HEAD_CENTER.numpy()
    result = {
        "composition_acc": float((r.composition == t["composition"].numpy()).mean()),
        "hair_acc": float((r.hair == t["hair"].numpy()).mean()),
        "background_acc": float((r.background == t["background"].numpy()).mean()),
    }
    for i, k in enumerate(HEAD_KEYS):
        result[f"head_{k}_mae"] = float(np.abs(r.head[:, i] - head_true[:, i]).mean())
    return result


def train_probe(
    images: np.ndarray,
    records: Sequence[dict],
    steps: int = 1500,
    batch: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    progress: ProgressFn = no_progress,
    token: Optional[CancelToken] = None,
) -> WorldProbe:
    """Fit a probe on world samples (uint8 64 px images + their attribute records), with brightness/colour jitter (no flips: they would swap left and right compositions)."""
    token = ensure_token(token)
    torch.manual_seed(seed)
    probe = WorldProbe()
    x_all, t_all = images_to_tensor(images), targets_from_attributes(records)
    opt = torch.optim.AdamW(probe.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        token.check()
        idx = torch.randint(len(x_all), (batch,), generator=gen)
        x = x_all[idx]
        x = x * (1 + 0.1 * torch.randn(batch, 1, 1, 1, generator=gen)) + 0.1 * torch.randn(batch, 3, 1, 1, generator=gen)
        loss = probe_loss(probe.train()(x), {k: v[idx] for k, v in t_all.items()})
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 20 == 0 or step == steps - 1:
            progress(Progress(step + 1, steps, "training probe", metrics={"loss": loss.item()}))
    return probe.eval()


def save_probe(probe: WorldProbe, path: Path, card: dict) -> None:
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in probe.state_dict().items()}, str(tmp))
    atomic_write_text(path.with_suffix(".json"), json.dumps(card, indent=2) + "\n")


def load_probe(path: Path = PROBE_PATH) -> WorldProbe:
    from safetensors.torch import load_file

    probe = WorldProbe()
    probe.load_state_dict(load_file(str(path)))
    return probe.eval().requires_grad_(False)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # sqrt(ca cb) via the symmetric form sqrt(ca^½ cb ca^½), which stays real and stable.
    wa, va = np.linalg.eigh(ca)
    sa = (va * np.sqrt(np.clip(wa, 0, None))) @ va.T
    wm = np.linalg.eigvalsh(sa @ cb @ sa)
    tr_sqrt = np.sqrt(np.clip(wm, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * tr_sqrt)


def histogram_overlap(a: np.ndarray, b: np.ndarray, bins: int | np.ndarray) -> float:
    """Σ min(p, q) of two histograms over the same bins: 1 = identical distributions, 0 = disjoint."""
    edges = np.arange(bins + 1) - 0.5 if isinstance(bins, int) else bins
    p = np.histogram(a, edges)[0] / max(len(a), 1)
    q = np.histogram(b, edges)[0] / max(len(b), 1)
    return float(np.minimum(p, q).sum())


def mean_pairwise_distance(features: np.ndarray, max_n: int = 1000) -> float:
    """Diversity: mean L2 distance between all pairs of (at most max_n) feature vectors."""
    f = torch.from_numpy(features[:max_n]).float()
    d = torch.cdist(f, f)
    n = len(f)
    return float(d.sum() / max(n * (n - 1), 1))


def entropy_bits(labels: np.ndarray, classes: int) -> float:
    """Shannon entropy of a label distribution, in bits (attribute diversity)."""
    p = np.bincount(labels, minlength=classes) / max(len(labels), 1)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum()) if len(p) else 0.0


def head_bins() -> dict[str, np.ndarray]:
    """Bins for the per-attribute histogram overlap of continuous head values."""
    return {"x": np.linspace(0.2, 0.8, 13), "y": np.linspace(0.25, 0.6, 8), "scale": np.linspace(0.08, 0.36, 8),
            "tilt_deg": np.linspace(-15, 15, 7), "turn": np.linspace(-1, 1, 9)}


__all__ = [
    "WorldProbe", "ProbeReadout", "read_images", "evaluate", "train_probe", "save_probe", "load_probe",
    "frechet_distance", "histogram_overlap", "mean_pairwise_distance", "entropy_bits", "head_bins",
    "COMPOSITION_NAMES", "HAIR_NAMES", "HEAD_KEYS", "PROBE_SIZE", "PROBE_PATH",
]
