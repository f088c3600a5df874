"""`studio recolor`: paint colours on a seed's portrait and search latents that match (PULSE-style)."""

from __future__ import annotations

import argparse

from ...engine.invert.work_size import SEARCH_WORK
from ..cmdoptions import (
    add_class,
    add_device,
    add_model,
    add_out,
    add_overwrite,
    add_truncation,
    add_view,
    add_work_size,
    check_picture_out,
    class_index,
    load_model,
    seed,
    steps,
    view,
)


def add_options(parser: argparse.ArgumentParser) -> None:
    add_model(parser)
    parser.add_argument("--seed", type=seed, required=True, help="the portrait, as `studio generate` makes it")
    add_truncation(parser, "truncation psi (1 = none), as in generate")
    add_class(parser)
    parser.add_argument("--mask", required=True, help="square RGBA PNG: colour = target colour, alpha = weight")
    parser.add_argument("--keep", help="square PNG whose alpha marks what must stay (default: everything unpainted)")
    parser.add_argument("--steps", type=steps, default=100, help="search steps (default 100)")
    add_work_size(parser, "search", SEARCH_WORK, "at a quarter of the model's size colours come out less exact")
    add_device(parser)
    add_view(parser, keeps=": the portrait is painted, searched and written moved")
    add_out(parser, "OUT.png (OUT.json beside it holds W+ and the direction)")
    add_overwrite(parser)


def run(args: argparse.Namespace) -> int:
    from ...engine.edit.latents import seed_ws
    from ...engine.edit.portrait import Portrait
    from ...engine.invert.pulse import direction, load_mask, search
    from ...engine.library.recipe import portrait_recipe, write_picture
    from ...engine.model.checkpoints import model_files
    from ...engine.model.labels import class_labels
    from ..progress import TqdmProgress, cancel_on_interrupt

    def remakes(old: dict) -> bool:  # the same seed recoloured with the same mask
        made = old.get("search")
        return isinstance(made, dict) and (made.get("seed"), made.get("mask")) == (args.seed, str(args.mask))

    out = check_picture_out(args, [args.mask, args.keep, *model_files(args.model)], (".json",), remakes)
    m = load_model(args.model, args.device)
    G = m.G
    k = class_index(m, args)
    c = class_labels(G, k)
    paint = load_mask(args.mask)
    keep = load_mask(args.keep) if args.keep else None
    start = seed_ws(G, [args.seed], args.truncation, c)  # the seed's portrait exactly as `studio generate` makes it
    with TqdmProgress("recolor", "step") as bar, cancel_on_interrupt() as token:
        r = search(G, paint, start_ws=start, keep=keep, steps=args.steps, work_size=args.work_size, progress=bar,
                   token=token, c=c, transform=view(Portrait(), args).transform())
    write_picture(out, r.image, portrait_recipe(
        m, view(Portrait.from_w_plus(r.ws[0], class_index=k), args), direction=direction(r.ws, start),
        search={"seed": args.seed, "truncation_psi": args.truncation, "mask": str(args.mask),
                "keep": str(args.keep) if args.keep else None, "steps": r.steps_done,
                "work_size": r.work_size, "best_loss": r.best_loss, "l2": r.l2, "l2_in_mask": r.l2_in_mask,
                "eps": r.eps},
    ))
    verdict = "within" if r.reached else "not within"
    print(f"wrote {out} and {out.with_suffix('.json')}: best L2 {r.l2:.4f} ({verdict} eps {r.eps:g}), "
          f"{r.l2_in_mask:.4f} inside the mask")
    return 0
