"""`studio info`: describe a checkpoint."""

from __future__ import annotations

import argparse

from ..cmdoptions import load_model


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="a .pt, .pkl or .safetensors checkpoint, or 'default'")


def run(args: argparse.Namespace) -> int:
    m = load_model(args.path)
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
        *([("classes", f"{len(m.classes)}: {', '.join(m.classes)}")] if m.classes else []),
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
