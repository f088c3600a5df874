"""`studio mix`: a style-mixing grid (the StyleGAN paper's figure) in one PNG."""

from __future__ import annotations

import argparse

from ...engine.edit.ranges import MIX_STRENGTH_RANGE
from ..cmdoptions import (
    TRUNCATION_RANGE,
    YES_HELP,
    add_batch,
    add_class,
    add_device,
    add_model,
    add_noise_mode,
    add_out,
    add_overwrite,
    add_truncation,
    add_view,
    add_yes,
    check_picture_out,
    class_index,
    confirm,
    load_model,
    number,
    seeds,
    view,
)

CONFIRM_MIX_CELLS = 256  # more mixes than this state their number and need --yes


def add_options(parser: argparse.ArgumentParser) -> None:
    from ...engine.model.architecture import GROUPS

    add_model(parser)
    parser.add_argument("--rows", type=seeds, default="1-4", help="sources A, down the side: e.g. 1,2,3 or 1-4")
    parser.add_argument("--cols", type=seeds, default="10-13", help="sources B, across the top")
    parser.add_argument("--layers", default="coarse",
                        help=f"what B gives: {', '.join(GROUPS)}, a sum such as coarse+middle, all, or W+ indices a-b")
    parser.add_argument("--strength", type=number(*MIX_STRENGTH_RANGE), default=1.0,
                        help="0 to 1: 0 keeps A, 1 copies B's styles")
    add_truncation(parser, "truncation psi, {:g} to {:g} (1 = none)".format(*TRUNCATION_RANGE))
    add_noise_mode(parser)
    add_class(parser)
    add_batch(parser)
    add_device(parser)
    add_view(parser)
    add_out(parser, "output PNG")
    add_overwrite(parser)
    add_yes(parser, f"{YES_HELP} (over {CONFIRM_MIX_CELLS} mixes)")


def run(args: argparse.Namespace) -> int:
    from ...engine.edit.mixing import mixing_grid
    from ...engine.edit.portrait import Portrait
    from ...engine.images import save_png
    from ...engine.model.checkpoints import model_files
    from ...engine.model.labels import class_labels
    from ..progress import TqdmProgress

    confirm(args, f"--rows {args.rows} --cols {args.cols}", len(args.rows) * len(args.cols), "mixes",
            CONFIRM_MIX_CELLS)
    check_picture_out(args, model_files(args.model))  # a grid carries no recipe: any picture there is another
    m = load_model(args.model, args.device)
    c = class_labels(m.G, class_index(m, args))
    transform = view(Portrait(), args).transform()
    with TqdmProgress("mix", "img") as bar:
        grid = mixing_grid(
            m.G, list(args.rows), list(args.cols), args.layers, args.strength, args.truncation,
            args.noise_mode, args.batch, progress=bar, rows_c=c, cols_c=c, transform=transform,
        )
    save_png(args.out, grid.to_image())
    print(f"wrote {args.out}: {len(args.rows)} x {len(args.cols)} mixes ({args.layers}, strength {args.strength})")
    return 0
