"""Training speed on this machine: the placeholder's settings against the CPU recipe, measured in one run.

Each configuration trains the cpu64 architecture for a few warm-up steps and then ``--steps`` timed steps
(R1 every 16 steps included), through the real ``Trainer``. "old" is how the CPU placeholder was trained
(batch 8, fused grouped modconv, fp32, the world rendered in the training process); "new" is the cpu64
preset (batch 32, the plan ``auto`` picks for this device, pre-rendered world cache). Rendering the cache is
a one-time cost outside the timing (reported). Ends with ``speed-up: N.N×`` (new / old images per second).
Usage: python benchmarks/train_speed.py [--steps 32] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from dataclasses import replace

import torch

from studio.engine.cpu import cpu_has_native_bf16
from studio.engine.jobs import Progress
from studio.engine.train import Trainer, preset

WARMUP = 3


def images_per_second(name: str, config, steps: int) -> tuple[float, str]:
    """Train ``WARMUP + steps`` steps; images/s over the timed steps, and the plan the trainer chose."""
    stamps: dict[int, float] = {}

    def clock(p: Progress) -> None:
        stamps[p.done] = time.perf_counter()

    with tempfile.TemporaryDirectory() as out:
        cfg = replace(config, out_dir=out, steps=WARMUP + steps, checkpoint_every=10**9, sample_every=10**9)
        trainer = Trainer(cfg)
        start = time.perf_counter()
        trainer.run(progress=clock)
        setup = stamps[1] - start if 1 in stamps else 0.0
        seconds = stamps[WARMUP + steps] - stamps[WARMUP]
        print(f"  {name}: {trainer.plan.describe()}, batch {cfg.batch}: setup {setup:.1f} s", flush=True)
        return steps * cfg.batch / seconds, trainer.plan.describe()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=32, help="timed steps per configuration")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads")
    ap.add_argument("--cache-images", type=int, default=2000, help="world cache size for the new settings")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("GAN_STUDIO_CACHE", tempfile.mkdtemp(prefix="gan-studio-bench-"))

    base = preset("cpu64", world_cache=0, workers=0)
    runs = {
        "old (placeholder)": replace(base, batch=8, precision="fp32", modconv="fused"),
        "new (cpu64 preset)": replace(base, world_cache=args.cache_images),
    }
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.threads} torch threads, "
          f"native bf16: {cpu_has_native_bf16()}, torch {torch.__version__}")
    rows = {name: images_per_second(name, cfg, args.steps) for name, cfg in runs.items()}
    old = rows["old (placeholder)"][0]
    print("\n| settings | plan | images/s | ratio |\n|---|---|---|---|")
    for name, (ips, how) in rows.items():
        print(f"| {name} | {how} | {ips:.1f} | {ips / old:.2f}× |")
    print(f"\nspeed-up: {rows['new (cpu64 preset)'][0] / old:.1f}×")


if __name__ == "__main__":
    main()
