"""`studio world`: write a data set of procedural paintings (images, sketches, masks, attributes)."""

from __future__ import annotations

import argparse

from ..cmdoptions import add_out, add_yes, confirm, whole

CONFIRM_WORLD = 10_000  # more paintings than this state their number and need --yes: they run for hours


def add_options(parser: argparse.ArgumentParser) -> None:
    from ...engine.world.genres import GENRES

    parser.add_argument("--count", type=whole(1), required=True,
                        help=f"how many paintings to add (over {CONFIRM_WORLD:,} needs --yes)")
    add_out(parser, "the data set's folder: new, empty, or a data set of the same --size to add to")
    parser.add_argument("--size", type=whole(32, 1024), default=128, help="image size in px, 32 to 1024 (default 128)")
    parser.add_argument("--start-seed", type=whole(0), default=None,
                        help="the first painting's seed (default: after the data set's last one, 0 for a new one)")
    add_yes(parser)
    parser.add_argument("--genre", default="portrait", choices=[*GENRES, "all"],
                        help="portrait (default), still_life, landscape, cityscape, or all (the four in turn)")


def run(args: argparse.Namespace) -> int:
    from ...engine.world.dataset import check_dataset_folder, write_dataset
    from ..progress import TqdmProgress, cancel_on_interrupt

    confirm(args, f"--count {args.count}", args.count, "portraits", CONFIRM_WORLD)
    check_dataset_folder(args.out, args.size)
    with TqdmProgress("world", "img") as bar, cancel_on_interrupt() as token:
        made = write_dataset(args.out, args.count, args.size, args.start_seed, progress=bar, token=token,
                             genre=args.genre)
    what = "paintings of the four genres in turn" if args.genre == "all" else args.genre.replace("_", " ") + "s"
    kept = args.count - len(made.added)
    already = f" ({kept} of the seeds asked for were there already)" if kept else ""
    print(f"added {len(made.added)} {what} with sketches, masks and attributes to {made.path}{already}; "
          f"it holds {made.total}")
    return 0
