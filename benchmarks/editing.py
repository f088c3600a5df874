"""What style mixing and the GANSpace sliders do on a model, read by the world probe.

Mixing: for ``--pairs`` pairs of seeds (A, B), B's W+ entries replace A's on one layer group (coarse 4-8 px,
middle 16-32 px, fine >= 64 px) and the probe reads A, B and the mix: how often the mix takes B's composition
and head placement, keeps A's hair colour, takes B's background, and how much the pixels move.
Sliders: the first ``--components`` PCA directions of W, each applied at -2 and +2 standard deviations to
``--seeds`` portraits on all layers; the probe reads what changes (head x/y/scale/tilt/turn in the world's
spread units, hair colour, background, composition, brightness). The attribute that moves most names the
slider ("PC1 · head turn") when it clearly dominates; ``--write-card`` stores the names in the model's card
(``pca_names``), where the studio's sliders read them. Effects are in units of the attribute's mean difference
between two random portraits, so head position, hair colour and brightness compare on one scale.
Usage: python benchmarks/editing.py --model default [--pairs 200] [--seeds 100] [--write-card]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from studio.engine import load_model
from studio.engine.atomic import atomic_write_text
from studio.engine.edit.directions import compute_pca
from studio.engine.edit.latents import mix_styles, z_from_seeds
from studio.engine.images import images_to_tensor, tensor_to_images
from studio.engine.model.checkpoints import card_path
from studio.engine.world.probe import HEAD_CENTER, HEAD_KEYS, HEAD_SPREAD, load_probe, read_images

GROUPS = ("coarse", "middle", "fine")
HEAD_NAMES = {"x": "head x", "y": "head height", "scale": "head size", "tilt_deg": "head tilt", "turn": "head turn"}
CLASS_HEADS = {"hair": "hair colour", "background": "background", "composition": "composition"}
DOMINANCE = 1.5  # an attribute names a slider when it moves at least this many times more than the runner-up


@torch.no_grad()
def render(G, ws: torch.Tensor, batch: int = 100) -> np.ndarray:
    return np.concatenate([tensor_to_images(G.synthesis(ws[i : i + batch], noise_mode="const"))
                           for i in range(0, len(ws), batch)])


@torch.no_grad()
def mixing_table(G, probe, pairs: int, psi: float) -> dict[str, dict[str, float]]:
    ws_a = G.mapping(z_from_seeds(range(pairs), G.z_dim), truncation_psi=psi)
    ws_b = G.mapping(z_from_seeds(range(10_000, 10_000 + pairs), G.z_dim), truncation_psi=psi)
    img_a, img_b = render(G, ws_a), render(G, ws_b)
    a, b = read_images(probe, img_a), read_images(probe, img_b)
    comp_differs, hair_differs, bg_differs = a.composition != b.composition, a.hair != b.hair, a.background != b.background
    rows = {}
    for group in GROUPS:
        img = render(G, mix_styles(ws_a, ws_b, group))
        m = read_images(probe, img)
        head_m, head_a, head_b = (r.head[:, :3] / HEAD_SPREAD[:3].numpy() for r in (m, a, b))
        closer_b = np.linalg.norm(head_m - head_b, axis=1) < np.linalg.norm(head_m - head_a, axis=1)
        rows[group] = {
            "composition = B": float((m.composition == b.composition)[comp_differs].mean()),
            "head nearer B": float(closer_b.mean()),
            "hair = A": float((m.hair == a.hair)[hair_differs].mean()),
            "hair = B": float((m.hair == b.hair)[hair_differs].mean()),
            "background = B": float((m.background == b.background)[bg_differs].mean()),
            "pixels moved": float(np.abs(img.astype(np.float32) - img_a).mean() / 255),
        }
    rows["(pairs differing)"] = {"composition = B": float(comp_differs.mean()), "hair = A": float(hair_differs.mean()),
                                 "background = B": float(bg_differs.mean())}
    return rows


@torch.no_grad()
def attributes(probe, images: np.ndarray) -> dict[str, np.ndarray]:
    """Per image: head values and, for the class heads, the probe's probabilities (graded, unlike argmax)."""
    out = [probe(images_to_tensor(images[i : i + 200])) for i in range(0, len(images), 200)]
    cat = {k: torch.cat([o[k] for o in out]) for k in out[0]}
    head = (cat["head"] * HEAD_SPREAD + HEAD_CENTER).numpy()
    found = {HEAD_NAMES[k]: head[:, i] for i, k in enumerate(HEAD_KEYS)}
    found.update({name: cat[key].softmax(1).numpy() for key, name in CLASS_HEADS.items()})
    found["brightness"] = images.astype(np.float32).mean((1, 2, 3))
    return found


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per image: |a - b| for values, total variation 0.5 * sum |p - q| for probabilities."""
    return np.abs(a - b) if a.ndim == 1 else 0.5 * np.abs(a - b).sum(1)


@torch.no_grad()
def slider_table(G, probe, seeds: int, components: int, step: float = 2.0) -> dict[str, dict[str, float]]:
    """Each attribute's mean change between -step and +step sd, in units of its mean difference between two
    random portraits (1.0 = the slider changes it as much as picking another seed does)."""
    directions = compute_pca(G, components=components)
    ws = G.mapping(z_from_seeds(range(20_000, 20_000 + seeds), G.z_dim))
    base = attributes(probe, render(G, ws))
    shuffled = np.random.default_rng(0).permutation(seeds)
    typical = {k: difference(v, v[shuffled]).mean() for k, v in base.items()}
    rows = {}
    for d in directions:
        lo, hi = (attributes(probe, render(G, ws + d.offset(s, G.num_ws))) for s in (-step, step))
        rows[d.name] = {k: float(difference(lo[k], hi[k]).mean() / typical[k]) for k in base}
    return rows


def slider_names(rows: dict[str, dict[str, float]]) -> dict[str, str]:
    """'head turn' for a PC whose largest effect is at least DOMINANCE times its second; else no name."""
    names = {}
    for pc, row in rows.items():
        (top, v1), (_, v2) = sorted(row.items(), key=lambda kv: -kv[1])[:2]
        if v1 >= DOMINANCE * v2 and v1 > 0.2:
            names[pc] = top
    return names


def print_table(title: str, rows: dict[str, dict[str, float]], fmt: str) -> None:
    keys = list(next(iter(rows.values())))
    print(f"\n{title}\n\n| | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(fmt.format(row[k]) if k in row else "" for k in keys) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default", help="checkpoint path or 'default'")
    ap.add_argument("--pairs", type=int, default=200, help="seed pairs for the mixing table")
    ap.add_argument("--truncation", type=float, default=1.0, help="truncation psi of A and B")
    ap.add_argument("--seeds", type=int, default=100, help="portraits per slider")
    ap.add_argument("--components", type=int, default=10, help="how many PCA sliders to read")
    ap.add_argument("--write-card", action="store_true", help="store the slider names in the model's card")
    args = ap.parse_args()
    torch.manual_seed(0)
    model, probe = load_model(args.model), load_probe()
    G = model.G
    mixing = mixing_table(G, probe, args.pairs, args.truncation)
    print_table(f"Style mixing, {args.pairs} pairs, psi {args.truncation} (fractions of pairs where A and B differ "
                "in that attribute; pixels moved: mean |mix - A| of the range)", mixing, "{:.2f}")
    sliders = slider_table(G, probe, args.seeds, args.components)
    print_table(f"GANSpace sliders from -2 to +2 sd on all layers, {args.seeds} portraits each: each attribute's "
                "change relative to the difference between two random portraits", sliders, "{:.2f}")
    names = slider_names(sliders)
    print("\nslider names: " + json.dumps(names))
    if args.write_card:
        card_file = card_path(model.path)
        card = json.loads(card_file.read_text(encoding="utf-8"))
        card["pca_names"] = names
        atomic_write_text(card_file, json.dumps(card, indent=2, sort_keys=True) + "\n")
        print(f"wrote the names into {card_file}")


if __name__ == "__main__":
    main()
