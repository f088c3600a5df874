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
    rows = [
        ("file", str(m.path)),
        ("format", m.format),
        ("contains", ", ".join(m.contents)),
        *_architecture_rows(G, m.D is not None),
        *([("classes", f"{len(m.classes)}: {', '.join(m.classes)}")] if m.classes else []),
        ("parameters", f"G {n_g:,}" + (f", D {n_d:,}" if m.D is not None else ", no D")),
        ("weights hash", m.weights_hash[:16]),
    ]
    for key in ("description", "training", "license"):
        if key in m.card:
            rows.append((key, str(m.card[key])))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  " + v.replace("\n", "\n" + " " * (width + 2)))
    return 0


def _architecture_rows(G, has_d: bool) -> list[tuple[str, str]]:
    """``studio info``'s rows on the network: StyleGAN2's channels by resolution, StyleGAN3's layer table."""
    d = ", residual D" if has_d else ""
    common = [("resolution", f"{G.resolution} x {G.resolution}"), ("num_ws", str(G.num_ws)),
              ("z_dim / w_dim", f"{G.z_dim} / {G.w_dim}"), ("mapping layers", str(G.mapping.num_layers))]
    if G.architecture == "sg2":
        channels = ", ".join(f"{r}:{c}" for r, c in sorted(G.config["channels"].items()))
        return [("architecture", f"StyleGAN2 (mapping + skip synthesis{d})"), *common, ("channels", channels)]
    synthesis = G.synthesis
    layers = [f"{'layer':<12} {'rate':>5} {'cutoff':>7} {'size':>5} {'channels':>8}",
              f"{'input':<12} {synthesis.input.sampling_rate:>5g} {synthesis.input.bandwidth:>7.2f} "
              f"{synthesis.input.size:>5} {synthesis.input.channels:>8}"]
    layers += [f"{name:<12} {row.sampling_rate:>5} {row.cutoff:>7.2f} {row.size:>5} {row.channels:>8}"
               for name, row in zip(synthesis.layer_names, synthesis.table)]
    kind = G.architecture[-1].upper()
    what = "1x1 convolutions, radial filters" if kind == "R" else "3x3 convolutions"
    return [
        ("architecture", f"StyleGAN3-{kind} (Fourier input, {len(synthesis.table) - 1} layers + ToRGB, {what}{d})"),
        *common, ("layers", "\n".join(layers)),
    ]
