"""The methods on big models: the colour search and the projection at a reduced work size (what it costs and what
it keeps), and a customization step.

``quality``: on a trained model (the shipped 64 px default: no bigger trained model can be downloaded here, and
training one is out of reach of a shared CPU core), the methods at full size against half and quarter size. First
how faithful the model's own output at the work size is: PSNR of its RGB output there against its full picture
area-averaged down, over sampled portraits. Then the world portraits' hair recoloured, from their full-size
projection, at each work size, with the finer layers' share held (what the studio does) and with the model's own
output alone ("own": a plain early exit) (ΔE of the hair's mean colour to the target and the change outside the
hair, measured on the full picture); and world portraits and "paintings" (benchmarks/recolor.py's) projected at
full and half size (PSNR of the full picture; "detail at full": the half-size projection's W+ with the detail pass
run at full size instead).

``timing``: CPU seconds per step and per whole method (100-step search, 300-step projection), full size against
the search's automatic work size and a projection at 256 px, on random-weight NVIDIA-layout models (the standard
channel table, D included) at 256, 512 and 1024 px. Per step from the steps' own clock; a whole method is its fixed
costs (measured: the private copy, the start and end renders; the Gaussian fit of the mapping, once per model, is
listed apart) plus its steps at that rate. Also the fidelity figure above for these models (random weights).
CPU time (``time.thread_time``), not wall time: the machine is shared.

``customize``: Sketch Your Own GAN on a random-weight NVIDIA-layout model with D (saved and loaded back, as a user's
file), the studio's starting settings for it (recommended_settings: mapping, batch 4, the edge extractor, no real
images) and the sketches the studio ships, a few steps so that each cost shows apart: a plain step, the selection
(every 25 steps), the preview (every 50), D's R1 pass (every 16) and the set-up; then how many steps 10 minutes
hold at the default schedule. CPU and wall seconds (a token's check stamps each step's start).

    python benchmarks/work_size.py quality [--model default]
    python benchmarks/work_size.py timing [--sizes 256,512,1024] [--work full,auto]
    python benchmarks/work_size.py customize [--size 256] [--sketches left-three-quarter]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from recolor import delta_e, painterly, table

from studio.engine import load_model
from studio.engine.customize.config import CustomizeConfig, recommended_settings
from studio.engine.customize.loop import customize
from studio.engine.customize.selection import SELECT_SEEDS
from studio.engine.images import fit_image, image_to_tensor, psnr, tensor_to_images
from studio.engine.invert import pulse
from studio.engine.invert.projection import DETAIL_MIN, ImageDistance, _lr_factor, project
from studio.engine.invert.pulse import search
from studio.engine.invert.pulse_fit import PrivateSynthesis, WorkRender, latent_stats
from studio.engine.invert.work_size import SEARCH_WORK, work_size_for
from studio.engine.jobs import CancelToken, Progress
from studio.engine.model.safetensors_io import save_model
from studio.engine.model.stylegan2 import Discriminator, Generator
from studio.engine.paths import shipped
from studio.engine.resample import area_downscale
from studio.engine.world import HAIR_COLORS, render_sample

TARGETS = ("blue", "pink", "blond", "green")


@torch.no_grad()
def fidelity(G: Generator, sizes: list[int], samples: int, seed: int = 0) -> list[float]:
    """Mean PSNR of the model's own output at each of ``sizes`` against its full picture area-averaged there."""
    ws = G.mapping(torch.randn(samples, G.z_dim, generator=torch.Generator().manual_seed(seed)))
    out = np.zeros((samples, len(sizes)))
    for i in range(samples):
        full = G.synthesis(ws[i : i + 1])
        for j, size in enumerate(sizes):
            small = G.synthesis(ws[i : i + 1], max_resolution=size)
            out[i, j] = psnr(tensor_to_images(small)[0], tensor_to_images(area_downscale(full, size))[0])
    return out.mean(0).tolist()


class OwnOutput(WorkRender):
    """The model's own output at the work size alone, no finer layers' share: what a plain early exit gives."""

    def __call__(self, ws: torch.Tensor) -> torch.Tensor:
        return self.synth(ws, self.size) if self.reduced else self.synth(ws)


def detail_at_full_size(G: Generator, D: Discriminator | None, ws: torch.Tensor, goal: np.ndarray, steps: int,
                        lr: float = 0.1) -> float:
    """PSNR of ``ws`` after the projection's detail pass run at full size (every map from 32 px up, D's features
    too) instead of at the work size: the same W+ (a reduced projection's W+ pass), the model's noise to start from."""
    synth = PrivateSynthesis(G)
    maps = synth.trainable_fine_noise(DETAIL_MIN, G.resolution)
    distance = ImageDistance(image_to_tensor(goal), D)
    opt = torch.optim.Adam(maps, lr=lr)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * _lr_factor(step / steps)
        for p, g in zip(maps, torch.autograd.grad(distance(synth(ws)), maps)):
            p.grad = g
        opt.step()
    with torch.no_grad():
        return psnr(tensor_to_images(synth(ws))[0], goal)


def quality(args: argparse.Namespace) -> None:
    model = load_model(args.model)
    G, D = model.G, model.D
    res = G.resolution
    sizes = [res // 2**k for k in range(3) if res // 2**k >= 16]
    latent_stats(G)
    print(f"model {model.name} ({res} px), one thread; work sizes {sizes}")
    table("Fidelity: PSNR (dB) of the model's own output at the work size against its full picture area-averaged",
          ["work size", "PSNR"], list(zip(sizes[1:], fidelity(G, sizes[1:], args.samples))))

    proj_rows, rec_rows = [], []
    for kind, seeds in (("world", args.seeds), ("painting", args.paintings)):
        for s in (int(x) for x in seeds.split(",") if x):
            sample = render_sample(s, res)
            image = sample.image if kind == "world" else painterly(sample.image, s)
            goal = fit_image(image, res)
            full = None
            for work in sizes[:2]:
                t = time.thread_time()
                p = project(G, image, D=D, steps=args.project_steps, work_size=work)
                secs = time.thread_time() - t
                full = full or p
                again = detail_at_full_size(G, D, p.ws, goal, round(args.project_steps * 0.25)) if work < res else "-"
                proj_rows.append([kind, s, work, p.portrait_psnr, p.psnr, again, secs])
                print(proj_rows[-1], flush=True)
            if kind != "world":
                continue
            hair = sample.masks["hair"]
            for name in TARGETS:
                rgb = HAIR_COLORS[name]
                paint = np.zeros((*hair.shape, 4), np.uint8)
                paint[hair] = (*rgb, 255)
                for work, how in [(res, "full")] + [(w, h) for w in sizes[1:] for h in ("held", "own")]:
                    pulse.WorkRender = WorkRender if how != "own" else OwnOutput
                    t = time.thread_time()
                    r = search(G, paint, start_ws=full.ws, start_noise=full.noise, steps=args.steps, work_size=work)
                    secs = time.thread_time() - t
                    outside = np.abs(r.image.astype(float) - full.image.astype(float))[~hair].mean() / 255
                    rec_rows.append([s, name, f"{work} {how}", delta_e(full.image, hair, rgb)[1],
                                     delta_e(r.image, hair, rgb)[1], 100 * outside, secs])
                    print(rec_rows[-1], flush=True)
                pulse.WorkRender = WorkRender
    table(f"Recolour from the full-size projection, {args.steps} steps (on the full picture; held: the finer layers' "
          "share held, as the studio does; own: the model's own output alone)",
          ["seed", "target", "work", "ΔE before", "ΔE after", "outside %", "CPU s"], rec_rows)
    table(f"Projection, {args.project_steps} steps (PSNR dB of the full picture; 'detail at full': the half-size "
          "projection's W+ with the detail pass at full size instead)",
          ["image", "seed", "work", "W+ alone", "detail", "detail at full", "CPU s"], proj_rows)
    for how in dict.fromkeys(r[2] for r in rec_rows):
        a = np.array([r[3:] for r in rec_rows if r[2] == how], float)
        print(f"search at {how}: ΔE of the hair's mean colour {a[:, 1].mean():.1f} (worst {a[:, 1].max():.1f}), "
              f"outside {a[:, 2].mean():.2f} % (worst {a[:, 2].max():.2f} %), {a[:, 3].mean():.1f} CPU s per search")
    for work in sizes[:2]:
        a = np.array([r[3:5] for r in proj_rows if r[2] == work], float)
        print(f"projection at {work}: PSNR {a[:, 1].mean():.2f} dB (worst {a[:, 1].min():.2f}), W+ alone "
              f"{a[:, 0].mean():.2f}")


class Clock:
    """The thread's CPU time at each reported step."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}

    def __call__(self, p: Progress) -> None:
        self.at[p.done] = time.thread_time()


def timing(args: argparse.Namespace) -> None:
    rows = []
    paint = np.zeros((32, 32, 4), np.uint8)
    paint[2:10, 8:24] = (40, 80, 230, 255)
    for res in (int(x) for x in args.sizes.split(",")):
        torch.manual_seed(0)
        G, D = Generator(res).eval(), Discriminator(res).eval()
        t = time.thread_time()
        latent_stats(G)
        fit = time.thread_time() - t
        with torch.no_grad():
            start = G.mapping(torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(1)))
            target = tensor_to_images(G.synthesis(G.mapping(torch.randn(1, G.z_dim))))[0]
        for work in args.work.split(","):
            search_size = res if work == "full" else work_size_for(res, SEARCH_WORK)
            clock, t = Clock(), time.thread_time()
            search(G, paint, start_ws=start, steps=3, preview_every=1, work_size=search_size, progress=clock)
            total = time.thread_time() - t
            step = (clock.at[3] - clock.at[1]) / 2
            fixed = total - 3 * step
            rows.append([res, "search", search_size, step, fixed, fixed + 100 * step, fit])
            project_size = res if work == "full" else min(args.project_work, res)
            if work != "full" and project_size == res:
                continue
            clock, t = Clock(), time.thread_time()
            project(G, target, D=D, steps=6, detail=0.5, preview_every=1, work_size=project_size, progress=clock)
            total = time.thread_time() - t
            w_step, d_step = (clock.at[3] - clock.at[1]) / 2, (clock.at[6] - clock.at[4]) / 2
            fixed = total - 3 * w_step - 3 * d_step
            rows.append([res, "projection W+ | detail", project_size, f"{w_step:.2f} | {d_step:.2f}", fixed,
                         fixed + 225 * w_step + 75 * d_step, fit])
            print(rows[-2:], flush=True)
        if args.samples:
            smaller = [s for s in (64, 128, 256) if s < res]
            rows.append([res, "fidelity (PSNR dB)", " | ".join(map(str, smaller)),
                         " | ".join(f"{v:.1f}" for v in fidelity(G, smaller, args.samples)), "", "", ""])
    table("CPU seconds, one torch thread (random-weight NVIDIA-layout models, standard channel table, D included); "
          "whole = fixed + 100 search steps or 225 W+ + 75 detail projection steps; the fit is once per model",
          ["px", "method", "work size", "per step", "fixed", "whole", "fit"], rows)


class Stamps(CancelToken):
    """CPU and wall clock at each step's start (the loop checks its token there) and end (its progress report)."""

    def __init__(self) -> None:
        super().__init__()
        self.start: list[tuple[float, float]] = []
        self.end: list[tuple[float, float]] = []

    def check(self) -> None:
        super().check()
        self.start.append((time.process_time(), time.perf_counter()))

    def __call__(self, p: Progress) -> None:
        self.end.append((time.process_time(), time.perf_counter()))


def customize_timing(args: argparse.Namespace) -> None:
    torch.manual_seed(0)
    G, D = Generator(args.size).eval(), Discriminator(args.size).eval()
    with tempfile.TemporaryDirectory() as tmp:
        model = load_model(save_model(Path(tmp) / f"random{args.size}.safetensors", G, D))
        settings = recommended_settings(model)
        # 5 steps: selection at 3 and 5, previews at 1 and 5 (the first and last), R1 at the first (step 0 % 16)
        cfg = CustomizeConfig(out=str(Path(tmp) / "custom.safetensors"), **{**settings, "steps": 5}, select_every=3,
                              preview_every=5, checkpoint_every=5)
        stamps, c0, t0 = Stamps(), time.process_time(), time.perf_counter()
        customize(model, shipped("resources", "sketches", args.sketches), cfg, progress=stamps, token=stamps)
        c_end, t_end = time.process_time(), time.perf_counter()
    load = os.getloadavg()
    steps = [tuple(e - s for e, s in zip(end, start)) for start, end in zip(stamps.start, stamps.end)]
    plain = tuple((a + b) / 2 for a, b in zip(steps[1], steps[3]))
    select = tuple(a - b for a, b in zip(steps[2], plain))
    preview = tuple(a - b for a, b in zip(steps[4], steps[2]))  # with the last step's checkpoint
    r1 = tuple(a - b - c for a, b, c in zip(steps[0], plain, preview))
    setup = (stamps.start[0][0] - c0, stamps.start[0][1] - t0)
    save = (c_end - stamps.end[-1][0], t_end - stamps.end[-1][1])
    cfg_default = CustomizeConfig(out="x.safetensors")
    # a step at the default schedule: selection every select_every, preview every preview_every, R1 every r1_every
    mean = tuple(p + s / cfg_default.select_every + v / cfg_default.preview_every + r / cfg_default.r1_every
                 for p, s, v, r in zip(plain, select, preview, r1))
    rows = [["set-up (extractor, base previews)", *setup], ["plain step", *plain],
            [f"selection ({len(SELECT_SEEDS)} held-out samples), each {cfg_default.select_every} steps",
             *select], [f"preview, each {cfg_default.preview_every} steps", *preview],
            [f"D's R1 pass, each {cfg_default.r1_every} steps", *r1], ["saving G′ at the end", *save],
            ["a step at the default schedule", *mean]]
    how = ", ".join(f"{k} {v}" for k, v in settings.items())
    table(f"Customize on a {args.size} px random-weight model with D, sketches {args.sketches}, {how}; "
          f"{torch.get_num_threads()} torch thread(s), load {load[0]:.1f} at the end",
          ["part", "CPU s", "wall s"], rows)
    for name, i in (("CPU", 0), ("wall", 1)):
        fits = (600 - setup[i] - save[i]) / mean[i]
        print(f"10 minutes of {name} time hold {fits:.0f} steps (default: {cfg_default.steps})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--samples", type=int, default=16, help="sampled portraits for the fidelity figure")
    sub = ap.add_subparsers(dest="part", required=True)
    q = sub.add_parser("quality", help="the methods at full, half and quarter size on a trained model")
    q.add_argument("--model", default="default")
    q.add_argument("--seeds", default="0,1,2", help="world seeds to project and recolour")
    q.add_argument("--paintings", default="5000,5001,5002", help="world seeds turned into 'paintings'")
    q.add_argument("--steps", type=int, default=100, help="search steps")
    q.add_argument("--project-steps", type=int, default=300)
    t = sub.add_parser("timing", help="seconds per step and per method on random-weight big models")
    t.add_argument("--sizes", default="256,512,1024")
    t.add_argument("--work", default="full,auto", help="full and/or auto (the search's automatic work size, the "
                                                       "projection at --project-work)")
    t.add_argument("--project-work", type=int, default=256, help="the reduced projection's work size")
    c = sub.add_parser("customize", help="seconds per customization step on a random-weight big model")
    c.add_argument("--size", type=int, default=256)
    c.add_argument("--sketches", default="left-three-quarter", help="a folder of studio/resources/sketches")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    {"quality": quality, "timing": timing, "customize": customize_timing}[args.part](args)


if __name__ == "__main__":
    main()
