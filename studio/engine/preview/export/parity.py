"""The parity check: an exported graph must render what torch renders, fed the same inputs.

Relative error = max|onnxruntime - torch| / max|torch| on the CPU provider, at most ``PARITY_TOLERANCE``: the
mapping at batches ``PARITY_BATCHES`` and two truncations; each synthesis level at batch 1 fed ``ws`` alone (its
other inputs' defaults: the model's constant maps, StyleGAN3's own transform) and fed other values for all of
them as well (random maps; a turn and a shift of a StyleGAN3 picture), and the smallest level at the largest
batch (``check_synthesis``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from ...errors import first_line
from ...model.labels import balanced_labels
from ...model.stylegan2 import Generator
from ...model.stylegan3 import Generator as SG3Generator
from ...model.stylegan3 import input_transform
from .format import TRANSFORM_INPUT, ExportError, level_inputs, noise_input

PARITY_TOLERANCE = 1e-3
PARITY_BATCHES = (1, 2)


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max|actual - expected| / max|expected|; infinite when either side is not finite (nothing to trust)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape or not (np.isfinite(actual).all() and np.isfinite(expected).all()):
        return float("inf")
    scale = np.abs(expected).max()
    diff = np.abs(actual - expected).max()
    return float(diff / scale) if scale > 0 else (0.0 if diff == 0 else float("inf"))


def _cpu_session(path: Path) -> ort.InferenceSession:
    """A CPU session optimised as the preview's, which gives its memory back after each run: without the arena
    and the memory pattern a 1024 px graph's run peaks at about 0.6 GB and keeps nothing, where they kept
    0.8 GB more after every run. One thread per CPU this process may use, without spinning (onnxruntime's
    default counts every core, also those the process may not run on)."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    so.enable_cpu_mem_arena = False
    so.enable_mem_pattern = False
    so.intra_op_num_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ExportError(f"{path}: onnxruntime cannot load the graph ({first_line(e)}).") from e


def _run(session: ort.InferenceSession, path: Path, feed: dict[str, np.ndarray]) -> np.ndarray:
    """The graph's first output for ``feed``; ExportError naming the file when onnxruntime cannot run it (an input
    it lacks, a shape it refuses)."""
    try:
        return session.run(None, feed)[0]
    except Exception as e:
        raise ExportError(f"{path}: onnxruntime cannot run the graph ({first_line(e)}).") from e


def _require(path: Path, err: float) -> float:
    if not err <= PARITY_TOLERANCE:
        raise ExportError(
            f"{path}: differs from torch by a relative error of {err:.3g}, over the {PARITY_TOLERANCE:g} tolerance."
        )
    return err


def _parity_ws(G: Generator | SG3Generator, n: int, seed: int) -> torch.Tensor:
    """Realistic W+ inputs: mapped latents, a different one for every layer so every affine is exercised."""
    z = torch.randn(n * G.num_ws, G.z_dim, generator=torch.Generator().manual_seed(seed))
    return G.mapping(z, balanced_labels(G, n * G.num_ws))[:, 0].reshape(n, G.num_ws, G.w_dim)


@torch.no_grad()
def check_mapping(path: Path, G: Generator | SG3Generator) -> float:
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
            got = _run(session, path, feed)
            worst = max(worst, relative_error(got, G.mapping(z, c, truncation_psi=psi).numpy()))
    return _require(path, worst)


@torch.no_grad()
def check_synthesis(G: Generator | SG3Generator, graphs: Mapping[str, tuple[Path, int]]) -> dict[str, float]:
    """The synthesis graphs of the levels (name -> (file, resolution)) against ``G.synthesis``: each level's worst
    relative error, or ExportError naming the first file over the tolerance.

    Batch 1 first, on every level, largest first: fed ``ws`` alone the graph must render G's own picture (its
    constant noise, its own transform), fed other values for all of its inputs as well (``_other_inputs``), what
    G renders with those. Then the smallest level at the largest of ``PARITY_BATCHES`` with those values shared
    by the batch: the batch is really dynamic and the inputs broadcast; the levels come from one trace, so one
    level shows it for all. Torch renders every level of a case in one pass (``outputs``) and one graph's
    session is open at a time, which keeps a 1024 px model's check to a few frames and little memory.
    """
    shapes = G.synthesis.noise_shapes()
    names = sorted(graphs, key=lambda name: -graphs[name][1])
    feeds, given = _other_inputs(G)
    ws = _parity_ws(G, 1, seed=1)
    own, fed = (G.synthesis.outputs(ws, [graphs[k][1] for k in names], **kw) for kw in ({}, given))
    worst: dict[str, float] = {}
    for i, name in enumerate(names):
        path, resolution = graphs[name]
        session = _cpu_session(path)
        level_feed = {k: feeds[k] for k in level_inputs(G.architecture, shapes, resolution)}
        worst[name] = max(relative_error(_run(session, path, {"ws": ws.numpy()}), own[i].numpy()),
                          relative_error(_run(session, path, {"ws": ws.numpy(), **level_feed}), fed[i].numpy()))
        _require(path, worst[name])
        if name == names[-1]:  # the smallest level: a batch too
            batch = _parity_ws(G, max(PARITY_BATCHES), seed=max(PARITY_BATCHES))
            want = G.synthesis(batch, max_resolution=resolution, **given).numpy()
            got = _run(session, path, {"ws": batch.numpy(), **level_feed})
            worst[name] = _require(path, max(worst[name], relative_error(got, want)))
        del session  # its weights and buffers, before the next level's
    return worst


def _other_inputs(G: Generator | SG3Generator) -> tuple[dict[str, np.ndarray], dict]:
    """Values other than the defaults for all the synthesis graphs' inputs beside ``ws``: by graph input name,
    and the same as ``G.synthesis``'s keyword arguments. StyleGAN2: a random map for every layer; StyleGAN3: a
    transform that shifts the picture by a fraction of a pixel and turns it (``input_transform``)."""
    if G.architecture != "sg2":
        transform = input_transform((0.13, -0.07), 17.0)
        return {TRANSFORM_INPUT: transform.numpy()}, {"transform": transform}
    rng = torch.Generator().manual_seed(G.resolution)
    maps = {name: torch.randn(shape, generator=rng) for name, shape in G.synthesis.noise_shapes().items()}
    return {noise_input(name): m.numpy() for name, m in maps.items()}, {"noise": maps}
