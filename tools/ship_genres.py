"""Ship a four-genre class-conditional model beside the default when it beats the shipped one on the probe.

    python tools/ship_genres.py RUN/model.safetensors [--n 300] [--dry-run]

Measures per genre (``benchmarks/model_quality.py``'s ``model_genre_quality``: share of samples the world probe
reads as the genre they were drawn for, Fréchet distance to world paintings of that genre beside the
world-vs-world floor, diversity as a ratio of the world's) for the candidate and the shipped genre model, and
the portrait class against the portrait default with the portrait figures. If the candidate's mean per-genre
Fréchet is lower (or no genre model is shipped), writes it as ``studio/models/genres.safetensors`` in float16
with a card recording its lineage and figures, and renders the README's per-genre sample grid and cross-genre
mixing grid (``docs/images/genres_samples.png``, ``docs/images/genres_mixing.png``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tools"))

from model_quality import figures, model_genre_quality, model_images, print_genre_table, world_images  # noqa: E402
from ship_default import lineage  # noqa: E402

from studio.engine import load_model, save_model  # noqa: E402
from studio.engine.edit.generate import render_seeds  # noqa: E402
from studio.engine.edit.mixing import mixing_grid  # noqa: E402
from studio.engine.grid import make_grid  # noqa: E402
from studio.engine.images import save_png  # noqa: E402
from studio.engine.model.checkpoints import GENRES_MODEL  # noqa: E402
from studio.engine.model.labels import class_labels  # noqa: E402
from studio.engine.world.probe import load_probe  # noqa: E402

SAMPLES_PNG = ROOT / "docs" / "images" / "genres_samples.png"
MIXING_PNG = ROOT / "docs" / "images" / "genres_mixing.png"


def mean_frechet(rows: dict[str, dict[str, float]]) -> float:
    return float(np.mean([r["frechet"] for name, r in rows.items() if name != "all"]))


def render_figures(path: Path) -> None:
    """The README's grids: 8 seeds per genre (ψ 0.7), and portraits (rows) with each genre's fine layers."""
    model = load_model(path)
    G, classes = model.G, model.classes
    rows = [img for k in range(len(classes))
            for _, img in render_seeds(G, range(8), truncation_psi=0.7, c=class_labels(G, k))]
    save_png(SAMPLES_PNG, make_grid(rows, cols=8))
    cols = torch.arange(2 * len(classes)) // 2  # two seeds of each genre across the top
    grid = mixing_grid(G, range(4), range(100, 100 + len(cols)), "middle+fine", truncation_psi=0.7,
                       rows_c=class_labels(G, classes.index("portrait")), cols_c=F.one_hot(cols, len(classes)).float())
    save_png(MIXING_PNG, grid.to_image())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("candidate", help="the trained conditional model (a run's model.safetensors)")
    ap.add_argument("--n", type=int, default=300, help="samples per genre for the probe figures")
    ap.add_argument("--workers", type=int, default=2, help="processes rendering the world reference")
    ap.add_argument("--dry-run", action="store_true", help="measure and print, ship nothing")
    args = ap.parse_args()

    probe = load_probe()
    rows = {"candidate": model_genre_quality(args.candidate, args.n, 1.0, args.workers, probe)}
    if GENRES_MODEL.exists():
        rows["shipped genre model"] = model_genre_quality(str(GENRES_MODEL), args.n, 1.0, args.workers, probe)
    for name, r in rows.items():
        print(f"\n{name}: mean Fréchet {mean_frechet(r):.1f}")
        print_genre_table(r)
    portrait = load_model(args.candidate).classes.index("portrait")
    ref = world_images(2_000_000, args.n, args.workers)
    vs_default = {"shipped default": figures(probe, ref, model_images("default", args.n, 1.0)),
                  "candidate, portrait class": figures(probe, ref, model_images(args.candidate, args.n, 1.0, portrait))}
    keys = list(vs_default["shipped default"])
    print("\nportraits\n| model | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, row in vs_default.items():
        print(f"| {name} | " + " | ".join(f"{row[k]:.3f}" for k in keys) + " |")

    shipped = rows.get("shipped genre model")
    better = shipped is None or mean_frechet(rows["candidate"]) < mean_frechet(shipped)
    print(f"\ncandidate {'beats' if better else 'does not beat'} the shipped genre model")
    if not better or args.dry_run:
        return
    model = load_model(args.candidate)
    previous = load_model(GENRES_MODEL).card if GENRES_MODEL.exists() else {}
    chain = lineage(model.card, previous)
    kimg, hours = sum(r["kimg"] for r in chain), sum(r["hours"] for r in chain)
    card = {
        **{k: v for k, v in model.card.items() if k not in ("architecture", "name", "sample_grid")},
        "name": "genres",
        "description": (f"GAN Studio's genre model: class-conditional StyleGAN2 {model.G.resolution} px "
                        "(cpu64 preset), "
                        f"classes {', '.join(model.classes)}, trained with `studio train --cond --data world` on the "
                        f"procedural world in four genres, warm-started from the portrait default; {kimg:,.0f} kimg "
                        f"in all ({hours:.1f} h) counting the default's own training (see lineage)."),
        "lineage": chain, "total_kimg": round(kimg, 1), "total_hours": round(hours, 2),
        "quality": {"benchmark": f"tools/ship_genres.py --n {args.n}", "samples_per_genre": args.n,
                    "truncation": 1.0, "genres": rows["candidate"], "portrait_class": vs_default},
        "sample_grid": str(SAMPLES_PNG.relative_to(ROOT)),
        "replace_with": "a run continuing this file: `studio train --preset cpu64 --cond --data world "
                        "--init studio/models/genres.safetensors ...`; then tools/ship_genres.py",
    }
    save_model(GENRES_MODEL, model.G, model.D, card, half=True)
    render_figures(GENRES_MODEL)
    print(f"shipped {GENRES_MODEL} ({GENRES_MODEL.stat().st_size / 2**20:.1f} MiB), {SAMPLES_PNG}, {MIXING_PNG}")
    print(json.dumps({"total_kimg": card["total_kimg"], "total_hours": card["total_hours"]}))


if __name__ == "__main__":
    main()
