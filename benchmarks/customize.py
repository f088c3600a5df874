"""Sketch Your Own GAN on the default model: does G′ keep to the sketched composition, and keep its variety?

Sketches: world contour drawings of one composition (seeds from 3,000,000 up, away from training seeds),
plus a few "hand-drawn-like" ones (the same kind of drawing with thicker, wobbly strokes and a small random
rotation, scale and shift). G and G′ render the same --samples seeds (no truncation); the world probe
(studio/models/world_probe.safetensors) reads each sample's composition, hair colour and background.

Reported: the share of samples in the sketched composition before/after (target ≥ 80 %), attribute
diversity as Shannon entropy of hair colour and background and as mean pairwise probe-feature distance,
each as a ratio after/before (target ≥ 0.8), and seconds per customization step on this CPU (the target is a
useful result within 10 minutes on 2 cores). Without studio/models/default.safetensors or the probe it says so
and exits. Usage: python benchmarks/customize.py [--steps 100] [--g-lr-mult 25] [--composition left-three-quarter]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter

from studio.engine import load_model
from studio.engine.customize import sketches_from_arrays
from studio.engine.customize.trainer import CustomizeConfig, customize
from studio.engine.edit.latents import z_from_seeds
from studio.engine.images import tensor_to_images
from studio.engine.model.checkpoints import DEFAULT_MODEL
from studio.engine.world import BACKGROUNDS, render_sample, sample_attributes
from studio.engine.world.probe import (
    COMPOSITION_NAMES,
    HAIR_NAMES,
    PROBE_PATH,
    entropy_bits,
    load_probe,
    mean_pairwise_distance,
    read_images,
)

FIRST_SKETCH_SEED = 3_000_000


def world_sketches(composition: str, n: int, size: int) -> tuple[list[np.ndarray], list[int]]:
    """The contour drawings of the first ``n`` world seeds (from FIRST_SKETCH_SEED) in ``composition``."""
    out, seeds, seed = [], [], FIRST_SKETCH_SEED
    while len(out) < n:
        if sample_attributes(seed)["composition"] == composition:
            out.append(render_sample(seed, size).sketch)
            seeds.append(seed)
        seed += 1
    return out, seeds


def hand_drawn_like(sketch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thicker strokes, a wobble (a smooth random displacement) and a small rotation/scale/shift."""
    h, w = sketch.shape
    im = Image.fromarray(sketch).filter(ImageFilter.MinFilter(3))
    dy, dx = (np.asarray(Image.fromarray(rng.normal(0, 1.5, (4, 4)).astype(np.float32)).resize((w, h),
              Image.Resampling.BICUBIC)) for _ in range(2))
    yy, xx = np.mgrid[0:h, 0:w]
    a = np.asarray(im)[np.clip(yy + dy, 0, h - 1).astype(int), np.clip(xx + dx, 0, w - 1).astype(int)]
    im = Image.fromarray(a.astype(np.uint8))
    scale = rng.uniform(0.93, 1.07)
    im = im.rotate(rng.uniform(-5, 5), resample=Image.Resampling.BILINEAR, fillcolor=255,
                   translate=tuple(rng.integers(-3, 4, 2).tolist()))
    side = round(w * scale)
    im = im.resize((side, side), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (w, h), 255)
    canvas.paste(im, ((w - side) // 2, (h - side) // 2))
    return np.asarray(canvas)


@torch.no_grad()
def samples(G, n: int) -> np.ndarray:
    return np.concatenate([tensor_to_images(G(z_from_seeds(range(i, min(i + 50, n)), G.z_dim)))
                           for i in range(0, n, 50)])


def figures(probe, images: np.ndarray, target: int) -> dict[str, float]:
    r = read_images(probe, images)
    return {"in_composition": float((r.composition == target).mean()),
            "hair_entropy_bits": abs(entropy_bits(r.hair, len(HAIR_NAMES))),  # abs: no "-0.00"
            "background_entropy_bits": abs(entropy_bits(r.background, len(BACKGROUNDS))),
            "feature_spread": mean_pairwise_distance(r.features)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--composition", default="left-three-quarter", choices=COMPOSITION_NAMES)
    ap.add_argument("--sketches", type=int, default=12, help="world contour drawings")
    ap.add_argument("--hand", type=int, default=4, help="hand-drawn-like sketches added to them")
    ap.add_argument("--steps", type=int, default=100, help="fits the 10-minute target when a step takes under 6 s")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--train", default="mapping")
    ap.add_argument("--extractor", default="world")
    ap.add_argument("--g-lr-mult", type=float, default=25.0, help="G′'s lr = 0.002 × this (see CustomizeConfig)")
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="keep the customized model (and preview PNGs beside it) here")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not Path(args.model).exists():
        print(f"skipped: {args.model} does not exist (train or install the default model first)")
        return 0
    if not PROBE_PATH.exists():
        print(f"skipped: {PROBE_PATH} does not exist (run benchmarks/train_probe.py first)")
        return 0
    base = load_model(args.model)
    size = base.G.resolution
    probe = load_probe(PROBE_PATH)
    target = COMPOSITION_NAMES.index(args.composition)

    drawn, seeds = world_sketches(args.composition, args.sketches + args.hand, size)
    rng = np.random.default_rng(0)
    arrays = drawn[: args.sketches] + [hand_drawn_like(s, rng) for s in drawn[args.sketches:]]
    names = [f"world{s}.png" for s in seeds[: args.sketches]] + [f"hand{s}.png" for s in seeds[args.sketches:]]
    sketch_set = sketches_from_arrays(arrays, names, size)

    before = figures(probe, samples(base.G, args.samples), target)
    stamps: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or Path(tmp) / "custom.safetensors")
        out.parent.mkdir(parents=True, exist_ok=True)
        cfg = CustomizeConfig(out=str(out), steps=args.steps, batch=args.batch, train=args.train,
                              extractor=args.extractor, images="world",
                              g_lr_multiplier=args.g_lr_mult, preview_every=max(1, args.steps // 4))

        def report(p):
            stamps.append(time.perf_counter())
            if p.preview is not None and args.out:
                Image.fromarray(p.preview).save(out.parent / f"preview_{p.done:05d}.png")
            if p.done % 25 == 0:
                print(f"step {p.done}: " + ", ".join(f"{k} {v:.3g}" for k, v in p.metrics.items()), flush=True)

        t0 = time.perf_counter()
        customize(base, sketch_set, cfg, progress=report)
        minutes = (time.perf_counter() - t0) / 60
        after = figures(probe, samples(load_model(out).G, args.samples), target)

    rows = [("in sketched composition", "in_composition", "{:.1%}"),
            ("hair colour entropy (bits)", "hair_entropy_bits", "{:.2f}"),
            ("background entropy (bits)", "background_entropy_bits", "{:.2f}"),
            ("probe feature spread", "feature_spread", "{:.2f}")]
    print(f"\n{base.name} ({size} px), {args.sketches} world + {args.hand} hand-drawn-like sketches of "
          f"{args.composition}, {args.steps} steps, train={args.train}, extractor={args.extractor}, "
          f"G lr ×{args.g_lr_mult}, "
          f"{args.samples} samples\n")
    print("| measure | base | customized | ratio |\n|---|---|---|---|")
    for label, key, fmt in rows:
        ratio = after[key] / before[key] if before[key] else float("nan")
        print(f"| {label} | {fmt.format(before[key])} | {fmt.format(after[key])} | {ratio:.2f} |")
    sec = float(np.median(np.diff([t0] + stamps)))
    print(f"\nseconds per step (median, {args.threads} threads): {sec:.2f}; whole run {minutes:.1f} min")
    if args.json:
        Path(args.json).write_text(json.dumps({"before": before, "after": after, "sec_per_step": sec,
                                               "minutes": minutes, "args": vars(args)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
