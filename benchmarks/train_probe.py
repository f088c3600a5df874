"""Train the world probe (our measuring instrument) on world samples of the four genres and ship it in studio/models/.

Renders --count portraits and --genre-count paintings of each other genre at 64 px (seeds from 1,000,000 up,
apart from the seeds models train on), holds out the last --val portraits and --genre-val of each other genre,
trains (from scratch, or warm-started from a probe file with --init: its heads are kept, missing ones start
fresh, and --keep holds what that probe read in portraits), prints the held-out figures beside those of the
probe shipped before (--compare, on the same held-out paintings) and writes studio/models/world_probe.safetensors +
.json (the card carries the figures).
"""

from __future__ import annotations

import argparse
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from studio.engine.world import GENRES, render_sample
from studio.engine.world.probe import PROBE_PATH, PROBE_SIZE, WorldProbe, evaluate, save_probe, train_probe

FIRST_SEED = 1_000_000


def _render(job: tuple[int, str]):
    s = render_sample(job[0], PROBE_SIZE, job[1])
    return s.image, s.attributes


def _jobs(genre: str, count: int) -> list[tuple[int, str]]:
    return [(seed, genre) for seed in range(FIRST_SEED, FIRST_SEED + count)]


def _samples(args) -> tuple[np.ndarray, list[dict], np.ndarray]:
    """Images, records and the held-out flag of every sample (the last ones of each genre)."""
    counts = {g: args.count if g == "portrait" else args.genre_count for g in GENRES}
    vals = {g: args.val if g == "portrait" else args.genre_val for g in GENRES}
    if args.cache and args.cache.exists():
        data = np.load(args.cache, allow_pickle=False)
        images, records = data["images"], json.loads(str(data["records"]))
    else:
        with Pool(args.workers) as pool:
            rendered = pool.map(_render, [j for g in GENRES for j in _jobs(g, counts[g])], chunksize=64)
        images, records = np.stack([r[0] for r in rendered]), [r[1] for r in rendered]
        if args.cache:
            np.savez(args.cache, images=images, records=json.dumps(records))
    held = np.concatenate([np.arange(counts[g]) >= counts[g] - vals[g] for g in GENRES])
    return images, records, held


def _load(path: Path) -> tuple[WorldProbe, set[str]]:
    """A probe file (of this or an older layout) and the heads it carries."""
    state = load_file(str(path))
    probe = WorldProbe()
    probe.load_state_dict(state, strict=False)
    return probe.eval(), {k.split(".")[0] for k in state}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=6000, help="portraits (the held-out ones included)")
    ap.add_argument("--val", type=int, default=600, help="held-out portraits")
    ap.add_argument("--genre-count", type=int, default=1500, help="paintings of each other genre")
    ap.add_argument("--genre-val", type=int, default=200, help="held-out paintings of each other genre")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--init", type=Path, help="warm start from this probe file")
    ap.add_argument("--keep", type=float, default=0.0,
                    help="with --init: weight of holding portrait features where the init probe had them")
    ap.add_argument("--compare", type=Path, default=PROBE_PATH,
                    help="the probe to compare with (default: the shipped one)")
    ap.add_argument("--out", type=Path, default=PROBE_PATH)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, help="keep the rendered samples in this .npz and reuse them")
    args = ap.parse_args()
    t0 = time.time()
    images, records, held = _samples(args)
    print(f"{len(images)} samples ready in {time.time() - t0:.0f} s")
    before = _load(args.compare) if args.compare and args.compare.exists() else None
    train = np.flatnonzero(~held)
    t1 = time.time()
    init = load_file(str(args.init)) if args.init else None
    probe = train_probe(images[train], [records[i] for i in train], steps=args.steps, lr=args.lr, init=init,
                        keep=args.keep)
    minutes = (time.time() - t1) / 60
    val = np.flatnonzero(held)
    figures = evaluate(probe, images[val], [records[i] for i in val])
    print(f"trained {args.steps} steps in {minutes:.1f} min; "
          f"held-out: {args.val} portraits, {args.genre_val} of each other genre\n")
    old = evaluate(before[0], images[val], [records[i] for i in val]) if before else {}
    print("| head | before | after |\n|---|---|---|")
    for k, v in figures.items():
        known = before and k.removesuffix("_acc").removesuffix("_mae").split("_")[0] in before[1]
        print(f"| {k} | {old[k]:.3f} | {v:.3f} |" if known else f"| {k} | — | {v:.3f} |")
    card = {"name": "world probe", "input": f"{PROBE_SIZE} px RGB in [-1,1]", "genres": list(GENRES),
            "train_samples": int(len(train)), "heldout_samples": int(len(val)),
            "heldout_per_genre": {g: args.val if g == "portrait" else args.genre_val for g in GENRES},
            "first_seed": FIRST_SEED, "steps": args.steps, "lr": args.lr,
            "warm_start": args.init.name if args.init else None, "keep": args.keep, "train_minutes": round(minutes, 1),
            "heldout": figures, "torch": torch.__version__}
    save_probe(probe, args.out, card)
    print(f"\nwrote {args.out}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
