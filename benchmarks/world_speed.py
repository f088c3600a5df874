"""How fast the world paints each genre on one core: images only (``render_batch``, the trainer's path) and
full samples (``render_sample``: masks and the sketch too), as paintings per second and as a ratio of the
portraits' speed measured in the same run. Usage: python benchmarks/world_speed.py [--size 64] [--n 200]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from studio.engine.world import GENRES, render_batch, render_sample


def _rate(fn, n: int) -> float:
    fn(range(3))  # warm up
    t = time.perf_counter()
    fn(range(1000, 1000 + n))
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--n", type=int, default=200, help="paintings per genre and path")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the per-core figure says
    rows = {}
    for g in GENRES:
        images = _rate(lambda seeds, g=g: render_batch(list(seeds), args.size, g), args.n)
        samples = _rate(lambda seeds, g=g: [render_sample(s, args.size, g) for s in seeds], args.n // 2)
        rows[g] = (images, samples)
    base = rows["portrait"]
    print(f"{args.size} px, one core, {args.n} paintings per genre (full samples: {args.n // 2})\n")
    print("| genre | images/s | vs portraits | full samples/s | vs portraits |\n|---|---|---|---|---|")
    for g, (images, samples) in rows.items():
        print(f"| {g} | {images:.0f} | {images / base[0]:.2f} | {samples:.0f} | {samples / base[1]:.2f} |")


if __name__ == "__main__":
    main()
