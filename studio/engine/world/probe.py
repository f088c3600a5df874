"""The world probe: a small CNN that reads a painting's genre and main attributes, our measuring instrument.

FID and LPIPS weights cannot be had here, but the procedural world knows the truth about every sample.
The probe is trained on world samples of the four genres (64 px, any model's output is resized to it) to
predict the genre and, per genre: a portrait's composition class, head x/y/scale/tilt/turn, hair-colour
name and background kind; a still life's flower colour and vase position; a landscape's sky kind, water
(yes/no) and season; a cityscape's time of day. A genre's heads are trained on that genre only, so on
other paintings they say nothing meaningful. Its penultimate features serve for a Fréchet distance between
a model's samples and the world, its predictions for "does this customised model follow the sketch", "did
the hair turn blue" and "does a class-conditional model paint the genre it was asked for".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..images import images_to_tensor
from ..jobs import CancelToken, ProgressFn, no_progress
from ..paths import shipped
from . import BACKGROUNDS, COMPOSITIONS, GENRES, HAIR_COLORS, cityscape, genre_list, landscape, still_life
from .genres import GenreArg
from .small_cnn import colour_jitter, conv_encoder, fit, load_net, save_net

PROBE_SIZE = 64
PROBE_PATH = shipped("models", "world_probe.safetensors")
HAIR_NAMES = tuple(HAIR_COLORS)
COMPOSITION_NAMES = tuple(c.name for c in COMPOSITIONS)
HEAD_KEYS = ("x", "y", "scale", "tilt_deg", "turn")
# Head targets are standardised with these (world ranges), so the regression losses weigh alike.
HEAD_CENTER = torch.tensor([0.5, 0.41, 0.19, 0.0, 0.0])
HEAD_SPREAD = torch.tensor([0.1, 0.05, 0.06, 5.0, 0.5])
# The class heads past the genre: name -> (genre, class names, how to read the class off a record).
CLASS_HEADS: dict[str, tuple[str, tuple[str, ...], object]] = {
    "composition": ("portrait", COMPOSITION_NAMES, lambda r: r["composition"]),
    "hair": ("portrait", HAIR_NAMES, lambda r: r["hair"]["color"]),
    "background": ("portrait", BACKGROUNDS, lambda r: r["background"]["kind"]),
    "flower": ("still_life", tuple(still_life.FLOWER_COLORS), lambda r: r["flowers"]["color"]),
    "vase": ("still_life", tuple(still_life.VASE_POSITIONS), lambda r: r["vase"]["position"]),
    "sky": ("landscape", landscape.SKY_KINDS, lambda r: r["sky"]["kind"]),
    "water": ("landscape", ("no", "yes"), lambda r: "yes" if r["water"]["present"] else "no"),
    "season": ("landscape", landscape.SEASONS, lambda r: r["season"]["name"]),
    "time": ("cityscape", cityscape.TIMES, lambda r: r["time"]),
}
_IGNORE = -100  # the class target of a head on another genre's painting


def genre_of(record: dict) -> str:
    """A record's genre; records written before genres existed are portraits."""
    return record.get("genre", "portrait")


class WorldProbe(nn.Module):
    """Conv encoder (64 px -> 4x4) -> 256-d features -> genre, head (portrait placement) and class heads."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        chans = [3, width, width * 2, width * 4, width * 8]
        self.encoder = conv_encoder(chans)
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(chans[-1] * 16, 256), nn.ReLU(inplace=True))
        self.genre = nn.Linear(256, len(GENRES))
        self.head = nn.Linear(256, len(HEAD_KEYS))
        for name, (_, names, _) in CLASS_HEADS.items():  # top-level modules: a portrait-only probe's file loads
            self.add_module(name, nn.Linear(256, len(names)))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``x``: images in [-1, 1], any size (resized to 64 px)."""
        if x.shape[-1] != PROBE_SIZE:
            x = F.interpolate(x, size=(PROBE_SIZE, PROBE_SIZE), mode="area" if x.shape[-1] > PROBE_SIZE else "bilinear")
        f = self.features(self.encoder(x))
        return {"features": f, "genre": self.genre(f), "head": self.head(f),
                **{k: getattr(self, k)(f) for k in CLASS_HEADS}}


@dataclass
class ProbeReadout:
    """What the probe says about a batch of images, as numpy arrays."""

    features: np.ndarray  # (N, 256)
    genre: np.ndarray  # (N,) index into GENRES
    head: np.ndarray  # (N, 5): x, y, scale, tilt_deg, turn (portraits)
    classes: dict[str, np.ndarray]  # CLASS_HEADS name -> (N,) index into that head's class names

    def __getattr__(self, name: str) -> np.ndarray:  # readout.hair, readout.composition...
        try:
            return self.__dict__["classes"][name]
        except KeyError:
            raise AttributeError(name) from None


def targets_from_attributes(records: Sequence[dict]) -> dict[str, torch.Tensor]:
    """Training targets; a head's class is ``_IGNORE`` and ``portrait`` is False on other genres' paintings."""
    genres = [genre_of(r) for r in records]
    portrait = torch.tensor([g == "portrait" for g in genres])
    head = torch.tensor([[r["head"][k] for k in HEAD_KEYS] if g == "portrait" else [0.0] * len(HEAD_KEYS)
                         for r, g in zip(records, genres)], dtype=torch.float32)
    out = {"genre": torch.tensor([GENRES.index(g) for g in genres]), "head": (head - HEAD_CENTER) / HEAD_SPREAD,
           "portrait": portrait}
    for name, (genre, names, read) in CLASS_HEADS.items():
        out[name] = torch.tensor([names.index(read(r)) if g == genre else _IGNORE for r, g in zip(records, genres)])
    return out


def probe_loss(out: dict[str, torch.Tensor], t: dict[str, torch.Tensor]) -> torch.Tensor:
    """Genre, portrait placement and every class head, each over the paintings of its own genre."""
    loss = F.cross_entropy(out["genre"], t["genre"])
    if t["portrait"].any():
        loss = loss + F.mse_loss(out["head"][t["portrait"]], t["head"][t["portrait"]])
    for name in CLASS_HEADS:
        if (t[name] != _IGNORE).any():
            loss = loss + F.cross_entropy(out[name], t[name], ignore_index=_IGNORE)
    return loss


@torch.no_grad()
def read_images(probe: WorldProbe, images: np.ndarray | torch.Tensor, batch: int = 256) -> ProbeReadout:
    """Run the probe on uint8 (N,H,W,3) images or a [-1,1] (N,3,H,W) tensor."""
    probe.eval()
    x_all = images_to_tensor(images) if isinstance(images, np.ndarray) else images.float()
    outs = [probe(x_all[i : i + batch]) for i in range(0, len(x_all), batch)]
    cat = {k: torch.cat([o[k] for o in outs]) for k in outs[0]}
    return ProbeReadout(
        features=cat["features"].numpy(),
        genre=cat["genre"].argmax(1).numpy(),
        head=(cat["head"] * HEAD_SPREAD + HEAD_CENTER).numpy(),
        classes={k: cat[k].argmax(1).numpy() for k in CLASS_HEADS},
    )


def evaluate(probe: WorldProbe, images: np.ndarray, records: Sequence[dict]) -> dict[str, float]:
    """Held-out accuracy of the genre and of each class head (on its genre's paintings), and mean absolute
    error per portrait head value; a head whose genre is absent from ``records`` is left out."""
    r = read_images(probe, images)
    t = {k: v.numpy() for k, v in targets_from_attributes(records).items()}
    result = {"genre_acc": float((r.genre == t["genre"]).mean())}
    for name in CLASS_HEADS:
        mine = t[name] != _IGNORE
        if mine.any():
            result[f"{name}_acc"] = float((r.classes[name][mine] == t[name][mine]).mean())
    if t["portrait"].any():
        head_true = t["head"] * HEAD_SPREAD.numpy() + HEAD_CENTER.numpy()
        for i, k in enumerate(HEAD_KEYS):
            result[f"head_{k}_mae"] = float(np.abs(r.head[t["portrait"], i] - head_true[t["portrait"], i]).mean())
    return result


def _kept(out: dict[str, torch.Tensor], held: dict[str, torch.Tensor], rows: torch.Tensor, heads: list[str]
          ) -> torch.Tensor:
    """How far the probe has moved from ``held`` (a frozen probe's output) on the portraits ``rows``: relative
    feature error, plus the divergence of each kept portrait head (KL for classes, squared error for placement)."""
    loss = F.mse_loss(out["features"][rows], held["features"]) / held["features"].square().mean().clamp_min(1e-8)
    for k in heads:
        mine = out[k][rows]
        if k == "head":
            loss = loss + F.mse_loss(mine, held[k])
        else:
            loss = loss + F.kl_div(F.log_softmax(mine, 1), F.log_softmax(held[k], 1), log_target=True,
                                   reduction="batchmean")
    return loss


def train_probe(
    images: np.ndarray,
    records: Sequence[dict],
    steps: int = 1500,
    batch: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    progress: ProgressFn = no_progress,
    token: CancelToken | None = None,
    init: dict[str, torch.Tensor] | None = None,
    keep: float = 0.0,
) -> WorldProbe:
    """Fit a probe on world samples (uint8 64 px images + their attribute records), with brightness/colour
    jitter (no flips: they would swap left and right compositions).

    ``init``: a state dict to start from (warm start); heads it lacks start fresh. ``keep``: the weight of a
    term that holds what ``init`` read in portraits, its features and portrait heads' outputs (distillation
    from a frozen copy), so a portrait probe learns the other genres without losing what it read.
    """
    torch.manual_seed(seed)
    probe = WorldProbe()
    teacher = None
    if init is not None:
        probe.load_state_dict(init, strict=False)
        if keep:
            teacher = WorldProbe()
            teacher.load_state_dict(init, strict=False)
            teacher.eval().requires_grad_(False)
            kept = [k for k in ("head", *CLASS_HEADS)
                    if f"{k}.weight" in init and CLASS_HEADS.get(k, ("portrait",))[0] == "portrait"]
    x_all, t_all = images_to_tensor(images), targets_from_attributes(records)

    def batch_loss(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        x = colour_jitter(x_all[idx], gen)
        out = probe(x)
        loss = probe_loss(out, {k: v[idx] for k, v in t_all.items()})
        portrait = t_all["portrait"][idx]
        if teacher is not None and portrait.any():
            loss = loss + keep * _kept(out, teacher(x[portrait]), portrait, kept)
        return loss

    return fit(probe, batch_loss, len(x_all), steps, batch, lr, seed, "training probe", progress, token)


def save_probe(probe: WorldProbe, path: Path, card: dict) -> None:
    save_net(probe, path, card)


def load_probe(path: Path = PROBE_PATH) -> WorldProbe:
    return load_net(WorldProbe(), path)


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


def genre_figures(probe: WorldProbe, images: np.ndarray, genre: GenreArg, reference: dict[str, np.ndarray],
                  floor: dict[str, np.ndarray] | None = None) -> dict[str, dict[str, float]]:
    """How well paintings drawn for a genre read as that genre (a class-conditional model's samples, say).

    ``genre``: the intended genre of all ``images`` or one per image; ``reference``: world paintings per genre
    (uint8, any size). Per intended genre: the share the probe reads as it, the Fréchet distance of probe
    features to the reference, diversity (mean pairwise feature distance) as a ratio of the reference's, and,
    given ``floor`` (other world paintings per genre), the world-vs-world Fréchet distance beside it.
    Row "all": the share read as intended over every image.
    """
    r = read_images(probe, images)
    intended = np.array([GENRES.index(g) for g in genre_list(genre, len(images))])
    rows: dict[str, dict[str, float]] = {}
    for i in sorted(set(intended.tolist())):
        mine, name = intended == i, GENRES[i]
        ref = read_images(probe, reference[name]).features
        row = {"samples": int(mine.sum()), "genre_share": float((r.genre[mine] == i).mean()),
               "frechet": frechet_distance(ref, r.features[mine])}
        if floor is not None:
            row["floor"] = frechet_distance(ref, read_images(probe, floor[name]).features)
        row["diversity"] = mean_pairwise_distance(r.features[mine]) / mean_pairwise_distance(ref)
        rows[name] = row
    rows["all"] = {"samples": len(images), "genre_share": float((r.genre == intended).mean())}
    return rows


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
    "frechet_distance", "genre_figures", "histogram_overlap", "mean_pairwise_distance", "entropy_bits", "head_bins",
    "genre_of",
    "CLASS_HEADS", "COMPOSITION_NAMES", "HAIR_NAMES", "HEAD_KEYS", "PROBE_SIZE", "PROBE_PATH",
]
