"""Big models on a CPU: the ONNX export's time and peak memory, and onnxruntime's frame time at each preview level.

For each size (the standard channel tables, random weights: ``models`` of benchmarks/preview.py) a fresh process
builds the model, exports it to a temporary folder (``export_onnx``: every graph traced and checked against
torch) and renders batch-1 frames with onnxruntime CPU at every level (warm-up, then the median of ``--runs``);
peak resident memory is the process's: once the model is built and exported, and once the preview's sessions
(all levels) have rendered. Kept short: a few frames.

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/big_models.py [--sizes 256,512,1024] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(resolution: int, runs: int) -> dict:
    """In this process: build, export, render; the figures as a dict."""
    import torch
    from preview import median_ms, models  # benchmarks/preview.py, beside this script

    from studio.engine.preview.export.writer import export_onnx
    from studio.engine.preview.runtime import OrtBackend, physical_cores

    model = models([resolution])[0]
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        export_onnx(model, Path(tmp) / "export")
        export_s, export_cpu = time.perf_counter() - start, time.process_time() - cpu
        export_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
        backend = OrtBackend(Path(tmp) / "export", "cpu", threads=physical_cores())
        G = model.G
        ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(0))).detach().numpy()
        frames = {level: median_ms(backend, ws, level, runs, seconds=0.0) for level in backend.levels}
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"model": model.name, "levels": backend.levels, "export_s": export_s, "export_cpu_s": export_cpu,
            "export_peak_gb": export_peak_kb / 1e6, "peak_gb": peak_kb / 1e6, "frames": frames,
            "threads": backend.threads}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,512,1024")
    p.add_argument("--runs", type=int, default=3, help="frames measured per level, after two warm-up frames")
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child: measure this size, print JSON
    args = p.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.runs)))
        return 0
    import onnxruntime as ort
    import torch

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, CPUs usable "
          f"{len(os.sched_getaffinity(0))}; torch {torch.__version__}, onnxruntime {ort.__version__}; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        child = subprocess.run([sys.executable, __file__, "--one", str(size), "--runs", str(args.runs)],
                               capture_output=True, text=True, check=True)
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(f"  {rows[-1]}", flush=True)
    print(f"\nexport: wall s (CPU s); peak resident memory of the process after the export, and with the preview's "
          f"sessions open; onnxruntime CPU, batch 1, {rows[0]['threads']} thread(s): median wall ms (CPU ms) per "
          f"frame at each level\n")
    print("| model | export | peak: export / preview | full | half | quarter |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        cells = [f"{r['levels'][lv]} px: {r['frames'][lv][0]:.0f} ({r['frames'][lv][1]:.0f})" if lv in r["frames"]
                 else "" for lv in ("full", "half", "quarter")]
        print(f"| {r['model']} | {r['export_s']:.0f} s ({r['export_cpu_s']:.0f}) | "
              f"{r['export_peak_gb']:.2f} / {r['peak_gb']:.2f} GB | "
              + " | ".join(cells) + " |")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
