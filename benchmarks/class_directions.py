"""GANSpace sliders of a class-conditional model: PCA over all classes, within the classes (pooled), or per class.

W is sampled as the studio does (``directions.sample_w``: 10,000 fixed-seed z, the classes in equal parts), and
the first ``--components`` principal components are found three ways: about the overall mean ("all classes"),
each sample about its own class's mean ("within", what the studio uses), and from each class's samples alone
("per class", applied to that class only). For each way the table gives:
- between-class share: the part of each component's variance that is the spread of the class means (mean over
  the components; PC1 beside it): how much a slider moves a picture towards another class rather than within it;
- genre kept: the share of edits (every component at -2 and +2 sd on all layers, ``--seeds`` seeds per class at
  psi 0.7) after which the world probe still reads the genre it read before the edit;
- pixels moved: mean |edited - unedited| / 255, so a way that keeps the genre only by doing nothing shows;
- overlap with per class: the mean squared cosine between each class's own top-k subspace and the way's top-k
  subspace (1 = the same subspace).
Usage: python benchmarks/class_directions.py --model MODEL [--seeds 25] [--components 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from studio.engine import load_model
from studio.engine.edit.directions import principal_directions, sample_w
from studio.engine.edit.latents import seed_ws
from studio.engine.images import tensor_to_images
from studio.engine.model.labels import class_labels
from studio.engine.world.probe import load_probe, read_images


def stack(directions) -> torch.Tensor:
    return torch.from_numpy(np.stack([d.vector for d in directions])).double()


def between_share(w: torch.Tensor, labels: torch.Tensor, comps: torch.Tensor) -> np.ndarray:
    """Per component: variance of the class means along it over the total variance along it."""
    proj = (w - w.mean(0)) @ comps.T
    means = torch.stack([proj[labels == k].mean(0) for k in labels.unique()])
    return (means.var(0, unbiased=False) / proj.var(0, unbiased=False)).numpy()


def overlap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean squared cosine between two orthonormal k-row subspaces."""
    return float((a @ b.T).square().sum() / len(a))


@torch.no_grad()
def render(G, ws: torch.Tensor, batch: int = 100) -> np.ndarray:
    return np.concatenate([tensor_to_images(G.synthesis(ws[i : i + batch], noise_mode="const"))
                           for i in range(0, len(ws), batch)])


@torch.no_grad()
def edits(G, probe, k: int, directions, seeds: int, step: float = 2.0) -> tuple[float, float]:
    """Genre kept and pixels moved for class ``k``'s seeds edited along each direction at -step and +step sd."""
    ws = seed_ws(G, list(range(30_000, 30_000 + seeds)), 0.7, class_labels(G, k, seeds))
    base_img = render(G, ws)
    base = read_images(probe, base_img).genre
    kept, moved = [], []
    for d in directions:
        for s in (-step, step):
            img = render(G, ws + d.offset(s, G.num_ws).to(ws))
            kept.append(read_images(probe, img).genre == base)
            moved.append(np.abs(img.astype(np.float32) - base_img).mean() / 255)
    return float(np.mean(kept)), float(np.mean(moved))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a class-conditional checkpoint")
    ap.add_argument("--samples", type=int, default=10_000, help="w samples for the PCA")
    ap.add_argument("--components", type=int, default=10, help="sliders compared")
    ap.add_argument("--seeds", type=int, default=25, help="seeds per class for the edits")
    args = ap.parse_args()
    model, probe = load_model(args.model), load_probe()
    G = model.G
    if not G.c_dim:
        raise SystemExit(f"{args.model} is not class-conditional.")
    t0 = time.perf_counter()
    w, labels = sample_w(G, args.samples)
    k = args.components
    ways = {"all classes": principal_directions(w, k), "within (studio)": principal_directions(w, k, labels)}
    own = {c: principal_directions(w[labels == c], k) for c in range(G.c_dim)}
    rows = {}
    for name, found in ways.items():
        share = between_share(w, labels, stack(found))
        results = [edits(G, probe, c, found, args.seeds) for c in range(G.c_dim)]
        rows[name] = (share.mean(), share[0], np.mean([r[0] for r in results]), np.mean([r[1] for r in results]),
                      np.mean([overlap(stack(found), stack(own[c])) for c in range(G.c_dim)]))
    shares = [between_share(w, labels, stack(own[c])) for c in range(G.c_dim)]
    results = [edits(G, probe, c, own[c], args.seeds) for c in range(G.c_dim)]
    rows["per class"] = (np.mean(shares), np.mean([s[0] for s in shares]), np.mean([r[0] for r in results]),
                         np.mean([r[1] for r in results]), 1.0)
    per_class_genre = {model.classes[c]: r[0] for c, r in enumerate(results)}
    spread = torch.stack([w[labels == c].mean(0) for c in range(G.c_dim)]).std(0).norm() / w.std(0).norm()
    print(f"{model.name}: {G.c_dim} classes ({', '.join(model.classes)}), {args.samples:,} w samples, top {k} "
          f"components, {args.seeds} seeds per class; class-mean spread / total spread of W {spread:.3f}; "
          f"{time.perf_counter() - t0:.0f} s\n")
    print("| PCA | between-class share (mean / PC1) | genre kept at ±2 sd | pixels moved | overlap with per class |")
    print("|---|---|---|---|---|")
    for name, (mean, first, kept, moved, ov) in rows.items():
        print(f"| {name} | {mean:.3f} / {first:.3f} | {kept:.3f} | {moved:.4f} | {ov:.3f} |")
    print("\nper class, genre kept with its own components: "
          + ", ".join(f"{n} {v:.3f}" for n, v in per_class_genre.items()))


if __name__ == "__main__":
    main()
