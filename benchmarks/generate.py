"""ms per image for torch eager generation, fused vs non-fused modulated conv, at standard sizes.

Prints a Markdown table; the non-fused column is the ratio against fused measured in the same run.
Random weights (timing does not depend on them). Usage: python benchmarks/generate.py [--sizes 128 256]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from studio.engine.model.architecture import default_channels
from studio.engine.model.stylegan2 import Generator


def time_ms(fn, reps: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    print(f"device: {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}\n")
    print("| resolution | batch | fused ms/img | non-fused ms/img | non-fused / fused |")
    print("|---|---|---|---|---|")
    for res in args.sizes:
        G = Generator(res, default_channels(res)).eval().to(args.device)
        for batch in args.batches:
            ws = G.mapping(torch.randn(batch, 512, device=args.device))
            reps = max(2, args.reps // (1 if res <= 256 else 2))
            sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
            fused = time_ms(lambda: (G.synthesis(ws, fused=True), sync()), reps) / batch  # noqa: B023 - called at once, in this iteration
            plain = time_ms(lambda: (G.synthesis(ws, fused=False), sync()), reps) / batch  # noqa: B023 - called at once, in this iteration
            print(f"| {res} | {batch} | {fused:.1f} | {plain:.1f} | {plain / fused:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
