"""`studio convert`: a checkpoint of any format to GAN Studio .safetensors with its model card."""

from __future__ import annotations

import argparse

from ..cmdoptions import load_model


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", help="the checkpoint to convert: NVIDIA .pkl, rosinality .pt or GAN Studio .safetensors")
    parser.add_argument("dst", help="OUT.safetensors (OUT.json beside it holds the model card)")
    parser.add_argument("--half", action="store_true", help="store float16 tensors (half the size; loads as float32)")


def run(args: argparse.Namespace) -> int:
    from ...engine.model.checkpoints import model_files
    from ...engine.model.safetensors_io import card_path, save_model
    from ...engine.outputs import check_output_file

    check_output_file(args.dst, ".safetensors", "a GAN Studio model", inputs=model_files(args.src),
                      companions=[card_path(args.dst)])
    m = load_model(args.src)
    card = dict(m.card)
    card.update(converted_from=str(m.path), source_format=m.format)
    out = save_model(args.dst, m.G, m.D, card, half=args.half)
    print(f"wrote {out} (G{' + D' if m.D is not None else ''}, {m.G.resolution} px) and {out.with_suffix('.json')}")
    return 0
