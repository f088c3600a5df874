"""Train on your pictures: warm-start a model on small folders and read the outcome with the world probe.

A. A folder of world portraits of one look the default model rarely draws (by default 50 with blue hair on a
   plain background): the share of samples the probe reads as that look (hair colour AND background) before
   and after, the diversity kept (mean pairwise distance of probe features), and the training minutes until
   ≥ 80 % of samples have the look (checked every ``--check-kimg``; sampling time not counted).
B. A folder of 30 painterly pictures (world portraits of other seeds through benchmarks/recolor.py's painterly
   filter): probe Fréchet distance of the model's samples to the folder before and after.
``--variants`` compares settings, each run from the same start on the same folder: ``few-shot`` is what the folder
gets by default; ``augment=translation-cutout+freeze_d=2`` changes those TrainConfig fields on top of it (kept as a
user's choice would be).

Both runs use exactly what the window and ``studio train --init MODEL --data DIR`` use: the cpu64 recipe with
the few-shot settings for the folder's size (studio/engine/train/few_shot.py). Training time is reported twice:
wall time of the training steps with ``--threads`` torch threads (what it took here, with whatever else ran
beside), and the process's CPU time divided by the thread count (what two free cores would need, at best;
run with OMP_WAIT_POLICY=PASSIVE so that waiting threads burn no CPU time).

    python benchmarks/finetune.py --model default
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.engine import LoadedModel, load_model
from studio.engine.images import save_png, tensor_to_images
from studio.engine.jobs import Cancelled, CancelToken, Progress
from studio.engine.model.stylegan2 import Generator
from studio.engine.train import Trainer, preset
from studio.engine.train.config import AUGMENTS, TrainConfig
from studio.engine.train.few_shot import apply_few_shot
from studio.engine.world import render_sample, sample_attributes
from studio.engine.world.attributes import BACKGROUNDS
from studio.engine.world.probe import (
    HAIR_NAMES,
    ProbeReadout,
    WorldProbe,
    frechet_distance,
    load_probe,
    mean_pairwise_distance,
    read_images,
)

sys.path.insert(0, str(Path(__file__).parent))
from recolor import painterly

TARGET = 0.8
FOLDER_SEEDS = 2_000_000  # world seeds of the folders: far from the seeds any model was trained on first
PAINTING_SEEDS = 3_000_000


@torch.no_grad()
def samples(G: Generator, n: int, seed: int, batch: int = 100) -> np.ndarray:
    """``n`` samples at psi 1 from seeded z (fp32, the CPU's non-fused path)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, n, batch):
        z = torch.randn(min(batch, n - i), G.z_dim, generator=gen)
        out.append(tensor_to_images(G.synthesis(G.mapping(z), noise_mode="const", fused=False)))
    return np.concatenate(out)


def look_folder(hair: str, background: str, n: int, size: int) -> np.ndarray:
    seeds, s = [], FOLDER_SEEDS
    while len(seeds) < n:
        a = sample_attributes(s)
        if a["hair"]["color"] == hair and a["background"]["kind"] == background:
            seeds.append(s)
        s += 1
    return np.stack([render_sample(s, size).image for s in seeds])


def painterly_folder(n: int, size: int, start: int) -> np.ndarray:
    return np.stack([painterly(render_sample(s, size).image, s) for s in range(start, start + n)])


def write(images: np.ndarray, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for i, im in enumerate(images):
        save_png(folder / f"{i:03d}.png", im)
    return folder


def share(r: ProbeReadout, hair: str, background: str) -> float:
    return float(((r.hair == HAIR_NAMES.index(hair)) & (r.background == BACKGROUNDS.index(background))).mean())


def parse_variant(text: str) -> dict[str, Any]:
    """``few-shot`` -> {}; ``augment=translation-cutout+freeze_d=2`` -> those TrainConfig fields, typed as theirs."""
    if text == "few-shot":
        return {}
    defaults = TrainConfig()
    names = {f.name for f in fields(TrainConfig)}
    out: dict[str, Any] = {}
    for item in text.split("+"):
        name, _, value = item.partition("=")
        if name not in names or not value:
            raise SystemExit(f"--variants: {item!r} is not FIELD=VALUE for a TrainConfig field.")
        default = getattr(defaults, name)
        if isinstance(default, bool):
            out[name] = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(default, str):  # augment=none is the string "none"
            out[name] = value
        elif value.lower() == "none":  # an optional setting turned off, e.g. ema_rampup=none
            out[name] = None
        else:
            out[name] = int(value) if isinstance(default, int) else float(value)
    return out


def finetune(model: str, folder: Path, pictures: int, minutes: float, kimg: float, check_kimg: float, threads: int,
             check, out: Path, settings: dict[str, Any],
             ) -> tuple[Trainer, list[tuple[float, float, float, float]], list[str]]:
    """Train until ``check(G_ema)`` says stop, ``minutes`` of training pass or ``kimg`` are shown (then checked
    once more); returns the trainer, the checks as (training wall minutes, CPU minutes / threads, kimg, value) and
    the few-shot lines. ``settings``: TrainConfig fields set on top of the few-shot ones."""
    cfg = preset("cpu64", init=model, data=str(folder), out_dir=str(out), steps=10**7, checkpoint_every=10**7,
                 sample_every=10**7, workers=0, **settings)
    cfg, lines = apply_few_shot(cfg, pictures, keep=settings, resolution=load_model(model).G.resolution)
    torch.set_num_threads(threads)
    trainer = Trainer(cfg)
    every = max(1, round(check_kimg * 1000 / cfg.batch))
    token, checks = CancelToken(), []
    clock = {"wall": 0.0, "cpu": 0.0}

    def mark() -> None:
        clock["wall_mark"], clock["cpu_mark"] = time.perf_counter(), time.process_time()

    def progress(p: Progress) -> None:
        spent = trainer.images_seen >= kimg * 1000
        if p.done == 0 or token.cancelled or (p.done % every and not spent):  # a cancel takes a step to land
            return
        clock["wall"] += time.perf_counter() - clock["wall_mark"]
        clock["cpu"] += time.process_time() - clock["cpu_mark"]
        value, stop = check(trainer.G_ema)
        wall, cpu = clock["wall"] / 60, clock["cpu"] / 60 / threads
        checks.append((wall, cpu, trainer.images_seen / 1000, value))
        print(f"  {wall:5.2f} min wall  {cpu:5.2f} min CPU/{threads}  {trainer.images_seen / 1000:6.1f} kimg  "
              f"{value:.3f}  (load {os.getloadavg()[0]:.1f})", flush=True)
        if stop or spent or clock["wall"] >= minutes * 60:
            token.cancel()
        mark()

    mark()
    try:
        trainer.run(progress, token)
    except Cancelled:
        pass
    return trainer, checks, lines


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--hair", default="blue", choices=HAIR_NAMES)
    ap.add_argument("--background", default="plain", choices=BACKGROUNDS)
    ap.add_argument("--pictures", type=int, default=50)
    ap.add_argument("--painterly", type=int, default=30)
    ap.add_argument("--minutes", type=float, default=10.0, help="training budget for A (wall minutes)")
    ap.add_argument("--kimg", type=float, default=10.0, help="training budget for A (thousands of images)")
    ap.add_argument("--painterly-minutes", type=float, default=5.0, help="training budget for B (wall minutes)")
    ap.add_argument("--painterly-kimg", type=float, default=8.0, help="training budget for B (thousands of images)")
    ap.add_argument("--check-kimg", type=float, default=0.5)
    ap.add_argument("--samples", type=int, default=500, help="samples for the before/after figures")
    ap.add_argument("--check-samples", type=int, default=128, help="samples per check during training")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parts", default="AB", help="which measurements to run: A, B or AB")
    ap.add_argument("--variants", default="few-shot",
                    help="comma-separated settings to compare, each its own run from the same start: few-shot (the "
                         "default the folder gets) or FIELD=VALUE[+FIELD=VALUE] on top of it, e.g. "
                         f"augment=translation-cutout+freeze_d=2 (augments: {', '.join(AUGMENTS)})")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    probe = load_probe()
    start = load_model(args.model)
    size = start.G.resolution
    print(f"model {start.name} ({size} px); {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{args.threads} torch threads; load average at start {os.getloadavg()[0]:.1f}")
    tmp = Path(tempfile.mkdtemp(prefix="finetune-"))

    before = read_images(probe, samples(start.G, args.samples, seed=1))
    if "A" in args.parts:
        one_look(args, probe, start, before, tmp)
    if "B" in args.parts:
        painterly_look(args, probe, start, before, tmp)
    return 0


def one_look(args: argparse.Namespace, probe: WorldProbe, start: LoadedModel, before: ProbeReadout, tmp: Path) -> None:
    size = start.G.resolution
    look = look_folder(args.hair, args.background, args.pictures, size)
    folder_read = read_images(probe, look)
    folder = write(look, tmp / "look")
    print(f"\nA. {args.pictures} pictures with {args.hair} hair on a(n) {args.background} background "
          f"(the probe reads {share(folder_read, args.hair, args.background):.0%} of the folder so)")

    def look_check(G: Generator) -> tuple[float, bool]:
        s = share(read_images(probe, samples(G, args.check_samples, seed=2)), args.hair, args.background)
        return s, s >= TARGET

    d_before = mean_pairwise_distance(before.features)
    header, looks, diversity, reach = [""], [f"samples with {args.hair} hair and {args.background} background"], \
        ["diversity (mean pairwise probe distance)"], [f"training minutes to ≥ {TARGET:.0%} (wall; CPU/{args.threads})"]
    for i, variant in enumerate(args.variants.split(",")):
        print(f"\n  variant: {variant}")
        trainer, checks, lines = finetune(args.model, folder, args.pictures, args.minutes, args.kimg, args.check_kimg,
                                          args.threads, look_check, tmp / f"run-look-{i}", parse_variant(variant))
        print("  " + "\n  ".join(lines))
        after = read_images(probe, samples(trainer.G_ema, args.samples, seed=1))
        reached = next(((m, c, k) for m, c, k, v in checks if v >= TARGET), None)
        train_min, cpu_min, kimg = checks[-1][:3] if checks else (0.0, 0.0, 0.0)
        d_after = mean_pairwise_distance(after.features)
        header.append(f"{variant}: after {kimg:.1f} kimg ({train_min:.1f} min wall, "
                      f"{cpu_min:.1f} min CPU/{args.threads})")
        looks.append(f"{share(after, args.hair, args.background):.1%} (checks: "
                     + ", ".join(f"{v:.0%}" for *_, v in checks) + ")")
        diversity.append(f"{d_after:.2f} ({d_after / d_before:.2f}×)")
        reach.append(f"{reached[0]:.1f}; {reached[1]:.1f} ({reached[2]:.1f} kimg)" if reached
                     else f"not reached in {kimg:.1f} kimg (best check {max((v for *_, v in checks), default=0):.0%})")
    world = read_images(probe, np.stack([render_sample(s, size).image for s in range(PAINTING_SEEDS + 10_000,
                                                                                    PAINTING_SEEDS + 10_500)]))
    print()
    table([*header[:1], "start model", *header[1:], "the folder", "the world"], [
        [looks[0], f"{share(before, args.hair, args.background):.1%}", *looks[1:],
         f"{share(folder_read, args.hair, args.background):.0%}", f"{share(world, args.hair, args.background):.1%}"],
        [diversity[0], f"{d_before:.2f}", *diversity[1:], f"{mean_pairwise_distance(folder_read.features):.2f}",
         f"{mean_pairwise_distance(world.features):.2f}"],
        [reach[0], "", *reach[1:], "", ""],
    ])


def painterly_look(args: argparse.Namespace, probe: WorldProbe, start: LoadedModel, before: ProbeReadout,
                   tmp: Path) -> None:
    size = start.G.resolution
    images = painterly_folder(args.painterly, size, PAINTING_SEEDS)
    paintings = read_images(probe, images)
    others = read_images(probe, painterly_folder(args.samples, size, PAINTING_SEEDS + 1_000))
    f_start = frechet_distance(before.features, paintings.features)

    def frechet_check(G: Generator) -> tuple[float, bool]:
        return frechet_distance(read_images(probe, samples(G, args.check_samples, seed=2)).features,
                                paintings.features), False

    f_start_check = frechet_check(start.G)[0]  # the checks' baseline: as many samples as each check
    print(f"\nB. {args.painterly} painterly pictures (probe Fréchet to the folder: start model {f_start:.1f} on "
          f"{args.samples} samples, {f_start_check:.1f} on {args.check_samples})")
    folder = write(images, tmp / "painterly")
    header, frechets, reach = ["", "start model"], ["probe Fréchet to the folder", f"{f_start:.1f}"], \
        [f"training minutes to below the start model's (wall; CPU/{args.threads}; checks of {args.check_samples})", ""]
    for i, variant in enumerate(args.variants.split(",")):
        print(f"\n  variant: {variant}")
        trainer, checks, lines = finetune(args.model, folder, args.painterly, args.painterly_minutes,
                                          args.painterly_kimg, args.check_kimg, args.threads, frechet_check,
                                          tmp / f"run-painterly-{i}", parse_variant(variant))
        print("  " + "\n  ".join(lines))
        f_after = frechet_distance(read_images(probe, samples(trainer.G_ema, args.samples, seed=1)).features,
                                   paintings.features)
        below = next(((m, c, k) for m, c, k, v in checks if v < f_start_check), None)
        train_min, cpu_min, kimg = checks[-1][:3] if checks else (0.0, 0.0, 0.0)
        header.append(f"{variant}: after {kimg:.1f} kimg "
                      f"({train_min:.1f} min wall, {cpu_min:.1f} min CPU/{args.threads})")
        frechets.append(f"{f_after:.1f} ({f_after / f_start:.2f}×)")
        reach.append(f"{below[0]:.1f}; {below[1]:.1f} ({below[2]:.1f} kimg)" if below else "not reached")
    print()
    table([*header, f"{args.samples} other painterly pictures"], [
        [*frechets, f"{frechet_distance(others.features, paintings.features):.1f}"],
        [*reach, ""],
    ])

if __name__ == "__main__":
    raise SystemExit(main())
