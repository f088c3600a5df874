"""Latent directions for the sliders: GANSpace PCA of W (computed once per model, cached) and saved ones.

GANSpace (Härkönen et al. 2020): the principal components of w = mapping(z) are meaningful edits;
moving a portrait by ``s`` on component ``k`` over a layer range is ``ws[:, layers] += s * stdev_k * comp_k``,
so ``s`` is in units of the component's standard deviation whatever the model. A saved direction is any
W (w_dim) or W+ (num_ws x w_dim) vector the user kept (from a search, a projection difference...), applied
the same way with scale 1. A model's card may name its PCA directions after what they move and give each the
layer group it does that on (``pca_names``, ``pca_layers``, written by benchmarks/editing.py --write-card).

A class-conditional model's W is sampled over all its classes in equal parts, and each sample is centred on its
own class's mean before the SVD (pooled within-class PCA): the components are the variation shared inside the
classes, not the differences between them, so a slider edits a landscape as a landscape instead of pulling it
towards another genre, and one set of sliders (and recipe names) serves every class.
``benchmarks/class_directions.py`` measured the choice against PCA over all classes and per class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..arrays import decode_array, encode_array
from ..atomic import atomic_save, atomic_write_text
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..paths import user_cache_dir, user_data_dir
from .latents import LayerSpec, layer_indices

PCA_SAMPLES = 10_000
PCA_COMPONENTS = 20


@dataclass(frozen=True, eq=False)
class Direction:
    """One slider's direction: a W or W+ vector, the size of one slider unit, the layers it edits by default."""

    name: str
    vector: np.ndarray  # (w_dim,) or (num_ws, w_dim), float32
    scale: float = 1.0  # PCA: the component's standard deviation
    layers: str = "all"
    kind: str = "pca"  # "pca" or "saved"
    label: str = ""  # what the studio calls it ("PC1 · head turn"); empty: the name

    @property
    def title(self) -> str:
        return self.label or self.name

    def offset(
        self, value: float, num_ws: int, layers: LayerSpec | None = None, rates: Sequence[int] | None = None
    ) -> torch.Tensor:
        """The (num_ws, w_dim) change that slider ``value`` makes on ``layers`` (default: the direction's);
        ``rates``: a StyleGAN3 model's, whose groups follow its sampling rates (``latents.w_sampling_rates``)."""
        vec = torch.from_numpy(np.asarray(self.vector, dtype=np.float32))
        full = vec.expand(num_ws, -1) if vec.ndim == 1 else vec
        if full.shape[0] != num_ws:
            raise ValueError(f"direction {self.name!r} has {full.shape[0]} layers; the model has {num_ws}")
        mask = torch.zeros(num_ws, 1)
        mask[layer_indices(self.layers if layers is None else layers, num_ws, rates)] = 1.0
        return mask * full * (value * self.scale)


@torch.no_grad()
def sample_w(
    G: torch.nn.Module,
    samples: int = PCA_SAMPLES,
    seed: int = 0,
    batch_size: int = 1000,
    progress: ProgressFn = no_progress,
    token: CancelToken | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``samples`` fixed-seed w's (N, w_dim) float64, and for a conditional G their classes (N,): sample ``i`` is
    of class ``i % c_dim``, so every class has an equal share; None for an unconditional G."""
    token = ensure_token(token)
    device = next(G.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(samples) % G.c_dim if G.c_dim else None
    ws = []
    for start in range(0, samples, batch_size):
        token.check()
        n = min(batch_size, samples - start)
        z = torch.randn(n, G.z_dim, generator=gen)
        c = None if labels is None else F.one_hot(labels[start : start + n], G.c_dim).float().to(device)
        ws.append(G.mapping(z.to(device), c)[:, 0].float().cpu())
        progress(Progress(start + n, samples + 1, "sampling W"))
    return torch.cat(ws).double(), labels


def principal_directions(
    w: torch.Tensor, components: int = PCA_COMPONENTS, labels: torch.Tensor | None = None
) -> list[Direction]:
    """The top principal components of ``w`` (N, w_dim), strongest first, as directions; with ``labels`` (N,)
    each sample is centred on its class's mean first (pooled within-class PCA), else on the mean of all."""
    centred = w - w.mean(dim=0)
    if labels is not None:
        for k in labels.unique():
            rows = labels == k
            centred[rows] = w[rows] - w[rows].mean(dim=0)
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    k = min(components, vh.shape[0])
    stdev = (s[:k] / max(len(w) - 1, 1) ** 0.5).float().numpy()
    comps = vh[:k].float().numpy()
    # SVD signs are arbitrary; fix them so a component means the same thing on every machine.
    signs = np.sign(comps[np.arange(k), np.abs(comps).argmax(axis=1)])
    comps *= signs[:, None]
    return [Direction(f"PC{i + 1}", comps[i], float(stdev[i]), "all", "pca") for i in range(k)]


def compute_pca(
    G: torch.nn.Module,
    samples: int = PCA_SAMPLES,
    components: int = PCA_COMPONENTS,
    seed: int = 0,
    batch_size: int = 1000,
    progress: ProgressFn = no_progress,
    token: CancelToken | None = None,
) -> list[Direction]:
    """The top principal components of W (from ``samples`` fixed-seed z's), strongest first, as directions;
    within the classes for a conditional G (the module's docstring says why)."""
    token = ensure_token(token)
    w, labels = sample_w(G, samples, seed, batch_size, progress, token)
    token.check()
    found = principal_directions(w, components, labels)
    progress(Progress(samples + 1, samples + 1, "principal components"))
    return found


def named_by_card(
    directions: Iterable[Direction], card: Mapping, num_ws: int, rates: Sequence[int] | None = None
) -> list[Direction]:
    """PCA directions labelled after the attribute the card says they move ("PC1 · head turn", keeping the PC
    number that recipes use) and set to the layers they move it on; an entry that does not fit is left out
    (``rates``: a StyleGAN3 model's, whose groups follow its sampling rates)."""
    names, groups = card.get("pca_names"), card.get("pca_layers")
    names = names if isinstance(names, Mapping) else {}
    groups = groups if isinstance(groups, Mapping) else {}
    out = []
    for d in directions:
        name, layers = names.get(d.name), groups.get(d.name, d.layers)
        if d.kind == "pca" and isinstance(name, str) and name.strip() and _fits(layers, num_ws, rates):
            d = replace(d, label=f"{d.name} · {name.strip()}", layers=layers)
        out.append(d)
    return out


def _fits(layers: object, num_ws: int, rates: Sequence[int] | None) -> bool:
    try:
        return isinstance(layers, str) and bool(layer_indices(layers, num_ws, rates))
    except ValueError:
        return False


def _pca_cache_path(model_hash: str, samples: int, components: int) -> Path:
    return user_cache_dir() / "directions" / f"{model_hash}-pca-{samples}-{components}.npz"


def pca_directions(
    G: torch.nn.Module,
    model_hash: str,
    samples: int = PCA_SAMPLES,
    components: int = PCA_COMPONENTS,
    progress: ProgressFn = no_progress,
    token: CancelToken | None = None,
) -> list[Direction]:
    """``compute_pca`` once per model (by weights hash), then from the cache; a bad cache is recomputed."""
    path = _pca_cache_path(model_hash, samples, components)
    cached = load_pca_cache(path)
    if cached is not None:
        return cached
    found = compute_pca(G, samples, components, progress=progress, token=token)
    comps = np.stack([d.vector for d in found])
    stdev = np.array([d.scale for d in found], dtype=np.float32)
    atomic_save(path, lambda tmp: _savez(tmp, comps, stdev))
    return found


def _savez(path: Path, comps: np.ndarray, stdev: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object, so numpy does not append ".npz" to the temp name
        np.savez(f, components=comps, stdev=stdev)


def load_pca_cache(path: Path) -> list[Direction] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            comps, stdev = data["components"].astype(np.float32), data["stdev"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        return None
    if comps.ndim != 2 or stdev.shape != (comps.shape[0],) or not np.isfinite(comps).all():
        return None
    return [Direction(f"PC{i + 1}", comps[i], float(stdev[i]), "all", "pca") for i in range(len(stdev))]


# --- the user's saved directions -----------------------------------------------------------------------


def _saved_path(model_hash: str) -> Path:
    return user_data_dir() / "directions" / f"{model_hash}.json"


def saved_directions(model_hash: str) -> list[Direction]:
    """The user's directions for this model, in the order they were saved; a damaged file reads as none."""
    try:
        entries = json.loads(_saved_path(model_hash).read_text(encoding="utf-8"))
        return [
            Direction(e["name"], decode_array(e["vector"]).astype(np.float32), 1.0, e.get("layers", "all"), "saved")
            for e in entries
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _write_saved(model_hash: str, directions: Iterable[Direction]) -> None:
    entries = [{"name": d.name, "vector": encode_array(d.vector), "layers": d.layers} for d in directions]
    atomic_write_text(_saved_path(model_hash), json.dumps(entries, indent=1) + "\n")


def save_direction(model_hash: str, name: str, vector: np.ndarray | torch.Tensor, layers: str = "all") -> Direction:
    """Keep ``vector`` (W or W+) under ``name`` for this model, replacing a saved one of the same name."""
    if isinstance(vector, torch.Tensor):
        vector = vector.detach().cpu().numpy()
    vector = np.asarray(vector, dtype=np.float32)
    if vector.ndim == 3 and vector.shape[0] == 1:
        vector = vector[0]
    if vector.ndim not in (1, 2) or not np.isfinite(vector).all():
        raise ValueError(f"direction {name!r} must be a finite W or W+ vector, not shape {vector.shape}")
    name = name.strip()
    if not name or re.fullmatch(r"PC\d+", name):
        raise ValueError(f"{name!r} is not a usable direction name (empty, or taken by the PCA directions)")
    new = Direction(name, vector, 1.0, layers, "saved")
    _write_saved(model_hash, [d for d in saved_directions(model_hash) if d.name != name] + [new])
    return new
