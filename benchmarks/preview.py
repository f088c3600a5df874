"""Live-preview frame times: torch eager vs onnxruntime (CPU, and CUDA/TensorRT where they start), batch 1.

Models: the shipped default model if ``studio/models/default.safetensors`` exists (else the 128 px model we plan to
ship, channels {4..32: 256, 64: 128, 128: 64}, random weights), and the standard 256/512/1024 px tables with
random weights; ``--archs`` adds StyleGAN3 T and R of the same sizes with NVIDIA's released layer tables (random
weights; StyleGAN3 has one level, full). Every level (full and the drag sizes) of every model, each backend measured
in the same run so the ratios are fair: warm-up frames first, then the median of ``--runs`` frames. Frame time is
what the UI gets: ``Backend.render`` from W+ latents to uint8 pixels. Exports go to the normal cache, so a second
run is quick.

    python benchmarks/preview.py [--sizes 128,256,512,1024] [--archs sg2,sg3-t,sg3-r] [--runs 15] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import onnxruntime as ort
import torch

from studio.engine.model.architecture import default_channels
from studio.engine.model.checkpoints import DEFAULT_MODEL, load_model
from studio.engine.model.loaded import LoadedModel
from studio.engine.model.stylegan2 import Generator
from studio.engine.model.stylegan3 import Generator as SG3Generator
from studio.engine.preview.export.cache import cached_export
from studio.engine.preview.runtime import Backend, OrtBackend, TorchBackend, nvidia_driver_present, physical_cores

SHIP_CHANNELS = {4: 256, 8: 256, 16: 256, 32: 256, 64: 128, 128: 64}
# NVIDIA's released StyleGAN3 configurations (train.py): T is the module's defaults; R doubles the channels and
# uses 1x1 convolutions and radial filters.
SG3_CONFIGS = {"sg3-t": {}, "sg3-r": dict(channel_base=65536, channel_max=1024, conv_kernel=1, use_radial_filters=True)}


def models(sizes: list[int], archs: tuple[str, ...] = ("sg2",)) -> list[LoadedModel]:
    """The models of each size, in the order of ``archs`` ("sg2", "sg3-t", "sg3-r")."""
    return [build_model(res, arch) for res in sizes for arch in archs]


def build_model(res: int, arch: str = "sg2") -> LoadedModel:
    torch.manual_seed(res)
    if arch in SG3_CONFIGS:
        G3 = SG3Generator(res, **SG3_CONFIGS[arch]).eval().requires_grad_(False)
        return LoadedModel(G3, None, None, "studio", {"name": f"{res} px {arch} released table, random"})
    if res == 128 and DEFAULT_MODEL.exists():
        return load_model(DEFAULT_MODEL)
    channels = SHIP_CHANNELS if res == 128 else default_channels(res)
    G = Generator(res, channels).eval().requires_grad_(False)
    name = "ship table, random" if res == 128 else "standard, random"
    return LoadedModel(G, None, None, "studio", {"name": f"{res} px {name}"})


def gflop(G: Generator | SG3Generator, resolution: int) -> float:
    """Multiply-adds of the convolutions up to ``resolution``, as GFLOP (2 per MAC): the work of one frame
    (StyleGAN3: every layer's, at its input's size plus the padding; its filters not counted)."""
    macs = 0
    if G.architecture != "sg2":
        for layer in G.synthesis.layers():
            k = layer.conv_kernel
            macs += k * k * layer.in_channels * layer.out_channels * (layer.in_size + k - 1) ** 2
        return 2 * macs / 1e9
    for block in G.synthesis.blocks():
        if block.resolution > resolution:
            break
        r, cout = block.resolution, block.conv1.weight.shape[0]
        if hasattr(block, "conv0"):
            macs += 9 * block.conv0.weight.shape[1] * cout * (r // 2) ** 2  # stride-2 transposed conv
        macs += 9 * cout * cout * r * r + 3 * cout * r * r
    return 2 * macs / 1e9


def median_ms(
    backend: Backend, ws: np.ndarray, level: str, runs: int, seconds: float, warmup: int = 2
) -> tuple[float, float]:
    """Median wall-clock and median process CPU milliseconds per frame.

    On a machine shared with other jobs the wall clock measures the queue for the cores as much as the work;
    the CPU time of a single-threaded run (``--threads 1``) does not, so it is the figure to compare there.
    """
    for _ in range(warmup):  # warm-up: first runs allocate and (onnxruntime) pick kernels
        backend.render(ws, level)
    wall: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(wall) < runs and (len(wall) < min(3, runs) or time.perf_counter() < deadline):
        start, start_cpu = time.perf_counter(), time.process_time()
        backend.render(ws, level)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def backends_for(model: LoadedModel, threads: int) -> list[Backend]:
    path = cached_export(model)
    found: list[Backend] = [TorchBackend(model.G), OrtBackend(path, "cpu", threads=threads)]
    for provider in ("cuda", "tensorrt") if nvidia_driver_present() else ():
        try:
            found.append(OrtBackend(path, provider))
        except Exception as e:  # noqa: BLE001 - a provider that does not start is reported and skipped
            print(f"  ({model.name}: onnxruntime {provider} did not start: {str(e).splitlines()[0][:120]})")
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="128,256,512,1024")
    p.add_argument("--archs", default="sg2", help="sg2, sg3-t, sg3-r: which networks of each size")
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2, help="frames drawn before measuring")
    p.add_argument("--seconds", type=float, default=20.0, help="stop measuring one cell after this long (min 3 runs)")
    p.add_argument("--threads", type=int, default=physical_cores(), help="CPU threads for torch and onnxruntime")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
          f"{physical_cores()} physical cores; torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"onnxruntime {ort.__version__}; load average at start {os.getloadavg()[0]:.1f}")
    rows = []
    for model in models([int(s) for s in args.sizes.split(",")], tuple(args.archs.split(","))):
        G = model.G
        ws = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(0))).numpy()
        backends = backends_for(model, args.threads)
        for level, res in backends[0].levels.items():
            times = {b.name: median_ms(b, ws, level, args.runs, args.seconds, args.warmup) for b in backends}
            rows.append((model.name, level, res, gflop(G, res), times))
            cells = ", ".join(f"{k} {w:.1f} ms ({c:.1f} CPU)" for k, (w, c) in times.items())
            print(f"  {model.name} {level}: {cells}", flush=True)
    names = list(rows[0][4])
    print(f"\nbatch 1, {args.threads} thread(s); each cell: median wall ms (median CPU ms)\n")
    print("| model | level | px | GFLOP/frame | " + " | ".join(names)
          + " | ORT CPU fps (wall) | ORT CPU vs torch (wall / CPU) |")
    print("|---" * (6 + len(names)) + "|")
    for name, level, res, work, times in rows:
        (ort_wall, ort_cpu), (torch_wall, torch_cpu) = times["onnxruntime CPU"], times["torch cpu"]
        cells = " | ".join(f"{w:.1f} ({c:.1f})" for w, c in times.values())
        print(f"| {name} | {level} | {res} | {work:.2f} | {cells} | {1000 / ort_wall:.1f} | "
              f"{torch_wall / ort_wall:.2f}x / {torch_cpu / ort_cpu:.2f}x |")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f} (2-core machine shared with other jobs)")


if __name__ == "__main__":
    main()
