"""The parity check: an exported graph must render what torch renders, fed the same inputs.

Relative error = max|onnxruntime - torch| / max|torch| on the CPU provider, at most ``PARITY_TOLERANCE``: the
mapping at batches ``PARITY_BATCHES`` and two truncations; each synthesis level at those batches fed ``ws``
alone (its noise inputs' defaults: the model's constant maps), and at the largest fed random maps for all of its
layers as well (the defaults overridden).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from ...errors import first_line
from ...model.labels import balanced_labels
from ...model.stylegan2 import Generator
from .format import ExportError, level_noise_layers, noise_input

PARITY_TOLERANCE = 1e-3
PARITY_BATCHES = (1, 4)


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max|actual - expected| / max|expected|; infinite when either side is not finite (nothing to trust)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape or not (np.isfinite(actual).all() and np.isfinite(expected).all()):
        return float("inf")
    scale = np.abs(expected).max()
    diff = np.abs(actual - expected).max()
    return float(diff / scale) if scale > 0 else (0.0 if diff == 0 else float("inf"))


def _cpu_session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ExportError(f"{path}: onnxruntime cannot load the graph ({first_line(e)}).") from e


def _require(path: Path, err: float) -> float:
    if not err <= PARITY_TOLERANCE:
        raise ExportError(
            f"{path}: differs from torch by a relative error of {err:.3g}, over the {PARITY_TOLERANCE:g} tolerance."
        )
    return err


def _parity_ws(G: Generator, n: int, seed: int) -> torch.Tensor:
    """Realistic W+ inputs: mapped latents, a different one for every layer so every affine is exercised."""
    z = torch.randn(n * G.num_ws, G.z_dim, generator=torch.Generator().manual_seed(seed))
    return G.mapping(z, balanced_labels(G, n * G.num_ws))[:, 0].reshape(n, G.num_ws, G.w_dim)


@torch.no_grad()
def check_mapping(path: Path, G: Generator) -> float:
    """The mapping graph at ``path`` against ``G.mapping`` (with truncation, and labels for a conditional G): the
    worst relative error, or ExportError naming the file when it is over the tolerance."""
    session = _cpu_session(path)
    worst = 0.0
    for n in PARITY_BATCHES:
        z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(n))
        c = balanced_labels(G, n)
        for psi in (1.0, 0.7):
            feed = {"z": z.numpy(), "psi": np.array(psi, np.float32)}
            if c is not None:
                feed["c"] = c.numpy()
            got = session.run(None, feed)[0]
            worst = max(worst, relative_error(got, G.mapping(z, c, truncation_psi=psi).numpy()))
    return _require(path, worst)


@torch.no_grad()
def check_synthesis(path: Path, G: Generator, resolution: int) -> float:
    """The synthesis graph of the level of ``resolution`` px at ``path`` against ``G.synthesis``: the worst
    relative error, or ExportError naming the file. Fed ``ws`` alone the graph must render G's own picture (its
    constant noise); fed random maps for all of its layers as well (at the largest batch: one set shared by the
    batch), what G renders with those maps."""
    session = _cpu_session(path)
    shapes = G.synthesis.noise_shapes()
    rng = torch.Generator().manual_seed(resolution)
    random = {name: torch.randn(shapes[name], generator=rng) for name in level_noise_layers(shapes, resolution)}
    cases = [(n, None) for n in PARITY_BATCHES] + [(max(PARITY_BATCHES), random)]
    worst = 0.0
    for n, maps in cases:
        ws = _parity_ws(G, n, seed=n)
        want = G.synthesis(ws, noise_mode="const", max_resolution=resolution, noise=maps).numpy()
        feed = {"ws": ws.numpy()}
        if maps is not None:
            feed.update({noise_input(name): m.numpy() for name, m in maps.items()})
        worst = max(worst, relative_error(session.run(None, feed)[0], want))
    return _require(path, worst)
