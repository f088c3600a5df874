"""`studio export-onnx`: the live preview's ONNX graphs, checked against torch."""

from __future__ import annotations

import argparse

from ..cmdoptions import UserError, add_model, add_out, load_model, whole


def opset(text: str) -> int:
    """An argparse type: an ONNX opset the exporter really writes."""
    from ...engine.preview.export.writer import check_opset

    try:
        return check_opset(whole(1)(text))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_options(parser: argparse.ArgumentParser) -> None:
    from ...engine.preview.export.writer import MIN_OPSET, OPSET

    add_model(parser)
    add_out(parser, required=False, help="output folder: new, empty or an earlier export (default: the preview cache)")
    parser.add_argument("--opset", type=opset, default=None, help=f"ONNX opset, {MIN_OPSET} or newer (default {OPSET})")


def run(args: argparse.Namespace) -> int:
    from ...engine.preview.export.cache import cached_export
    from ...engine.preview.export.format import ExportError, ExportInfo, check_export_folder
    from ...engine.preview.export.writer import OPSET, export_onnx
    from ..progress import TqdmProgress

    if args.out:
        check_export_folder(args.out)
    m = load_model(args.model)
    opset = args.opset or OPSET
    try:
        with TqdmProgress("export", "step") as bar:
            if args.out:
                info = export_onnx(m, args.out, opset=opset, progress=bar)
            else:
                info = ExportInfo.read(cached_export(m, opset=opset, progress=bar))
    except ExportError as e:
        raise UserError(str(e)) from None
    levels = ", ".join(f"{name} {res} px" for name, res in info.levels.items())
    print(f"wrote {info.path} ({levels}); worst relative error vs torch {max(info.parity.values()):.1e}")
    return 0
