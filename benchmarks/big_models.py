"""Big models on a CPU: the export's time and memory, every preview level's frame time at float32 and on the
cheaper drag paths measured (with their error against the float32 picture), the drag level the preview picks
on this machine, and the release (full) frame.

For each size (the standard channel tables, random weights: ``models`` of benchmarks/preview.py) a fresh process
builds the model, exports it to a temporary folder (``export_onnx``: every graph traced and checked against
torch) and opens onnxruntime CPU as the preview does. Per level, batch 1, the fastest of ``--runs`` frames after
a warm-up, in process CPU ms (the machine is shared: wall-clock measures the queue for the core as much as the
work) and wall ms:

- ``fp32``: the preview's onnxruntime session (what the release frame and an exact drag draw);
- ``bf16``: torch in bfloat16, channels-last, traced and frozen per level (oneDNN: AMX or AVX512-BF16 where the
  CPU has them, emulated elsewhere);
- ``int8 dyn``: ``onnxruntime.quantization.quantize_dynamic`` (per-channel int8 weights, ConvInteger);
- ``int8 static``: ``quantize_static``, QDQ, per-channel int8 weights and uint8 activations calibrated on four
  mapped latents (the transposed convolutions stay float: onnxruntime has no int8 kernel for them).

Error: PSNR (dB) and mean |difference| (of 255) of the uint8 picture against the float32 one at that level.
The chosen drag level is ``Backend.time_drag`` on this process's cores, as the window does at load.

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/big_models.py [--sizes 256,512,1024] [--runs 3]
"""

from __future__ import annotations

import argparse
import copy
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

    from studio.engine.images import tensor_to_images

    a, b = (tensor_to_images(torch.as_tensor(np.asarray(x, np.float32))).astype(np.float64) for x in (got, want))
    mse = float(((a - b) ** 2).mean())
    return (10 * np.log10(255**2 / mse) if mse > 0 else float("inf")), float(np.abs(a - b).mean())


def bf16_level(G, px: int, ws: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The synthesis network up to ``px`` in bfloat16, channels-last, traced and frozen (its weight products and
    demodulation norms folded, convolutions prepacked for oneDNN)."""
    import torch

    class Level(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.synthesis = copy.deepcopy(G.synthesis).to(torch.bfloat16).to(memory_format=torch.channels_last)

        def forward(self, ws: torch.Tensor) -> torch.Tensor:
            return self.synthesis(ws.bfloat16(), max_resolution=px, fused=False).float()

    with torch.inference_mode():
        frozen = torch.jit.freeze(torch.jit.trace(Level().eval(), torch.from_numpy(ws), check_trace=False))

    def run(w: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return frozen(torch.from_numpy(w)).numpy()

    return run


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


def measure(resolution: int, runs: int) -> dict:
    """In this process: build, export, render every level on every path; the figures as a dict."""
    import torch
    from preview import models  # benchmarks/preview.py, beside this script

    from studio.engine.preview.export.writer import export_onnx
    from studio.engine.preview.runtime import OrtBackend, physical_cores

    torch.set_num_threads(1)
    model = models([resolution])[0]
    G = model.G
    ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(0))).detach().numpy()
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        export_onnx(model, Path(tmp) / "export")
        export_s, export_cpu = time.perf_counter() - start, time.process_time() - cpu
        export_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
        backend = OrtBackend(Path(tmp) / "export", "cpu", threads=physical_cores())
        start = time.perf_counter()
        drag = backend.time_drag()
        drag_s = time.perf_counter() - start
        frames: dict[str, dict[str, list]] = {}
        for level, px in backend.levels.items():
            session = backend._levels[level]  # the preview's own session: what a frame runs
            cpu_ms, wall_ms, want = fastest(lambda s=session: s.run(None, {"ws": ws})[0], runs)
            frames[level] = {"fp32": [cpu_ms, wall_ms, None, None, None]}
            if level == "full":
                continue
            start = time.perf_counter()
            run = bf16_level(G, px, ws)
            made = time.perf_counter() - start
            cpu_ms, wall_ms, got = fastest(lambda r=run: r(ws), runs)
            frames[level]["bf16"] = [cpu_ms, wall_ms, *picture_error(got, want), made]
            for name, static in (("int8 dyn", False), ("int8 static", True)):
                q, made = int8_session(backend.info.graph_path(level), Path(tmp) / f"{level}_{static}.onnx", static, G)
                cpu_ms, wall_ms, got = fastest(lambda q=q: q.run(None, {"ws": ws})[0], runs)
                frames[level][name] = [cpu_ms, wall_ms, *picture_error(got, want), made]
            print(f"    {resolution} {level}: {frames[level]}", file=sys.stderr, flush=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"model": model.name, "levels": backend.levels, "export_s": export_s, "export_cpu_s": export_cpu,
            "export_peak_gb": export_peak_kb / 1e6, "peak_gb": peak_kb / 1e6, "frames": frames,
            "threads": backend.threads, "drag": [drag.level, drag.fps, drag_s]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,512,1024")
    p.add_argument("--runs", type=int, default=3, help="frames measured per level and path, after a warm-up")
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child: measure this size, print JSON
    args = p.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.runs)))
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
        child = subprocess.run([sys.executable, __file__, "--one", str(size), "--runs", str(args.runs)],
                               stdout=subprocess.PIPE, text=True, check=True)
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    threads = rows[0]["threads"]
    print(f"\nexport: wall s (CPU s), peak resident memory after the export / with the preview open; the drag "
          f"level time_drag picked ({threads} thread(s), wall fps) and how long picking took\n")
    print("| model | export | peak: export / preview | drag level (fps, picked in) | release: full frame ms |")
    print("|---|---|---|---|---|")
    for r in rows:
        level, fps, took = r["drag"]
        full = r["frames"]["full"]["fp32"]
        print(f"| {r['model']} | {r['export_s']:.0f} s ({r['export_cpu_s']:.0f}) | {r['export_peak_gb']:.2f} / "
              f"{r['peak_gb']:.2f} GB | {level} ({fps:.1f}/s, {took:.1f} s) | {full[0]:.0f} CPU ({full[1]:.0f} wall) |")
    print("\nper level, batch 1, one thread: CPU ms (wall ms); the cheaper paths with PSNR / mean |diff| against "
          "the fp32 picture and how long making them took\n")
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
