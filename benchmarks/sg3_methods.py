"""The colour search, the projection and a customize step on StyleGAN3: what they cost on one CPU thread.

No trained StyleGAN3 can be downloaded here, so the model is a random-weight T (or R) built with NVIDIA's released
layer table (14 layers + ToRGB, 10 px margins, the cutoff and sampling-rate progression) at a quarter of the released
widths by default (channel_base 8192, channel_max 128: full widths cost 13 CPU s a search step at 64 px), with the
StyleGAN2 D its snapshots carry. The targets are the model's own pictures, so the figures are costs and convergence
on a reachable target, not picture quality:

- search: seed 1 (ψ 0.7), moved by translate (0.1, 0) and turned 10°, a blue patch painted over its upper third;
  the RMS colour error inside the patch (8-bit levels) at step 0 and at the best step;
- projection: seed 5's picture (ψ 0.7) from the mean w, D's features in the distance; PSNR at the first preview
  and at the end;
- customize: seconds per step at batch 4 in "mapping" (the default) and "full" mode, one sketch, no real images
  (L_weight), measured between the reports of step 1 and the step before the last (the first and last render
  previews; no scoring or checkpoint in between).

CPU time (``time.thread_time``), not wall time: the machine is shared. The whole methods at their default lengths
(100 search steps, 300 projection steps) are the per-step rate times those.

    taskset -c 0 python benchmarks/sg3_methods.py [--size 64] [--config t] [--steps 20] [--customize-steps 4]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from studio.engine import LoadedModel
from studio.engine.customize.config import CustomizeConfig
from studio.engine.customize.loop import customize
from studio.engine.edit.latents import seed_ws
from studio.engine.images import tensor_to_images
from studio.engine.invert.projection import project
from studio.engine.invert.pulse import search
from studio.engine.invert.pulse_fit import latent_stats
from studio.engine.jobs import Progress
from studio.engine.model.architecture import default_channels
from studio.engine.model.stylegan2 import Discriminator
from studio.engine.model.stylegan3 import Generator, input_transform


def model(size: int, config: str, width: float) -> LoadedModel:
    torch.manual_seed(0)
    r = config == "r"
    base, most = round(32768 * (2 if r else 1) * width), round(512 * (2 if r else 1) * width)
    G = Generator(size, channel_base=base, channel_max=most, conv_kernel=1 if r else 3, use_radial_filters=r)
    D = Discriminator(size, default_channels(size))
    return LoadedModel(G.eval(), D.eval(), None, "studio", {"name": f"random sg3-{config} {size}px"})


def timed(fn, *args, **kw):
    t = time.thread_time()
    out = fn(*args, **kw)
    return out, time.thread_time() - t


class StepClock:
    """A progress callback that notes the CPU time of each step's report, by step."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}

    def __call__(self, progress: Progress) -> None:
        self.at[progress.done] = time.thread_time()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--config", choices=("t", "r"), default="t")
    ap.add_argument("--width", type=float, default=0.25, help="of the released channel widths")
    ap.add_argument("--steps", type=int, default=20, help="search and projection steps")
    ap.add_argument("--customize-steps", type=int, default=4, help="at least 3")
    args = ap.parse_args()
    torch.set_num_threads(1)
    m = model(args.size, args.config, args.width)
    G = m.G
    params = sum(p.numel() for p in G.parameters()) / 1e6
    _, fit = timed(latent_stats, G)
    print(f"{m.name}, {params:.1f} M parameters, widths x{args.width:g}, one thread; the Gaussian fit of the "
          f"mapping (50k z, once per model) {fit:.1f} CPU s")

    start = seed_ws(G, [1], 0.7)
    moved = input_transform((0.1, 0.0), 10.0)
    paint = np.zeros((args.size, args.size, 4), np.uint8)
    paint[: args.size // 3, args.size // 4 : 3 * args.size // 4] = (40, 80, 230, 255)
    first = search(G, paint, start_ws=start, steps=1, transform=moved)
    r, secs = timed(search, G, paint, start_ws=start, steps=args.steps, transform=moved)
    rms = [255 * math.sqrt(x.l2_in_mask) for x in (first, r)]
    print(f"search, {args.steps} steps: RMS colour error in the patch {rms[0]:.1f} -> {rms[1]:.1f} levels; "
          f"{secs:.1f} CPU s, {secs / args.steps:.2f} s a step (100 steps: {100 * secs / args.steps:.0f} s)")

    with torch.no_grad():
        goal = tensor_to_images(G.synthesis(seed_ws(G, [5], 0.7)))[0]
    p, secs = timed(project, G, goal, D=m.D, steps=args.steps, preview_every=1)
    print(f"projection, {args.steps} steps (detail share {p.detail:g}: no noise maps): PSNR {p.history[0][1]:.1f} -> "
          f"{p.psnr:.1f} dB; {secs:.1f} CPU s, {secs / args.steps:.2f} s a step (300 steps: "
          f"{300 * secs / args.steps:.0f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        sketches = Path(tmp) / "sketches"
        sketches.mkdir()
        ink = np.full((args.size, args.size), 255, np.uint8)
        ink[args.size // 4 : 3 * args.size // 4, args.size // 2 - 2 : args.size // 2 + 2] = 0
        Image.fromarray(ink).save(sketches / "s.png")
        for mode in ("mapping", "full"):
            clock = StepClock()
            cfg = CustomizeConfig(out=str(Path(tmp) / f"{mode}.safetensors"), steps=args.customize_steps, train=mode,
                                  select_every=0, preview_every=10**6, checkpoint_every=10**6)
            customize(m, sketches, cfg, progress=clock)
            last = args.customize_steps - 1  # the first and last steps render previews too
            per = (clock.at[last] - clock.at[1]) / (last - 1)
            print(f"customize ({mode}, batch {cfg.batch}, no real images): {per:.1f} CPU s a step")


if __name__ == "__main__":
    main()
