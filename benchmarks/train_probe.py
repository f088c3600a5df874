"""Train the world probe (our measuring instrument) on world samples and ship it in studio/models/.

Renders --count world samples at 64 px (seeds from 1,000,000 up, apart from the seeds models train on),
holds out the last --val of them, trains, prints the held-out figures and writes
studio/models/world_probe.safetensors + .json (the card carries the figures).
"""

from __future__ import annotations

import argparse
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

from studio.engine.world import render_sample
from studio.engine.world.probe import PROBE_PATH, PROBE_SIZE, evaluate, save_probe, train_probe

FIRST_SEED = 1_000_000


def _render(seed: int):
    s = render_sample(seed, PROBE_SIZE)
    return s.image, s.attributes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--val", type=int, default=500)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, help="keep the rendered samples in this .npz and reuse them")
    args = ap.parse_args()
    t0 = time.time()
    if args.cache and args.cache.exists():
        data = np.load(args.cache, allow_pickle=False)
        images, records = data["images"], json.loads(str(data["records"]))
    else:
        with Pool(args.workers) as pool:
            rendered = pool.map(_render, range(FIRST_SEED, FIRST_SEED + args.count), chunksize=64)
        images = np.stack([r[0] for r in rendered])
        records = [r[1] for r in rendered]
        if args.cache:
            np.savez(args.cache, images=images, records=json.dumps(records))
    print(f"{len(images)} samples ready in {time.time() - t0:.0f} s")
    n = len(images) - args.val
    t1 = time.time()
    probe = train_probe(images[:n], records[:n], steps=args.steps)
    figures = evaluate(probe, images[n:], records[n:])
    print(f"trained in {time.time() - t1:.0f} s; held-out ({args.val} samples):")
    for k, v in figures.items():
        print(f"  {k:>18}: {v:.3f}")
    card = {"name": "world probe", "input": f"{PROBE_SIZE} px RGB in [-1,1]", "train_samples": n,
            "heldout_samples": args.val, "first_seed": FIRST_SEED, "steps": args.steps, "heldout": figures,
            "torch": torch.__version__}
    save_probe(probe, PROBE_PATH, card)
    print(f"wrote {PROBE_PATH}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
