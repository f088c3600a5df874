"""`studio train`: train StyleGAN2 on a folder of pictures or the procedural world (torchrun for several GPUs)."""

from __future__ import annotations

import argparse

from ..cmdoptions import UserError, add_out, add_yes, confirm, number, run_device, seed, steps, whole

CONFIRM_WORLD_CACHE = 200_000  # more cached paintings than this state their number and need --yes: they fill memory
# A global batch beyond any one machine's memory at the smallest size (4096 pictures of 128 px are 800 MB in fp32
# before a single activation); a bigger one grew memory without bound until the machine died.
MAX_BATCH = 4096
MAX_KIMG = 1_000_000  # a thousand times StyleGAN2's longest run (25,000 kimg); past it, steps overflow
MAX_MINUTES = 525_600  # a year
MAX_WORKERS = 64  # data-loading processes per GPU; each is a copy of the data pipeline in memory
MAX_FACE_CRITIC = 100.0  # a face term a hundred times the whole picture's loss would drown it


def add_options(parser: argparse.ArgumentParser) -> None:
    from ...engine.train.config import AUGMENTS, MODCONVS, PRECISIONS, PRESETS, SMALL_FOLDER, TrainConfig

    defaults = TrainConfig()
    add = parser.add_argument
    parser.description = (
        f"A new run on a folder of under {SMALL_FOLDER:,} pictures gets few-shot settings (DiffAugment or ADA, "
        "x-flips, stylegan2-ada's learning rate, R1 and EMA rules), printed one line each; an option you give is kept.")
    add("--preset", default="default128", choices=list(PRESETS),
        help="architecture and recipe: " + "; ".join(
            f"{k}: {v.resolution} px, batch {v.batch}" + (f", {v.world_cache:,} cached world portraits"
                                                         if v.world_cache else "")
            for k, v in PRESETS.items()))
    add("--init", metavar="MODEL", help="warm start: begin G and D from this model file ('default' too)")
    add("--data", default="world", help="a folder of images (searched recursively) or 'world'")
    add("--cond", action="store_true",
        help="class-conditional: the sub-folders of --data are the classes (first level, sorted by name); "
             "with --data world the classes are its four genres, painted in turn (class 0 portrait)")
    add_out(parser, "run folder: checkpoints, samples, metrics, model.safetensors")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--kimg", type=number(0, above=True, most=MAX_KIMG),
                        help="train until this many thousand images have been shown")
    length.add_argument("--steps", type=steps, help=f"train until this many steps (default {defaults.steps:,})")
    add("--resume", help="a training checkpoint, or 'auto' for the newest readable one in --out (if any)")
    add("--batch", type=whole(1, MAX_BATCH), help=f"global batch (1 to {MAX_BATCH}), split over torchrun processes")
    add("--lr", type=number(0, 1, above=True), help=f"Adam learning rate (default {defaults.lr:g})")
    add("--gamma", type=number(0), help="R1 weight (default 0.0002 * resolution^2 / batch)")
    add("--pl-weight", type=number(0), help="path-length regularisation weight (0 turns it off)")
    add("--mixing", type=number(0, 1), help=f"style-mixing probability (default {defaults.mixing_prob:g})")
    add("--ema-kimg", type=number(0),
        help=f"G EMA half-life in thousands of images (default {defaults.ema_kimg:g})")
    add("--augment", choices=AUGMENTS, help="augmentation for small data sets")
    add("--freeze-d", type=whole(0), metavar="N",
        help="Freeze-D: keep the start model's weights in D's first N blocks from the image side "
             "(warm starts on small folders)")
    add("--freeze-g", type=whole(0), metavar="PX",
        help="FreezeG: keep the start model's weights in G's blocks up to PX pixels (32: learn a folder's "
             "colours and brushwork, keep the model's layouts and faces)")
    add("--face-critic", type=number(0, MAX_FACE_CRITIC), metavar="WEIGHT",
        help="a second critic that judges the faces up close (32 px face crops of the world's portraits) with "
             f"this weight in G's loss (0 to {MAX_FACE_CRITIC:g}); 0 or leaving it out is off; on --resume, left "
             "out keeps the checkpoint's, and a critic added then starts fresh")
    add("--xflip", action=argparse.BooleanOptionalAction,
        help=f"also train on mirrored images (folders; on by default under {SMALL_FOLDER:,} pictures)")
    add("--seed", type=seed, help="the run's random seed: the same seed repeats a run exactly")
    add("--checkpoint-every", type=whole(1), help="steps between checkpoints (and model exports)")
    add("--sample-every", type=whole(1), help="steps between sample grids")
    add("--keep", type=whole(1), help=f"how many checkpoints to keep (default {defaults.keep})")
    add("--device", type=run_device, help="auto (default), cpu, cuda or cuda:N")
    add("--workers", type=whole(0, MAX_WORKERS),
        help=f"data-loading processes per GPU, 0 to {MAX_WORKERS} (0 loads in the trainer)")
    add("--world-cache", type=whole(0), metavar="N",
        help="world data: train on N paintings rendered once into the user cache (0 = render every batch; "
             f"over {CONFIRM_WORLD_CACHE:,} needs --yes)")
    add("--precision", choices=PRECISIONS,
        help="auto (default): bf16 where the device computes it natively, else fp32")
    add("--modconv", choices=MODCONVS,
        help="modulated conv path; auto (default): fused on CUDA, non-fused on CPU")
    add("--minutes", type=number(0, above=True, most=MAX_MINUTES),
        help="stop after this many minutes, saving a checkpoint and the model")
    add_yes(parser)


def run(args: argparse.Namespace) -> int:
    import os
    from contextlib import nullcontext
    from dataclasses import replace

    from ...engine.train.config import preset
    from ...engine.train.few_shot import apply_to_new_run
    from ...engine.train.loop import Trainer
    from ..progress import TqdmProgress, cancel_on_interrupt

    for option, value in (("--freeze-g", args.freeze_g), ("--freeze-d", args.freeze_d)):
        if value and not args.init:
            raise UserError(f"{option} keeps blocks of the start model, so it needs one: add --init MODEL "
                            "(a model file, or 'default').")
    if args.world_cache is not None:
        confirm(args, f"--world-cache {args.world_cache}", args.world_cache, "paintings rendered and kept in memory",
                CONFIRM_WORLD_CACHE)
    chosen = dict(
        data=args.data, out_dir=args.out, batch=args.batch, lr=args.lr, r1_gamma=args.gamma,
        pl_weight=args.pl_weight, mixing_prob=args.mixing, ema_kimg=args.ema_kimg, augment=args.augment,
        freeze_d=args.freeze_d, freeze_g=args.freeze_g, xflip=args.xflip, seed=args.seed,
        checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, keep=args.keep, device=args.device,
        workers=args.workers, init=args.init, world_cache=args.world_cache, precision=args.precision,
        modconv=args.modconv, minutes=args.minutes, cond=args.cond or None, face_critic=args.face_critic,
    )
    given = {k: v for k, v in chosen.items() if v is not None}
    config = preset(args.preset, **given)
    if args.kimg is not None:
        config = config.with_kimg(args.kimg)
    elif args.steps is not None:
        config = replace(config, steps=args.steps)
    main_rank = int(os.environ.get("RANK", "0")) == 0  # under torchrun only rank 0 talks
    config, few_shot = apply_to_new_run(config, keep=given, resume=args.resume)
    if main_rank and few_shot:
        print("\n".join(few_shot))
    trainer = Trainer(config, resume=args.resume)
    if main_rank:
        print(trainer.summary)
    with TqdmProgress("train", "step") if main_rank else nullcontext() as bar, cancel_on_interrupt() as token:
        path = trainer.run(progress=bar, token=token)
    if main_rank:
        print(f"wrote {path} and {path.with_suffix('.json')}; checkpoints, samples and loss curves in {args.out}")
    return 0
