"""How close a model's samples are to the world it was trained on, read by the world probe.

For each model: the Fréchet distance between probe features of its samples and of world samples, the
histogram overlap per attribute (composition, hair colour, background, head x/y/scale/tilt/turn), and
diversity (mean pairwise probe-feature distance, as a ratio of the world's). A row for the world against
itself (other seeds) is the floor. Usage: python benchmarks/model_quality.py --model default [--model old.safetensors]
"""

from __future__ import annotations

import argparse
import json
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

from studio.engine import load_model
from studio.engine.edit.latents import z_from_seeds
from studio.engine.images import tensor_to_images
from studio.engine.world import BACKGROUNDS, render_sample
from studio.engine.world.probe import (
    COMPOSITION_NAMES,
    HAIR_NAMES,
    HEAD_KEYS,
    PROBE_SIZE,
    frechet_distance,
    head_bins,
    histogram_overlap,
    load_probe,
    mean_pairwise_distance,
    read_images,
)


def _world_image(seed: int) -> np.ndarray:
    return render_sample(seed, PROBE_SIZE).image


def world_images(first_seed: int, n: int, workers: int) -> np.ndarray:
    with Pool(workers) as pool:
        return np.stack(pool.map(_world_image, range(first_seed, first_seed + n), chunksize=32))


@torch.no_grad()
def model_images(path: str, n: int, psi: float) -> np.ndarray:
    G = load_model(path).G
    out = []
    for i in range(0, n, 50):
        z = z_from_seeds(range(i, min(i + 50, n)), G.z_dim)
        img = G(z, truncation_psi=psi, noise_mode="const")
        out.append(tensor_to_images(torch.nn.functional.interpolate(img, size=PROBE_SIZE, mode="area")))
    return np.concatenate(out)


def figures(probe, ref, imgs) -> dict[str, float]:
    a, b = read_images(probe, ref), read_images(probe, imgs)
    row = {"frechet": frechet_distance(a.features, b.features),
           "composition": histogram_overlap(a.composition, b.composition, len(COMPOSITION_NAMES)),
           "hair": histogram_overlap(a.hair, b.hair, len(HAIR_NAMES)),
           "background": histogram_overlap(a.background, b.background, len(BACKGROUNDS))}
    bins = head_bins()
    for i, k in enumerate(HEAD_KEYS):
        row[f"head_{k}"] = histogram_overlap(a.head[:, i], b.head[:, i], bins[k])
    row["diversity"] = mean_pairwise_distance(b.features) / mean_pairwise_distance(a.features)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", default=[], help="checkpoint path or 'default' (repeatable)")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--truncation", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    probe = load_probe()
    ref = world_images(2_000_000, args.n, args.workers)
    rows = {"world (other seeds)": figures(probe, ref, world_images(3_000_000, args.n, args.workers))}
    for path in args.model or ["default"]:
        rows[path] = figures(probe, ref, model_images(path, args.n, args.truncation))
    keys = list(next(iter(rows.values())))
    print(f"{args.n} samples each, truncation {args.truncation}; overlaps: 1 = same distribution as the world\n")
    print("| model | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[k]:.3f}" for k in keys) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"samples": args.n, "truncation": args.truncation, **rows}, indent=2))


if __name__ == "__main__":
    main()
