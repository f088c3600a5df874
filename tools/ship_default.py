"""Ship a trained model as the default when it beats the shipped one on the world probe.

    python tools/ship_default.py RUN/model.safetensors [--n 500] [--dry-run]
    python tools/ship_default.py SNAPS/step-1000.safetensors SNAPS/step-1500.safetensors ...

Several exports of one run are shipped as their weight average (G's weights averaged, D and the card from the
newest): averaging snapshots of a run at a low learning rate smooths the step-to-step wander of a GAN the way
a longer G EMA would (measured on the default: two or three snapshots 16 kimg apart scored 150 and 150 where
the snapshots alone scored 150-163).

Measures the candidate and the shipped default with ``benchmarks/model_quality.py``'s figures and
``benchmarks/faces.py``'s face figures (same world reference set, ψ = 1) and, if the candidate's probe Fréchet
distance is lower (the face figures are reported beside it, not a condition), writes it as the default in
float16 (half the size; loading upcasts) with a card that records its lineage (every warm start it descends
from, with kimg and hours), its figures beside the previous default's and the world floor, and renders the
README's sample grid (``docs/images/default_samples.png``, seeds 0-31 at ψ = 0.7). Prints the table either way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from faces import OTHER_SEED, REFERENCE_SEED, FaceMeter  # noqa: E402
from model_quality import figures, model_images, world_images  # noqa: E402

from studio.engine import load_model, save_model  # noqa: E402
from studio.engine.edit.generate import render_seeds  # noqa: E402
from studio.engine.grid import make_grid  # noqa: E402
from studio.engine.images import save_png  # noqa: E402
from studio.engine.model.checkpoints import DEFAULT_MODEL  # noqa: E402
from studio.engine.world.probe import load_probe  # noqa: E402

SAMPLES_PNG = ROOT / "docs" / "images" / "default_samples.png"
CARRIED = ("customize",)  # card blocks of the shipped default that the new one keeps (see main)


def lineage(card: dict, shipped: dict, name: str = "this run") -> list[dict]:
    """The chain of runs a model descends from, oldest first, ending with the run that made ``card``.

    A card that carries its lineage (a shipped model's) is complete. Otherwise the chain follows the init models'
    cards back until a run that started where the shipped default's last run started: from there on the shipped
    lineage's earlier entries stand, which were partly written out by hand where a card did not record them.
    """
    if card.get("lineage"):
        return card["lineage"]
    init = card.get("train_config", {}).get("init")
    if shipped.get("lineage") and init == shipped.get("train_config", {}).get("init"):
        earlier = shipped["lineage"][:-1]
    elif init:
        earlier = lineage(load_model(init).card, shipped, name=card_name(init))
    else:
        earlier = []
    run = {"name": name, "kimg": round(card.get("images_seen", 0) / 1000, 1),
           "hours": round(card.get("training_seconds", 0) / 3600, 2), "hardware": card.get("hardware", "unknown"),
           "what": " ".join(filter(None, [card.get("description", ""), card.get("averaged", "")]))}
    return [*earlier, run]


def card_name(init: str) -> str:
    """How a lineage entry names the model file a run started from."""
    path = Path(init)
    return init if not path.suffix else f"{path.parent.name}/{path.stem}"


def average_exports(paths: list[str], out: Path) -> Path:
    """One model file at ``out``: G's weights averaged over the exports ``paths`` (one run's, oldest first), D and
    the card from the newest, the card saying which were averaged."""
    models = [load_model(p) for p in paths]
    newest = models[-1]
    states = [m.G.state_dict() for m in models]
    newest.G.load_state_dict({k: sum(s[k].float() for s in states) / len(states) if v.is_floating_point() else v
                              for k, v in states[-1].items()})
    steps = ", ".join(str(m.card.get("steps", "?")) for m in models)
    card = {**newest.card, "averaged": f"G: the weight average of {len(paths)} exports of this run (steps {steps})"}
    return save_model(out, newest.G, newest.D, card)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("candidate", nargs="+",
                    help="the trained model (a run's model.safetensors), or several exports of one run to average")
    ap.add_argument("--n", type=int, default=500, help="samples per model for the probe figures")
    ap.add_argument("--workers", type=int, default=2, help="processes rendering the world reference")
    ap.add_argument("--dry-run", action="store_true", help="measure and print, ship nothing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:  # the averaged file lives only as long as it is measured and shipped
        candidate = args.candidate[0]
        if len(args.candidate) > 1:
            candidate = str(average_exports(args.candidate, Path(tmp) / "averaged.safetensors"))
        measure_and_ship(candidate, args)


def measure_and_ship(candidate: str, args: argparse.Namespace) -> None:
    """Compare ``candidate`` with the shipped default on the probe; ship it (model, card, lineage) if it is better."""
    probe = load_probe()
    ref, other = world_images(REFERENCE_SEED, args.n, args.workers), world_images(OTHER_SEED, args.n, args.workers)
    faces = FaceMeter(ref, probe=probe)
    images = {"shipped default": model_images("default", args.n, 1.0),
              "candidate": model_images(candidate, args.n, 1.0)}
    rows = {"world vs world": {**figures(probe, ref, other), **faces.row(other, OTHER_SEED)}}
    rows.update({name: {**figures(probe, ref, imgs), **faces.row(imgs)} for name, imgs in images.items()})
    for row in rows.values():
        del row["probe_frechet"]  # the same as "frechet"
    keys = list(rows["candidate"])
    print("| model | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[k]:.3f}" for k in keys) + " |")
    better = rows["candidate"]["frechet"] < rows["shipped default"]["frechet"]
    print(f"\ncandidate {'beats' if better else 'does not beat'} the shipped default "
          f"(probe Fréchet {rows['candidate']['frechet']:.1f} vs {rows['shipped default']['frechet']:.1f}; "
          f"face Fréchet {rows['candidate']['face_frechet']:.1f} vs {rows['shipped default']['face_frechet']:.1f}, "
          f"formed faces {rows['candidate']['formed']:.1%} vs {rows['shipped default']['formed']:.1%})")
    if not better or args.dry_run:
        return

    model, shipped = load_model(candidate), load_model("default")
    chain = lineage(model.card, shipped.card)
    kimg, hours = sum(r["kimg"] for r in chain), sum(r["hours"] for r in chain)
    card = {
        **{k: v for k, v in model.card.items() if k not in ("architecture", "name", "sample_grid")},
        "name": "default",
        "description": (f"GAN Studio's default model: StyleGAN2 {model.G.resolution} px (cpu64 preset) trained with "
                        f"`studio train` on the procedural painted-portrait world, {kimg:,.0f} kimg in all "
                        f"({hours:.1f} h), warm start after warm start (see lineage)."),
        "status": (f"trained on CPUs for {kimg:,.0f} kimg ({hours:.1f} h) in all; it improves whenever a run continues "
                   "it (see replace_with)"),
        "lineage": chain,
        "total_kimg": round(kimg, 1), "total_hours": round(hours, 2),
        "quality": {
            "benchmark": f"benchmarks/model_quality.py and benchmarks/faces.py --n {args.n} (tools/ship_default.py)",
            "face_figures": "face_frechet, formed, two_eyes, nose, mouth: the face probe on 32 px face crops "
                            "(world faces cropped by their truth, samples' by the head locator); located_vs_probe_px: "
                            "the locator's head centre against the world probe's (see benchmarks/faces.py)",
            "samples": args.n,
            "truncation": 1.0, "this_model": rows["candidate"], "previous_default": rows["shipped default"],
            "world_vs_world": rows["world vs world"],
            "first_placeholder": shipped.card.get("quality", {}).get("first_placeholder")
            or shipped.card.get("quality", {}).get("this_model"),
        },
        "sample_grid": str(SAMPLES_PNG.relative_to(ROOT)),
        # what a benchmark recommends for the default's role (the customize window's settings) stays, said to be
        # measured on the model it was measured on, until the benchmark is run again on this one
        **{k: {"measured_on": f"the previous default ({shipped.card.get('total_kimg', '?')} kimg)", **shipped.card[k]}
           for k in CARRIED if k in shipped.card},
        "replace_with": "a run warm-started from this file: `studio train --preset cpu64 --init default ...` "
                        "(CPU) or `make train-gpu OUT=DIR` (one GPU, ~8 minutes); then tools/ship_default.py",
    }
    save_model(DEFAULT_MODEL, model.G, model.D, card, half=True)
    shipped_now = load_model("default")
    grid = make_grid([img for _, img in render_seeds(shipped_now.G, range(32), truncation_psi=0.7)], cols=8)
    save_png(SAMPLES_PNG, grid)
    print(f"shipped {DEFAULT_MODEL} ({DEFAULT_MODEL.stat().st_size / 2**20:.1f} MiB) and {SAMPLES_PNG}")
    print(json.dumps({"total_kimg": card["total_kimg"], "total_hours": card["total_hours"]}))


if __name__ == "__main__":
    main()
