"""Big models on a CPU: the export's time and memory, every preview level's frame time at float32 and on the
cheaper drag paths measured (with their error against the float32 picture), the drag level the preview picks
on this machine with its bf16 path off and on, and the release (full) frame.

For each size (the standard channel tables, random weights: ``models`` of benchmarks/preview.py) a fresh process
builds the model, exports it to a temporary folder (``export_onnx``: every graph traced and checked against
torch) and opens onnxruntime CPU as the preview does. Per level, batch 1, the fastest of ``--runs`` frames after
a warm-up, in process CPU ms (the machine is shared: wall-clock measures the queue for the core as much as the
work) and wall ms:

- ``fp32``: the preview's onnxruntime session (what the release frame and an exact drag draw);
- ``bf16``: the preview's bf16 drag level (``preview.bf16.Bf16Level``: torch in bfloat16, channels-last, traced
  and frozen; oneDNN: AMX or AVX512-BF16 where the CPU has them, emulated elsewhere);
- ``int8 dyn``: ``onnxruntime.quantization.quantize_dynamic`` (per-channel int8 weights, ConvInteger);
- ``int8 static``: ``quantize_static``, QDQ, per-channel int8 weights and uint8 activations calibrated on four
  mapped latents (the transposed convolutions stay float: onnxruntime has no int8 kernel for them).

Error: PSNR (dB) and mean |difference| (of 255) of the uint8 picture against the float32 one at that level.
The chosen drag level is ``Backend.time_drag`` on this process's cores, as the window does at load: float32
only, then with the bf16 path where ``bf16.worth_trying`` allows it (a CPU with native bf16).

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/big_models.py [--sizes 256,512,1024] [--runs 3]
    python benchmarks/big_models.py --sizes 1024 --threads 2 --paths fp32,bf16   # two cores, quiet machine
        [--paths fp32,bf16]
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
from collections.abc import Callable
from pathlib import Path

import numpy as np

PATHS = ("fp32", "bf16", "int8 dyn", "int8 static")


def fastest(fn: Callable[[], np.ndarray], runs: int) -> tuple[float, float, np.ndarray]:
    """(CPU ms, wall ms, output) of the fastest of ``runs`` calls after a warm-up call."""
    out = fn()
    cpu, wall = float("inf"), float("inf")
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return 1000 * cpu, 1000 * wall, out


def picture_error(got: np.ndarray, want: np.ndarray) -> tuple[float, float]:
    """PSNR (dB) and mean |difference| of the uint8 pictures of two float outputs."""
    import torch

    from studio.engine.images import psnr, tensor_to_images

    a, b = (tensor_to_images(torch.as_tensor(np.asarray(x, np.float32))) for x in (got, want))
    return psnr(a, b), float(np.abs(a.astype(np.float64) - b).mean())


def int8_session(path: Path, out: Path, static: bool, G) -> tuple[object, float]:
    """An onnxruntime session of the level's graph quantized to int8, and the seconds quantizing took."""
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    from studio.engine.preview.runtime import session_options

    class Calibration(CalibrationDataReader):
        def __init__(self) -> None:
            z = torch.randn(4, G.z_dim, generator=torch.Generator().manual_seed(5))
            self.feeds = iter({"ws": w[None]} for w in G.mapping(z).detach().numpy())

        def get_next(self) -> dict | None:
            return next(self.feeds, None)

    start = time.perf_counter()
    if static:
        quantize_static(path, out, Calibration(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["Conv"])
    else:
        quantize_dynamic(path, out, weight_type=QuantType.QInt8, per_channel=True)
    seconds = time.perf_counter() - start
    return ort.InferenceSession(str(out), session_options(1), providers=["CPUExecutionProvider"]), seconds


def measure(resolution: int, runs: int, paths: list[str], threads: int) -> dict:
    """In this process: build, export, pick the drag level, render every level on each of ``paths`` with
    ``threads`` torch threads (onnxruntime's: the preview's own, one per physical core this process may use);
    the figures as a dict."""
    import torch
    from preview import models  # benchmarks/preview.py, beside this script

    from studio.engine.preview.bf16 import Bf16Level, worth_trying
    from studio.engine.preview.export.writer import export_onnx
    from studio.engine.preview.runtime import OrtBackend, physical_cores

    torch.set_num_threads(threads)
    model = models([resolution])[0]
    G = model.G
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(0))).detach().numpy()
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        export_onnx(model, Path(tmp) / "export")
        export_s, export_cpu = time.perf_counter() - start, time.process_time() - cpu
        export_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
        backend = OrtBackend(Path(tmp) / "export", "cpu", threads=physical_cores())
        drags = {}
        for path, bf16 in (("fp32", None), ("bf16", G if worth_trying(G, backend.on_cpu) else None)):
            start = time.perf_counter()
            drag = backend.time_drag(bf16=bf16)
            drags[path] = [drag.level, drag.fps, time.perf_counter() - start, drag.path]
            print(f"    {resolution} drag, {path} path {'on' if bf16 else 'off'}: {drags[path]}", file=sys.stderr,
                  flush=True)
        backend.time_drag()  # frees the bf16 level before the levels below are measured
        frames: dict[str, dict[str, list]] = {}
        for level, px in backend.levels.items():
            session = backend._levels[level]  # the preview's own session: what a frame runs
            cpu_ms, wall_ms, want = fastest(lambda s=session: s.run(None, {"ws": ws})[0], runs)
            frames[level] = {"fp32": [cpu_ms, wall_ms, None, None, None]}
            if level == "full":
                continue
            if "bf16" in paths:
                start = time.perf_counter()
                run = Bf16Level(G.synthesis, px)
                made = time.perf_counter() - start
                cpu_ms, wall_ms, got = fastest(lambda r=run: r(ws, {}), runs)
                frames[level]["bf16"] = [cpu_ms, wall_ms, *picture_error(got, want), made]
                del run
            for name, static in (("int8 dyn", False), ("int8 static", True)):
                if name not in paths:
                    continue
                q, made = int8_session(backend.info.graph_path(level), Path(tmp) / f"{level}_{static}.onnx", static, G)
                cpu_ms, wall_ms, got = fastest(lambda q=q: q.run(None, {"ws": ws})[0], runs)
                frames[level][name] = [cpu_ms, wall_ms, *picture_error(got, want), made]
            print(f"    {resolution} {level}: {frames[level]}", file=sys.stderr, flush=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"model": model.name, "levels": backend.levels, "export_s": export_s, "export_cpu_s": export_cpu,
            "export_peak_gb": export_peak_kb / 1e6, "peak_gb": peak_kb / 1e6, "frames": frames,
            "threads": backend.threads, "drag": drags}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,512,1024")
    p.add_argument("--runs", type=int, default=3, help="frames measured per level and path, after a warm-up")
    p.add_argument("--paths", default=",".join(PATHS), help=f"the cheaper paths to measure per level, of {PATHS}")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (the bf16 path); onnxruntime uses one per physical core it may run on")
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child: measure this size, print JSON
    args = p.parse_args()
    paths = args.paths.split(",")
    if not set(paths) <= set(PATHS):
        p.error(f"--paths: {', '.join(set(paths) - set(PATHS))} is not one of {', '.join(PATHS)}")
    if args.one:
        print(json.dumps(measure(args.one, args.runs, paths, args.threads)))
        return 0
    import onnxruntime as ort
    import torch

    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, CPUs usable "
          f"{len(os.sched_getaffinity(0))}, bf16 in hardware: {'avx512_bf16' in flags or 'amx_bf16' in flags} "
          f"(AMX {'amx_bf16' in flags}); torch {torch.__version__}, onnxruntime {ort.__version__}; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size), "--runs", str(args.runs), "--paths", args.paths,
                   "--threads", str(args.threads)]
        child = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    threads = rows[0]["threads"]
    print(f"\nexport: wall s (CPU s), peak resident memory after the export / with the preview open; the drag "
          f"level time_drag picked ({threads} thread(s), wall fps) with the bf16 path off and on, and how long "
          f"picking took\n")
    print("| model | export | peak: export / preview | drag, float32 only (fps, picked in) | drag, bf16 path on | "
          "release: full frame ms |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        drags = [f"{level} {path} ({fps:.1f}/s, {took:.1f} s)" for level, fps, took, path in r["drag"].values()]
        full = r["frames"]["full"]["fp32"]
        print(f"| {r['model']} | {r['export_s']:.0f} s ({r['export_cpu_s']:.0f}) | {r['export_peak_gb']:.2f} / "
              f"{r['peak_gb']:.2f} GB | {' | '.join(drags)} | {full[0]:.0f} CPU ({full[1]:.0f} wall) |")
    print(f"\nper level, batch 1, onnxruntime {threads} thread(s), torch {args.threads}: CPU ms (wall ms); the cheaper "
          "paths with PSNR / mean |diff| against the fp32 picture and how long making them took\n")
    print("| model | level | " + " | ".join(PATHS) + " |")
    print("|---" * (2 + len(PATHS)) + "|")
    for r in rows:
        for level, paths in r["frames"].items():
            cells = []
            for name in PATHS:
                if name not in paths:
                    cells.append("")
                    continue
                cpu_ms, wall_ms, psnr, diff, made = paths[name]
                cell = f"{cpu_ms:.0f} ({wall_ms:.0f})"
                cells.append(cell if psnr is None else f"{cell}; {psnr:.1f} dB / {diff:.2f}; made in {made:.0f} s")
            print(f"| {r['model']} | {level} {r['levels'][level]} px | " + " | ".join(cells) + " |")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
