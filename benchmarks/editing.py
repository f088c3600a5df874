"""What style mixing and the GANSpace sliders do on a model, read by the world probe.

Mixing: for ``--pairs`` pairs of seeds (A, B), B's W+ entries replace A's on one layer group (coarse 4-8 px,
middle 16-32 px, fine >= 64 px) and the probe reads A, B and the mix: how often the mix takes B's composition
and head placement, keeps A's hair colour, takes B's background, and how much the pixels move. A last table
says what each single resolution's entries carry (B's entries at that resolution only), for models whose
groups are few layers (a 64 px model has two entries per resolution, and only two fine ones).
Sliders: the first ``--components`` PCA directions of W, each moved from -``--step`` to +``--step`` standard
deviations on one layer group at a time (GANSpace edits a layer range, not all of W+), over ``--seeds``
portraits; the probe reads what changes (head x/y/scale/tilt/turn, hair colour, background, composition,
brightness), each in units of the attribute's mean difference between two random portraits (1.0 = the
slider changes it as much as picking another seed does), so head position, hair colour and brightness compare
on one scale. ``slider_names`` names a direction after the attribute that dominates it on some group;
``--write-card`` stores the names and their groups in the model's card (``pca_names``, ``pca_layers``), where
the studio's sliders read them.
Usage: python benchmarks/editing.py --model default [--pairs 200] [--seeds 100] [--write-card]
"""

from __future__ import annotations

import argparse
import datetime
import json

import numpy as np
import torch

from studio.engine import load_model
from studio.engine.atomic import atomic_write_text
from studio.engine.edit.directions import compute_pca
from studio.engine.edit.latents import layer_groups, layer_resolution, mix_styles, z_from_seeds
from studio.engine.images import images_to_tensor, tensor_to_images
from studio.engine.model.safetensors_io import card_path
from studio.engine.world.probe import HEAD_CENTER, HEAD_KEYS, HEAD_SPREAD, load_probe, read_images

GROUPS = ("coarse", "middle", "fine")
HEAD_NAMES = {"x": "head x", "y": "head height", "scale": "head size", "tilt_deg": "head tilt", "turn": "head turn"}
CLASS_HEADS = {"hair": "hair colour", "background": "background", "composition": "composition"}
# ±1 sd: at ±2 sd on all layers every PC moved most attributes about as much as another seed does (0.6-1.3 of
# a random pair's difference on the 134 kimg default), so nothing could dominate; one sd on one group is the
# GANSpace edit, and it keeps a slider's effect within the range a seed change spans.
STEP = 1.0
# An attribute names a slider when it moves at least DOMINANCE times more than any other and at least
# MIN_EFFECT of a random pair's difference. The composition class is a summary of the head attributes (the
# world draws it from head place, size and turn), so it is neither a name nor a rival of a head attribute.
DOMINANCE = 1.5
MIN_EFFECT = 0.2
SUMMARIES = ("composition",)


@torch.no_grad()
def render(G, ws: torch.Tensor, batch: int = 100) -> np.ndarray:
    return np.concatenate([tensor_to_images(G.synthesis(ws[i : i + batch], noise_mode="const"))
                           for i in range(0, len(ws), batch)])


def mix_row(a, b, m, img_a: np.ndarray, img: np.ndarray, differs: dict[str, np.ndarray]) -> dict[str, float]:
    """What a mix took from A and from B, over the pairs where A and B differ in each attribute."""
    head_m, head_a, head_b = (r.head[:, :3] / HEAD_SPREAD[:3].numpy() for r in (m, a, b))
    closer_b = np.linalg.norm(head_m - head_b, axis=1) < np.linalg.norm(head_m - head_a, axis=1)
    return {
        "composition = B": float((m.composition == b.composition)[differs["composition"]].mean()),
        "head nearer B": float(closer_b.mean()),
        "hair = A": float((m.hair == a.hair)[differs["hair"]].mean()),
        "hair = B": float((m.hair == b.hair)[differs["hair"]].mean()),
        "background = B": float((m.background == b.background)[differs["background"]].mean()),
        "pixels moved": float(np.abs(img.astype(np.float32) - img_a).mean() / 255),
    }


@torch.no_grad()
def mixing_tables(G, probe, pairs: int, psi: float) -> tuple[dict, dict]:
    """(by layer group, by single resolution): rows of ``mix_row`` for B's entries copied into A."""
    ws_a = G.mapping(z_from_seeds(range(pairs), G.z_dim), truncation_psi=psi)
    ws_b = G.mapping(z_from_seeds(range(10_000, 10_000 + pairs), G.z_dim), truncation_psi=psi)
    img_a, img_b = render(G, ws_a), render(G, ws_b)
    a, b = read_images(probe, img_a), read_images(probe, img_b)
    differs = {k: getattr(a, k) != getattr(b, k) for k in ("composition", "hair", "background")}

    def row(layers) -> dict[str, float]:
        img = render(G, mix_styles(ws_a, ws_b, layers))
        return mix_row(a, b, read_images(probe, img), img_a, img, differs)

    by_group = {f"{g} ({_layer_list(layers)})": row(layers) for g, layers in layer_groups(G.num_ws).items() if layers}
    by_group["(pairs differing)"] = {"composition = B": float(differs["composition"].mean()),
                                     "hair = A": float(differs["hair"].mean()),
                                     "background = B": float(differs["background"].mean())}
    resolutions = sorted({layer_resolution(i) for i in range(G.num_ws)})
    by_res = {f"{r} px ({_layer_list(_at(r, G.num_ws))})": row(_at(r, G.num_ws)) for r in resolutions}
    return by_group, by_res


def _at(resolution: int, num_ws: int) -> list[int]:
    return [i for i in range(num_ws) if layer_resolution(i) == resolution]


def _layer_list(layers: list[int]) -> str:
    return f"ws {layers[0]}-{layers[-1]}" if len(layers) > 1 else f"w {layers[0]}"


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
def slider_table(G, probe, seeds: int, components: int, step: float = STEP) -> dict[str, dict[str, dict[str, float]]]:
    """PC -> layer group -> each attribute's mean change between -step and +step sd on that group, in units of
    its mean difference between two random portraits."""
    directions = compute_pca(G, components=components)
    ws = G.mapping(z_from_seeds(range(20_000, 20_000 + seeds), G.z_dim))
    base = attributes(probe, render(G, ws))
    shuffled = np.random.default_rng(0).permutation(seeds)
    typical = {k: difference(v, v[shuffled]).mean() for k, v in base.items()}
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for d in directions:
        rows[d.name] = {}
        for group in ("all", *GROUPS):
            if not layer_groups(G.num_ws).get(group, True):
                continue
            lo, hi = (attributes(probe, render(G, ws + d.offset(s, G.num_ws, group))) for s in (-step, step))
            rows[d.name][group] = {k: float(difference(lo[k], hi[k]).mean() / typical[k]) for k in base}
    return rows


def dominant(effects: dict[str, float]) -> tuple[str, float]:
    """(the attribute that dominates ``effects``, how many times its rival's effect), or ("", ratio)."""
    ranked = sorted(((k, v) for k, v in effects.items() if k not in SUMMARIES), key=lambda kv: -kv[1])
    (top, v1), (_, v2) = ranked[:2]
    ratio = v1 / max(v2, 1e-9)
    return (top if ratio >= DOMINANCE and v1 >= MIN_EFFECT else ""), ratio


def slider_names(rows: dict[str, dict[str, dict[str, float]]]) -> tuple[dict[str, str], dict[str, str]]:
    """({PC: attribute}, {PC: layer group}) for each PC that one attribute dominates on some group (on all
    layers if it dominates there, else on the group where the dominant attribute moves most). Sliders that
    would share a name add what each moves next most there ("head tilt and head height"), so a painter can
    tell them apart."""
    names, layers = {}, {}
    for pc, by_group in rows.items():
        found = [(group, *dominant(effects)) for group, effects in by_group.items()]
        found = [(g, name, by_group[g][name]) for g, name, _ in found if name]
        if not found:
            continue
        group, name, _ = next((f for f in found if f[0] == "all"), max(found, key=lambda f: f[2]))
        names[pc], layers[pc] = name, group
    for pc, name in list(names.items()):
        if list(names.values()).count(name) > 1 or any(n.startswith(f"{name} and ") for n in names.values()):
            effects = rows[pc][layers[pc]]
            runner_up = sorted((k for k in effects if k != name), key=lambda k: -effects[k])[0]
            names[pc] = f"{name} and {runner_up}"
    return names, layers


def print_table(title: str, rows: dict[str, dict[str, float]], fmt: str) -> None:
    keys = list(next(iter(rows.values())))
    print(f"\n{title}\n\n| | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(fmt.format(row[k]) if k in row else "" for k in keys) + " |")


def summary_rows(rows: dict[str, dict[str, dict[str, float]]], names: dict[str, str], layers: dict[str, str]
                 ) -> dict[str, dict[str, str]]:
    """One README row per PC: the three largest effects on each group, and the name it gets."""
    out = {}
    for pc, by_group in rows.items():
        row = {}
        for group, effects in by_group.items():
            top = sorted(effects.items(), key=lambda kv: -kv[1])[:3]
            row[group] = ", ".join(f"{k} {v:.2f}" for k, v in top)
        row["slider"] = f"{pc} · {names[pc]} ({layers[pc]})" if pc in names else pc
        out[pc] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default", help="checkpoint path or 'default'")
    ap.add_argument("--pairs", type=int, default=200, help="seed pairs for the mixing table")
    ap.add_argument("--truncation", type=float, default=1.0, help="truncation psi of A and B")
    ap.add_argument("--seeds", type=int, default=100, help="portraits per slider")
    ap.add_argument("--components", type=int, default=10, help="how many PCA sliders to read")
    ap.add_argument("--step", type=float, default=STEP, help="slider values -step and +step (sd) are compared")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write-card", action="store_true", help="store the slider names in the model's card")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model, probe = load_model(args.model), load_probe()
    G = model.G
    kimg, frechet = model.card.get("total_kimg"), model.card.get("quality", {}).get("this_model", {}).get("frechet")
    print(f"model {model.name} ({G.resolution} px, {G.num_ws} ws; {kimg} kimg, probe Fréchet "
          f"{frechet if frechet is None else round(frechet, 1)}), {datetime.date.today()}")
    by_group, by_res = mixing_tables(G, probe, args.pairs, args.truncation)
    what = (f"{args.pairs} pairs, psi {args.truncation} (fractions of the pairs where A and B differ in that "
            "attribute; head nearer B: of all pairs; pixels moved: mean |mix - A| of the range)")
    print_table(f"Style mixing by layer group, {what}", by_group, "{:.2f}")
    print_table(f"Style mixing by single resolution, {what}", by_res, "{:.2f}")
    sliders = slider_table(G, probe, args.seeds, args.components, args.step)
    for pc, by_group in sliders.items():
        print_table(f"{pc} from -{args.step:g} to +{args.step:g} sd, {args.seeds} portraits: each attribute's change "
                    "relative to the difference between two random portraits", by_group, "{:.2f}")
    names, layers = slider_names(sliders)
    print_table(f"What PC1…PC{args.components} do (the three largest effects per layer group) and the slider names",
                summary_rows(sliders, names, layers), "{}")
    print("\nslider names: " + json.dumps(names) + "\nslider layers: " + json.dumps(layers))
    if args.write_card:
        card_file = card_path(model.path)
        card = json.loads(card_file.read_text(encoding="utf-8"))
        card["pca_names"], card["pca_layers"] = names, layers
        atomic_write_text(card_file, json.dumps(card, indent=2, sort_keys=True) + "\n")
        print(f"wrote the names into {card_file}")


if __name__ == "__main__":
    main()
