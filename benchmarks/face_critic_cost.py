"""What the face-crop critic costs per training step: the cpu64 recipe with and without ``--face-critic``.

Each configuration trains the cpu64 architecture (batch 32, the plan ``auto`` picks, a pre-rendered world cache)
for a few warm-up steps and then ``--steps`` timed steps (R1 every 16 steps included) through the real
``Trainer``, in turn (off, on, off, on, ...: a shared machine's load drifts) for ``--rounds`` rounds. Reports
wall seconds and this process's CPU seconds per step (the CPU time is what a run on a core of its own pays),
the load average beside, and ends with ``cost: +N % per step`` (CPU time, on / off).
Usage: python benchmarks/face_critic_cost.py [--steps 24] [--rounds 2] [--threads 1] [--weight 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace

import torch

from studio.engine.jobs import Progress
from studio.engine.train import Trainer, preset

WARMUP = 3


def seconds_per_step(config, steps: int) -> tuple[float, float]:
    """Train ``WARMUP + steps`` steps; wall and CPU seconds per timed step."""
    stamps: dict[int, tuple[float, float]] = {}

    def clock(p: Progress) -> None:
        stamps[p.done] = (time.perf_counter(), time.process_time())

    with tempfile.TemporaryDirectory() as out:
        cfg = replace(config, out_dir=out, steps=WARMUP + steps, checkpoint_every=10**9, sample_every=10**9)
        Trainer(cfg).run(progress=clock)
    (w0, c0), (w1, c1) = stamps[WARMUP], stamps[WARMUP + steps]
    return (w1 - w0) / steps, (c1 - c0) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=24, help="timed steps per configuration and round")
    ap.add_argument("--rounds", type=int, default=2, help="times each configuration runs, in turn")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--weight", type=float, default=1.0, help="the face critic weight (no effect on cost)")
    ap.add_argument("--cache-images", type=int, default=500, help="world cache size (one chunk renders in a minute)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("GAN_STUDIO_CACHE", tempfile.mkdtemp(prefix="gan-studio-bench-"))

    base = preset("cpu64", world_cache=args.cache_images, workers=0)
    runs = {"without": base, f"--face-critic {args.weight:g}": replace(base, face_critic=args.weight)}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    load = [os.getloadavg()[0]]
    print(f"cpu64, batch {base.batch}, {args.threads} torch thread(s), {args.steps} timed steps x {args.rounds} rounds",
          flush=True)
    for r in range(args.rounds):
        for name, cfg in runs.items():
            times[name].append(seconds_per_step(cfg, args.steps))
            load.append(os.getloadavg()[0])
            print(f"  round {r + 1}, {name}: {times[name][-1][0]:.2f} s wall, {times[name][-1][1]:.2f} s CPU per step",
                  flush=True)
    print(f"\nload average (1 min) during the runs: {min(load):.1f} to {max(load):.1f}")
    print("\n| settings | wall s/step | CPU s/step | CPU img/s |\n|---|---|---|---|")
    cpu = {}
    for name, rows in times.items():
        wall, cpu[name] = statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows)
        print(f"| {name} | {wall:.2f} | {cpu[name]:.2f} | {base.batch / cpu[name]:.1f} |")
    off, on = cpu.values()
    print(f"\ncost: +{(on / off - 1) * 100:.0f} % per step (CPU time)")


if __name__ == "__main__":
    main()
