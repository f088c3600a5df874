"""`studio gallery list|publish`: list a gallery folder, or publish it as a static website."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cmdoptions import UserError


def add_options(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="gallery_command", required=True, metavar="ACTION")
    a = actions.add_parser("list", help="list the pictures, newest first, and whether each carries its recipe")
    a.add_argument("gallery_dir", help="the gallery folder")
    a = actions.add_parser("publish", help="write the gallery as an offline website (re-publishing updates it)")
    a.add_argument("gallery_dir", help="the gallery folder")
    a.add_argument("out_dir", help="the website's folder: new, empty, or an earlier publish to update")
    a.add_argument("--title", default="GAN Studio gallery", help="the website's title")


def run(args: argparse.Namespace) -> int:
    return _list(args) if args.gallery_command == "list" else _publish(args)


def _list(args: argparse.Namespace) -> int:
    from datetime import datetime

    from ...engine.library.gallery import list_pictures

    folder = Path(args.gallery_dir)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder.")
    items = list_pictures(folder)
    for it in items:
        when = datetime.fromtimestamp(it.mtime).strftime("%Y-%m-%d %H:%M")
        print(f"{when}  {'recipe' if it.has_recipe else '-     '}  {it.path.name}")
    print(f"{len(items)} picture{'' if len(items) == 1 else 's'} in {folder}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from ...engine.library.site import publish_site
    from ..progress import TqdmProgress

    with TqdmProgress("publish", "pic") as bar:
        site = publish_site(args.gallery_dir, args.out_dir, args.title, progress=bar)
    for why in site.skipped.values():  # each names its picture
        print(f"studio gallery publish: skipped a picture: {why}", file=sys.stderr)
    skipped = f"; skipped {len(site.skipped)} unreadable" if site.skipped else ""
    print(f"wrote {site.index} ({site.published} picture{'' if site.published == 1 else 's'}{skipped})")
    return 0
