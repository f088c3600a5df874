"""Sketch Your Own GAN on the default model: does G′ keep to the sketched composition, and keep its variety?

For each composition and each kind of sketch, one customization with the settings the studio starts from for the
model (recommended_settings: CustomizeConfig's defaults, the world extractor for the default model):
- "world": the world's contour drawings of that composition (seeds from 3,000,000 up, away from training seeds);
- "hand": hand-drawn-like sketches of the same seeds' poses, drawn from their attribute records as a person
  would: the head a bare oval (no hair mass, no features), wobbly strokes, a stroke width of its own per sketch
  and per stroke, lines left out or broken, and the pose itself placed a little off.
G and G′ render the same --samples seeds (no truncation); the world probe (studio/models/world_probe.safetensors)
reads each sample's composition, hair colour and background.

Reported per run: the share of samples in the sketched composition before, at the last step and in the model the
run kept (its best-scoring snapshot, selection.py; target ≥ 80 %), attribute diversity of the kept model as Shannon
entropy of hair colour and background and as mean pairwise probe-feature distance, each as a ratio after/before
(target ≥ 0.8), and the minutes (wall and CPU) the customization took on this CPU (target ≤ 10 on 2 cores).
``--trace`` also reads the probe at every selection point and prints it beside the run's score and other candidate
scores, with their rank correlations: is the probe-free score a fair stand-in for the probe? (With --out it saves
each point's held-out sketches F(G′(z)) and the user's in OUT/<run>_trace.npz, to try other scores on.)
Without studio/models/default.safetensors or the probe it says so and exits.
Usage: python benchmarks/customize.py [--compositions left-three-quarter,close-up] [--kinds world,hand]
       [--steps N] [--mapping-lr-multiplier X] [--extractor default|world] [--train mapping|shift|full]
       [--select-every N] [--trace] [--sheet PNG]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from studio.engine import load_model
from studio.engine.customize import SketchSet, load_extractor, sketches_from_arrays
from studio.engine.customize.checkpoint import CHECKPOINT_KIND, CHECKPOINT_VERSION, set_trainable
from studio.engine.customize.config import CustomizeConfig, recommended_settings
from studio.engine.customize.generator import CustomGenerator
from studio.engine.customize.loop import customize
from studio.engine.customize.selection import SELECT_SEEDS, blurred_ink, sketch_distance
from studio.engine.edit.latents import z_from_seeds
from studio.engine.images import tensor_to_images
from studio.engine.train.checkpoint import load_state
from studio.engine.world import BACKGROUNDS, render_sample, sample_attributes
from studio.engine.world.probe import (
    COMPOSITION_NAMES,
    HAIR_NAMES,
    PROBE_PATH,
    ProbeReadout,
    entropy_bits,
    load_probe,
    mean_pairwise_distance,
    read_images,
)

FIRST_SKETCH_SEED = 3_000_000
KINDS = ("world", "hand")
SUPERSAMPLE = 4  # hand-drawn-like sketches are drawn at 4x and box-filtered down, like the world's
TUNABLE = ("steps", "batch", "train", "extractor", "mapping_lr_multiplier", "lr_rampdown", "lambda_image", "augment",
           "lr", "select_every")
# Candidate selection scores the trace compares with the probe: (name, blur sigma as a fraction of the side, how)
CANDIDATES = (("l1 nearest, blur 3 %", 0.03, "nearest"), ("l1 nearest, blur 12 %", 0.12, "nearest"),
              ("l1 nearest, blur 24 %", 0.24, "nearest"), ("l1 mean over sketches, blur 12 %", 0.12, "mean"),
              ("cosine nearest, blur 6 %", 0.06, "cosine"), ("cosine nearest, blur 12 %", 0.12, "cosine"))


def composition_seeds(composition: str, n: int) -> list[int]:
    """The first ``n`` world seeds from FIRST_SKETCH_SEED whose portrait has ``composition``."""
    seeds, seed = [], FIRST_SKETCH_SEED
    while len(seeds) < n:
        if sample_attributes(seed)["composition"] == composition:
            seeds.append(seed)
        seed += 1
    return seeds


def _wobble(points: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """A hand's wobble: a smooth random displacement (three random-phase sines along the stroke)."""
    t = np.linspace(0, 1, len(points))[:, None]
    return points + sum(rng.normal(0, amount / k, 2) * np.sin(np.pi * k * t + rng.uniform(0, 2 * np.pi))
                        for k in (1, 2, 3))


def _pose_strokes(attrs: dict, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Polylines (pixels at ``n``) of a quick drawing of the portrait's pose: oval head, neck, shoulders, and for
    about half of them one arc for the hair; the pose is placed, sized and tilted a little off the record's."""
    head = attrs["head"]
    x = (head["x"] + rng.normal(0, 0.015)) * n
    y = (head["y"] + rng.normal(0, 0.015)) * n
    b = head["scale"] * n * np.exp(rng.normal(0, 0.06))  # half the head's height
    tilt, turn = np.radians(head["tilt_deg"] + rng.normal(0, 4)), head["turn"]
    a = np.linspace(0, 2 * np.pi, 90)
    r = 1 + sum(rng.normal(0, 0.03) * np.cos(k * a + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4))
    ex, ey = 0.74 * b * r * np.sin(a), b * r * np.cos(a)
    oval = np.stack([x + ex * np.cos(tilt) - ey * np.sin(tilt), y + ex * np.sin(tilt) + ey * np.cos(tilt)], 1)
    oval = np.roll(oval, int(rng.integers(len(oval))), 0)[: int(len(oval) * rng.uniform(0.8, 1.0))]  # often open
    strokes = [oval]
    nx = x - 0.08 * turn * b
    s = np.linspace(0.4, 2.7, 12)
    for side in (-1, 1):
        neck = np.array([(nx + side * 0.34 * b, y + 0.85 * b), (nx + side * 0.36 * b, y + 1.45 * b)])
        drop = 1.45 + 0.16 * (s - 0.4) ** 2 + np.clip(s - 2.2, 0, None) * 2.0
        shoulder = np.stack([nx - 0.2 * turn * b + side * s * b, y + drop * b], 1)
        strokes += [line for line in (neck, shoulder) if rng.random() >= 0.25]  # a quarter of these left out
    if rng.random() < 0.5:
        arc, hb = np.linspace(-2.0, 2.0, 30), b * rng.uniform(1.1, 1.3)
        strokes.append(np.stack([x + 0.85 * hb * np.sin(arc), y - 0.05 * b - hb * np.cos(arc)], 1))
    return strokes


def hand_drawn_like(attrs: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, size) uint8 sketch (255 paper) of a world portrait's pose as a person might draw it quickly."""
    n = size * SUPERSAMPLE
    page = Image.new("L", (n, n), 255)
    draw = ImageDraw.Draw(page)
    width = rng.uniform(0.8, 2.6) * SUPERSAMPLE  # this sketch's pen, in output pixels x SUPERSAMPLE
    for stroke in _pose_strokes(attrs, n, rng):
        stroke = _wobble(stroke, rng, 0.012 * n)
        pieces = [stroke]
        if len(stroke) > 6 and rng.random() < 0.3:  # the pen lifted mid-line
            i = int(rng.integers(1, len(stroke) - 3))
            pieces = [stroke[:i], stroke[i + 2:]]
        for piece in pieces:
            w = max(SUPERSAMPLE, round(width * rng.uniform(0.7, 1.3)))
            draw.line([tuple(p) for p in piece], fill=0, width=w, joint="curve")
    return np.asarray(page.resize((size, size), Image.Resampling.BOX))


def make_sketches(composition: str, kind: str, n: int, size: int) -> SketchSet:
    seeds = composition_seeds(composition, n)
    if kind == "world":
        arrays = [render_sample(s, size).sketch for s in seeds]
    else:
        rng = np.random.default_rng(COMPOSITION_NAMES.index(composition))
        arrays = [hand_drawn_like(sample_attributes(s), size, rng) for s in seeds]
    return sketches_from_arrays(arrays, [f"{kind}{s}.png" for s in seeds], size)


@torch.no_grad()
def samples(G, n: int) -> np.ndarray:
    return np.concatenate([tensor_to_images(G(z_from_seeds(range(i, min(i + 50, n)), G.z_dim)))
                           for i in range(0, n, 50)])


def figures(r: ProbeReadout, target: int) -> dict[str, float]:
    return {"in_composition": float((r.composition == target).mean()),
            "hair_entropy_bits": abs(entropy_bits(r.hair, len(HAIR_NAMES))),  # abs: no "-0.00"
            "background_entropy_bits": abs(entropy_bits(r.background, len(BACKGROUNDS))),
            "feature_spread": mean_pairwise_distance(r.features)}


def snapshot(base_G, train: str, checkpoint: Path):
    """G′ as the run's checkpoint holds it (the benchmark writes one at each point it reads)."""
    Gp = CustomGenerator(base_G, train)
    set_trainable(Gp, load_state(checkpoint, CHECKPOINT_KIND, CHECKPOINT_VERSION)["trainable"])
    return Gp.export()


@torch.no_grad()
def candidate_scores(fake: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
    """Each CANDIDATES score of the sketches ``fake`` against the user's ``real`` ones (lower: closer)."""
    out = {}
    for name, sigma, how in CANDIDATES:
        if how == "cosine":  # the studio's score (selection.sketch_distance), at this blur
            out[name] = float(sketch_distance(fake, real, sigma).mean())
            continue
        a, b = blurred_ink(fake, sigma).flatten(1), blurred_ink(real, sigma).flatten(1)
        d = torch.cdist(a, b, p=1) / a.shape[1]
        out[name] = float((d.min(1).values if how == "nearest" else d.mean(1)).mean())
    return out


@torch.no_grad()
def realism_candidates(G_now, base) -> dict[str, float]:
    """How far G′ has left what the base model draws, on the held-out z: the base D's mean logit on G′'s pictures
    (lower: less like the paintings D was trained on) and the mean distance of G′'s w from the base's mean w, as a
    ratio to the base's own (above 1: G′ maps outside the base's W)."""
    z = z_from_seeds(SELECT_SEEDS, G_now.z_dim)
    w_now, w_base = G_now.mapping(z), base.G.mapping(z)
    centre = base.G.mapping.w_avg
    drift = float((w_now - centre).norm(dim=-1).mean() / (w_base - centre).norm(dim=-1).mean())
    return {"base D logit": float(base.D(G_now.synthesis(w_now, noise_mode="const")).mean()), "w drift": drift}


def rank_correlation(x: list[float], y: list[float]) -> float:
    """Spearman's rho (ties ranked by order; enough for a trace of a dozen points)."""
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1]) if len(x) > 2 else float("nan")


def print_selection_table(runs: list[dict]) -> None:
    """From the traces: the share in composition at the last point, at the best point (what a perfect score would
    keep), and at the point each candidate score keeps, per run, and their means."""
    names = [c[0] for c in CANDIDATES]
    print("\nWhat each score would keep (in composition at the kept step; the step in brackets):\n")
    header = "| composition | sketches | last | best point | " + " | ".join(names) + " |"
    print(header + "\n" + "|---" * (4 + len(names)) + "|")
    columns = []
    for r in runs:
        points = r["trace"]
        best = max(points, key=lambda t: t["figures"]["in_composition"])
        kept = [min(points, key=lambda t, n=n: (t[n], t["step"])) for n in names]
        columns.append([points[-1], best, *kept])
        print(f"| {r['composition']} | {r['kind']} | " +
              " | ".join(f"{t['figures']['in_composition']:.1%} ({t['step']})" for t in columns[-1]) + " |")
    means = np.mean([[t["figures"]["in_composition"] for t in row] for row in columns], axis=0)
    print("| mean | | " + " | ".join(f"{m:.1%}" for m in means) + " |")


def sheet(sketch_sets: list[SketchSet], path: Path, per_row: int = 8) -> None:
    """One row of sketches per run: what the benchmark trained on, for the README."""
    rows = [np.concatenate([np.pad(t[..., 0], 1, constant_values=0) for t in
                            tensor_to_images(s.tensor[:per_row].repeat(1, 3, 1, 1))], 1) for s in sketch_sets]
    Image.fromarray(np.concatenate(rows, 0)).save(path)


def main() -> int:
    defaults = {f.name: f.default for f in fields(CustomizeConfig)}
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="default", help="a model file, or a shipped model's name ('default')")
    ap.add_argument("--compositions", default="left-three-quarter,close-up")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--sketches", type=int, default=12, help="sketches per run")
    for name in TUNABLE:
        ap.add_argument(f"--{name.replace('_', '-')}", type=type(defaults[name]),
                        help=f"CustomizeConfig.{name} (default: what the studio starts from for the model)")
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--trace", action="store_true", help="read the probe at every selection point")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="keep the customized models and preview PNGs in this folder")
    ap.add_argument("--sheet", default=None, help="save the sketch sets as one PNG (a row per run)")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not PROBE_PATH.exists():
        print(f"skipped: {PROBE_PATH} does not exist (run benchmarks/train_probe.py first)")
        return 0
    compositions, kinds = args.compositions.split(","), args.kinds.split(",")
    unknown = [c for c in compositions if c not in COMPOSITION_NAMES] + [k for k in kinds if k not in KINDS]
    if unknown:
        print(f"unknown composition or kind {unknown[0]!r}: compositions {', '.join(COMPOSITION_NAMES)}; "
              f"kinds {', '.join(KINDS)}")
        return 2
    base = load_model(args.model)
    size = base.G.resolution
    probe = load_probe(PROBE_PATH)
    base_read = read_images(probe, samples(base.G, args.samples))
    given = {k: getattr(args, k) for k in TUNABLE if getattr(args, k) is not None}
    settings = {**{k: defaults[k] for k in TUNABLE}, **recommended_settings(base), **given}
    if args.trace and not (settings["select_every"] and settings["steps"] % settings["select_every"] == 0):
        print(f"--trace needs select_every > 0 dividing steps, not {settings['select_every']} of {settings['steps']}")
        return 2
    runs, sets = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.out or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for composition in compositions:
            target = COMPOSITION_NAMES.index(composition)
            for kind in kinds:
                sketch_set = make_sketches(composition, kind, args.sketches, size)
                sets.append(sketch_set)
                out = folder / f"{composition}-{kind}.safetensors"
                every = settings["select_every"]
                # a checkpoint where the benchmark reads G′: the last step (beside the kept one), or each point
                cfg = CustomizeConfig(out=str(out), images="world", preview_every=max(1, settings["steps"] // 4),
                                      checkpoint_every=every if args.trace and every else settings["steps"],
                                      **settings)
                real = sketch_set.tensor
                trace, aside = [], {"wall": 0.0, "cpu": 0.0, "last": None}
                F = load_extractor(cfg.extractor)

                def report(p, out=out, cfg=cfg, target=target, real=real, trace=trace, aside=aside, F=F):
                    if p.preview is not None and args.out:
                        Image.fromarray(p.preview).save(out.with_name(f"{out.stem}_{p.done:05d}.png"))
                    if p.done % 50 == 0:
                        print(f"  step {p.done}: " + ", ".join(f"{k} {v:.3g}" for k, v in p.metrics.items()),
                              flush=True)
                    if p.done % cfg.checkpoint_every:
                        return
                    t, c = time.perf_counter(), time.process_time()  # the probe's time is no part of the run's
                    G_now = snapshot(base.G, cfg.train, cfg.checkpoint_path)
                    fig = figures(read_images(probe, samples(G_now, args.samples)), target)
                    if p.done == cfg.steps:
                        aside["last"] = fig
                    if args.trace:
                        with torch.no_grad():
                            held_out = F(G_now(z_from_seeds(SELECT_SEEDS, G_now.z_dim), noise_mode="const"))
                            scores = {**candidate_scores(held_out, real), **realism_candidates(G_now, base)}
                        aside[f"step_{p.done}"] = held_out.numpy()  # to try other scores on later
                        trace.append({"step": p.done, "figures": fig, **scores})
                        print(f"  trace step {p.done}: in composition {fig['in_composition']:.1%}, run score "
                              f"{p.metrics['sketch_distance']:.4f}, " +
                              ", ".join(f"{k} {v:.4f}" for k, v in scores.items()), flush=True)
                    aside["wall"] += time.perf_counter() - t
                    aside["cpu"] += time.process_time() - c

                print(f"{composition}, {kind} sketches:", flush=True)
                t0, c0 = time.perf_counter(), time.process_time()
                customize(base, sketch_set, cfg, progress=report)
                minutes = (time.perf_counter() - t0 - aside["wall"]) / 60
                cpu_minutes = (time.process_time() - c0 - aside["cpu"]) / 60
                if trace and args.out:
                    np.savez_compressed(out.with_name(f"{out.stem}_trace.npz"), user=real.numpy(),
                                        **{k: v for k, v in aside.items() if isinstance(v, np.ndarray)})
                kept = load_model(out)
                after_read = read_images(probe, samples(kept.G, args.samples))
                info = kept.card["customized"]
                runs.append({"composition": composition, "kind": kind, "minutes": minutes, "cpu_minutes": cpu_minutes,
                             "kept_step": info["kept_step"], "steps": info["steps"],
                             "score": info.get("selection", {}).get("score"),
                             "scores": info.get("selection", {}).get("scores"), "trace": trace,
                             "before": figures(base_read, target), "after": figures(after_read, target),
                             "last": aside["last"]})
                r = runs[-1]
                print(f"  in composition {r['before']['in_composition']:.1%} -> {r['after']['in_composition']:.1%}"
                      f" (kept step {r['kept_step']}; last step {r['last']['in_composition']:.1%}) in {minutes:.1f} "
                      f"min ({cpu_minutes:.1f} CPU min)", flush=True)
                if trace:
                    share = [t["figures"]["in_composition"] for t in trace]
                    print("  rank correlation with the probe's share (negative: a lower score is more in composition): "
                          + ", ".join(f"{n} {rank_correlation([t[n] for t in trace], share):+.2f}"
                                      for n, _, _ in CANDIDATES), flush=True)

    print(f"\n{base.name} ({size} px), {args.sketches} sketches per run, {args.samples} samples, {args.threads} "
          f"threads; " + ", ".join(f"{k} {v}" for k, v in settings.items()) + "\n")
    print("| composition | sketches | in composition: base | last step | kept (step) | hair entropy ratio | "
          "background entropy ratio | feature spread ratio | minutes (CPU minutes) |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        b, a, last = r["before"], r["after"], r["last"]
        ratio = {k: a[k] / b[k] if b[k] else float("nan") for k in b}
        print(f"| {r['composition']} | {r['kind']} | {b['in_composition']:.1%} | {last['in_composition']:.1%} | "
              f"{a['in_composition']:.1%} ({r['kept_step']}) | {ratio['hair_entropy_bits']:.2f} | "
              f"{ratio['background_entropy_bits']:.2f} | {ratio['feature_spread']:.2f} | {r['minutes']:.1f} "
              f"({r['cpu_minutes']:.1f}) |")
    b = figures(base_read, 0)
    print(f"\nbase: hair entropy {b['hair_entropy_bits']:.2f} bits, background {b['background_entropy_bits']:.2f} "
          f"bits, feature spread {b['feature_spread']:.1f}")
    if any(r["trace"] for r in runs):
        print_selection_table(runs)
    if args.sheet:
        sheet(sets, Path(args.sheet))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "settings": settings, "args": vars(args)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
