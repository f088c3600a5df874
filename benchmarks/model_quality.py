"""How close a model's samples are to the world it was trained on, read by the world probe.

For each (portrait) model: the Fréchet distance between probe features of its samples and of world portraits,
the histogram overlap per attribute (composition, hair colour, background, head x/y/scale/tilt/turn), and
diversity (mean pairwise probe-feature distance, as a ratio of the world's). A row for the world against
itself (other seeds) is the floor. Usage: python benchmarks/model_quality.py --model default [--model old.safetensors]

For paintings drawn per genre (a class-conditional model's samples), ``genre_quality(images, genres)`` gives
per genre the share the probe reads as the intended genre, the Fréchet distance to world paintings of that
genre beside the world-vs-world floor, and diversity; a conditional model given as ``--model`` (classes named
after the genres) gets that table, ``--n`` samples per class; ``--genre-floor`` prints it for world paintings.
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
from studio.engine.model.labels import class_labels
from studio.engine.world import BACKGROUNDS, GENRES, genre_list, render_sample
from studio.engine.world.probe import (
    COMPOSITION_NAMES,
    HAIR_NAMES,
    HEAD_KEYS,
    PROBE_SIZE,
    frechet_distance,
    genre_figures,
    head_bins,
    histogram_overlap,
    load_probe,
    mean_pairwise_distance,
    read_images,
)


def _world_image(job: tuple[int, str]) -> np.ndarray:
    return render_sample(job[0], PROBE_SIZE, job[1]).image


def world_images(first_seed: int, n: int, workers: int, genre: str = "portrait") -> np.ndarray:
    with Pool(workers) as pool:
        return np.stack(pool.map(_world_image, [(s, genre) for s in range(first_seed, first_seed + n)], chunksize=32))


@torch.no_grad()
def model_images(path: str, n: int, psi: float, class_index: int | None = None) -> np.ndarray:
    """Samples of seeds 0..n-1 at probe size; ``class_index``: the class they are drawn in (conditional models)."""
    G = load_model(path).G
    out = []
    for i in range(0, n, 50):
        z = z_from_seeds(range(i, min(i + 50, n)), G.z_dim)
        img = G(z, class_labels(G, class_index, len(z)), truncation_psi=psi, noise_mode="const")
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


def genre_quality(images: np.ndarray, genres, n_ref: int = 500, workers: int = 2, probe=None
                  ) -> dict[str, dict[str, float]]:
    """Per-genre figures of ``images`` drawn for ``genres`` (one name, or one per image), against ``n_ref`` world
    paintings of each genre (seeds 2,000,000 up) with the floor from other world paintings (3,000,000 up)."""
    probe = probe or load_probe()
    present = sorted(set(genre_list(genres, len(images))), key=GENRES.index)
    ref = {g: world_images(2_000_000, n_ref, workers, g) for g in present}
    floor = {g: world_images(3_000_000, n_ref, workers, g) for g in present}
    return genre_figures(probe, images, genres, ref, floor)


def model_genre_quality(path: str, n: int, psi: float, workers: int = 2, probe=None) -> dict[str, dict[str, float]]:
    """``genre_quality`` of a conditional model whose classes are the world's genres: ``n`` samples per class."""
    classes = load_model(path).classes
    unknown = [c for c in classes if c not in GENRES]
    if unknown:
        raise SystemExit(f"{path}: its classes {', '.join(unknown)} are not world genres; the probe cannot read them.")
    images = np.concatenate([model_images(path, n, psi, k) for k in range(len(classes))])
    return genre_quality(images, [c for c in classes for _ in range(n)], n, workers, probe)


def print_genre_table(rows: dict[str, dict[str, float]]) -> None:
    print("| genre | samples | read as the genre | Fréchet | world-vs-world floor | diversity |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        if name != "all":
            print(f"| {name} | {r['samples']} | {r['genre_share']:.1%} | {r['frechet']:.1f} | {r['floor']:.1f} "
                  f"| {r['diversity']:.2f} |")
    print(f"| all | {rows['all']['samples']} | {rows['all']['genre_share']:.1%} | | | |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", default=[], help="checkpoint path or 'default' (repeatable)")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--truncation", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--genre-floor", action="store_true",
                    help="instead: the per-genre table for world paintings of every genre (seeds 4,000,000 up)")
    args = ap.parse_args()
    probe = load_probe()
    if args.genre_floor:
        images = np.concatenate([world_images(4_000_000, args.n, args.workers, g) for g in GENRES])
        rows = genre_quality(images, [g for g in GENRES for _ in range(args.n)], args.n, args.workers, probe)
        print(f"{args.n} world paintings per genre against {args.n} others\n")
        print_genre_table(rows)
        if args.json:
            Path(args.json).write_text(json.dumps({"samples_per_genre": args.n, **rows}, indent=2))
        return
    conditional = [path for path in args.model if load_model(path).classes]
    for path in conditional:
        print(f"{path}: {args.n} samples per class, truncation {args.truncation}\n")
        print_genre_table(model_genre_quality(path, args.n, args.truncation, args.workers, probe))
    args.model = [path for path in args.model if path not in conditional]
    if conditional and not args.model:
        return
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
