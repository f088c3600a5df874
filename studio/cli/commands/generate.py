"""`studio generate`: render seeds to PNGs, each with its recipe."""

from __future__ import annotations

import argparse
import re

from ..cmdoptions import (
    TRUNCATION_RANGE,
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
    class_index,
    confirm,
    load_model,
    seeds,
    view,
)

CONFIRM_PICTURES = 1_000  # more pictures than this state their number and need --yes: they fill a disk


def add_options(parser: argparse.ArgumentParser) -> None:
    add_model(parser)
    parser.add_argument("--seeds", type=seeds, default="0-7",
                        help=f"seeds such as 0-7 or 1,5,9-12 (0 to 4294967295; over {CONFIRM_PICTURES:,} pictures "
                             "needs --yes)")
    add_truncation(parser, "truncation psi, {:g} to {:g}: 1 = none, lower = more typical portraits".format(
        *TRUNCATION_RANGE))
    add_noise_mode(parser)
    add_class(parser)
    add_batch(parser)
    add_device(parser)
    add_view(parser)
    add_out(parser, "output folder; seed<N>.png files are added to it")
    add_overwrite(parser)
    add_yes(parser)


def _seed_of(name: str) -> int | None:
    """The seed of a picture ``studio generate`` names ``seed<N>.png`` (and its ``seed<N>.json``), else None."""
    found = re.fullmatch(r"seed(\d+)\.(png|json)", name)
    return int(found[1]) if found else None


def run(args: argparse.Namespace) -> int:
    from ...engine.edit.generate import render_seeds
    from ...engine.edit.portrait import Portrait
    from ...engine.library.recipe import portrait_recipe, write_picture
    from ...engine.model.labels import class_labels
    from ...engine.outputs import check_files_in
    from ..progress import TqdmProgress

    seeds = args.seeds
    confirm(args, f"--seeds {seeds}", len(seeds), "pictures", CONFIRM_PICTURES)
    out = check_files_in(args.out, "the pictures", lambda name: _seed_of(name) in seeds,
                         replace_confirmed=args.overwrite,
                         remakes=lambda name, recipe: recipe.get("seed") == _seed_of(name))  # the same seed again
    m = load_model(args.model, args.device)
    k = class_index(m, args)
    out.mkdir(parents=True, exist_ok=True)
    moved = view(Portrait(), args)
    with TqdmProgress("generate", "img") as bar:
        for seed, img in render_seeds(m.G, seeds, args.truncation, args.noise_mode, args.batch, progress=bar,
                                      c=class_labels(m.G, k), transform=moved.transform()):
            portrait = Portrait.from_seed(seed, args.truncation, k).with_view(moved.translate, moved.rotate)
            recipe = portrait_recipe(m, portrait, noise_mode=args.noise_mode)
            write_picture(out / f"seed{seed:04d}.png", img, recipe)
    print(f"wrote {len(seeds)} images with their recipes to {out}")
    return 0
