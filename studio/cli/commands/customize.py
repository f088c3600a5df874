"""`studio customize`: fine-tune a model to follow your sketches (Sketch Your Own GAN)."""

from __future__ import annotations

import argparse

from ..cmdoptions import MODEL_HELP, add_class, add_model, add_out, class_index, load_model, seed, steps, whole


def add_options(parser: argparse.ArgumentParser) -> None:
    from ...engine.customize.config import TRAIN_MODES
    from ...engine.customize.extractors import EXTRACTOR_NAMES

    add_model(parser, help=MODEL_HELP + " (it must include D)")
    parser.add_argument("--sketches", required=True, help="folder with 1-30 sketches: dark lines on light paper")
    add_class(parser)
    parser.add_argument("--steps", type=steps,
                        help="training steps (default: what the model's card recommends, else 300)")
    add_out(parser, "OUT.safetensors (OUT.json beside it holds the model card)")
    real = parser.add_mutually_exclusive_group()
    real.add_argument("--images", metavar="DIR", help="real images for the image critic")
    real.add_argument("--world", action="store_true", help="real images from the procedural world")
    parser.add_argument("--train", choices=TRAIN_MODES,
                        help="what changes: the mapping network (default), one W shift, or all of G")
    parser.add_argument("--extractor", help=f"sketch extractor: {', '.join(EXTRACTOR_NAMES)} (default: world for a "
                        "model trained on the world, else default, unless its card recommends another)")
    parser.add_argument("--batch", type=whole(1, 256), help="sketches and images per step (default 4)")
    parser.add_argument("--select-every", type=whole(0), metavar="N",
                        help="score G' against the sketches every N steps and save the best snapshot (default 25; 0 "
                             "saves the last step)")
    parser.add_argument("--seed", type=seed, default=0, help="random seed: the same seed repeats a run exactly")
    parser.add_argument("--resume", action="store_true", help="continue from OUT's .customize.pt checkpoint")


def run(args: argparse.Namespace) -> int:
    from ...engine.customize.card import kept_note
    from ...engine.customize.config import CustomizeConfig, recommended_settings
    from ...engine.customize.loop import customize
    from ..progress import TqdmProgress, cancel_on_interrupt

    m = load_model(args.model)
    chosen = {k: getattr(args, k) for k in ("steps", "batch", "train", "extractor", "select_every")}
    settings = {**recommended_settings(m), **{k: v for k, v in chosen.items() if v is not None}}
    cfg = CustomizeConfig(
        out=args.out, images="world" if args.world else args.images, seed=args.seed, resume=args.resume,
        class_index=class_index(m, args), **settings,
    )
    with TqdmProgress("customize", "step") as bar, cancel_on_interrupt() as token:
        out = customize(m, args.sketches, cfg, progress=bar, token=token)
    note = kept_note(out)
    print(f"wrote {out} and {out.with_suffix('.json')}" + (f"; {note}" if note else ""))
    return 0
