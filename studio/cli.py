"""`studio`: the command line beside the GUI, one subcommand per engine capability.

Each subcommand only parses arguments, calls the engine and prints; errors the user can fix (a bad file,
a bad option) end in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from tqdm import tqdm

from .engine.jobs import Progress

Command = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


class TqdmProgress:
    """Turns the engine's Progress reports into a tqdm bar (rate and ETA included)."""

    def __init__(self, desc: str, unit: str = "it") -> None:
        self.bar: Optional[tqdm] = None
        self.desc, self.unit = desc, unit

    def __call__(self, p: Progress) -> None:
        if self.bar is None:
            self.bar = tqdm(total=p.total, desc=self.desc, unit=self.unit, dynamic_ncols=True)
        self.bar.update(p.done - self.bar.n)
        if p.metrics:
            self.bar.set_postfix({k: f"{v:.3g}" if isinstance(v, float) else v for k, v in p.metrics.items()})

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> "TqdmProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _load(path: str, device: str = "cpu"):
    from .engine import load_model

    return load_model(path, device=device)


# --- info / generate / convert ----------------------------------------------------------------------------


def cmd_info(args: argparse.Namespace) -> int:
    m = _load(args.path)
    G = m.G
    n_g = sum(p.numel() for p in G.parameters())
    n_d = sum(p.numel() for p in m.D.parameters()) if m.D is not None else 0
    channels = ", ".join(f"{r}:{c}" for r, c in sorted(G.config["channels"].items()))
    rows = [
        ("file", str(m.path)),
        ("format", m.format),
        ("contains", ", ".join(m.contents)),
        ("architecture", "StyleGAN2 (mapping + skip synthesis" + (", residual D)" if m.D is not None else ")")),
        ("resolution", f"{G.resolution} x {G.resolution}"),
        ("num_ws", str(G.num_ws)),
        ("z_dim / w_dim", f"{G.z_dim} / {G.w_dim}"),
        ("mapping layers", str(G.mapping.num_layers)),
        ("channels", channels),
        ("parameters", f"G {n_g:,}" + (f", D {n_d:,}" if m.D is not None else ", no D")),
        ("weights hash", m.weights_hash[:16]),
    ]
    for key in ("description", "training", "license"):
        if key in m.card:
            rows.append((key, str(m.card[key])))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .engine.generate import render_seeds, seed_recipe
    from .engine.images import save_png
    from .engine.latents import parse_seeds
    import json

    m = _load(args.model, args.device)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as e:
        raise UserError(f"--seeds: {e}") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with TqdmProgress("generate", "img") as bar:
        for seed, img in render_seeds(m.G, seeds, args.truncation, args.noise_mode, args.batch, progress=bar):
            recipe = seed_recipe(m, seed, args.truncation, args.noise_mode)
            save_png(out / f"seed{seed:04d}.png", img, {"gan-studio-recipe": json.dumps(recipe)})
    print(f"wrote {len(seeds)} images to {out}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from .engine import save_model

    m = _load(args.src)
    card = dict(m.card)
    card.update(converted_from=str(m.path), source_format=m.format)
    out = save_model(args.dst, m.G, m.D, card)
    print(f"wrote {out} (G{' + D' if m.D is not None else ''}, {m.G.resolution} px) and {out.with_suffix('.json')}")
    return 0


# --- parser -----------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="studio", description="GAN Studio on the command line.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("info", help="describe a checkpoint")
    s.add_argument("path", help="a .pt, .pkl or .safetensors checkpoint, or 'default'")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("generate", help="render seeds to PNGs with their recipe")
    s.add_argument("--model", default="default", help="checkpoint path or 'default'")
    s.add_argument("--seeds", default="0-7", help="e.g. 0-7 or 1,5,9-12")
    s.add_argument("--truncation", type=float, default=1.0, help="truncation psi (1 = none)")
    s.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    s.add_argument("--batch", type=int, default=8)
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", required=True, help="output folder")
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("convert", help="convert a checkpoint to GAN Studio .safetensors + model card")
    s.add_argument("src")
    s.add_argument("dst", help="OUT.safetensors")
    s.set_defaults(func=cmd_convert)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .engine import CheckpointError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UserError, CheckpointError, ValueError, OSError) as e:
        print(f"studio {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"studio {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
