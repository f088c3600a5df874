"""`studio`: the command line beside the GUI, one subcommand per engine capability.

Each subcommand only parses arguments, calls the engine and prints; errors the user can fix (a bad file,
a bad option) end in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from tqdm import tqdm

from .engine.jobs import Cancelled, CancelToken, Progress

Command = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


class TqdmProgress:
    """Turns the engine's Progress reports into a tqdm bar (rate and ETA included)."""

    def __init__(self, desc: str, unit: str = "it") -> None:
        self.bar: Optional[tqdm] = None
        self.desc, self.unit = desc, unit

    def __call__(self, p: Progress) -> None:
        if self.bar is None:  # a resumed job starts part-way: count the rate from there
            self.bar = tqdm(total=p.total, initial=p.done, desc=self.desc, unit=self.unit, dynamic_ncols=True)
        self.bar.update(p.done - self.bar.n)
        if p.metrics:
            self.bar.set_postfix({k: f"{v:.3g}" if isinstance(v, float) else v for k, v in p.metrics.items()})
        elif p.message and len(p.message) < 120:  # a phase before the counted work (e.g. rendering a cache)
            self.bar.set_postfix_str(p.message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> "TqdmProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def cancel_on_interrupt() -> Iterator[CancelToken]:
    """Ctrl-C cancels the job through its token, so it can save its state before it stops."""
    token = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: token.cancel())
    try:
        yield token
    finally:
        signal.signal(signal.SIGINT, previous)


def _load(path: str, device: str = "cpu"):
    from .engine import load_model

    return load_model(path, device=device)


# --- info / generate / convert ----------------------------------------------------------------------------


def cmd_info(args: argparse.Namespace) -> int:
    m = _load(args.path)
    G = m.G
    n_g = sum(p.numel() for p in G.parameters())
    n_d = sum(p.numel() for p in m.D.parameters()) if m.D is not None else 0
    channels = ", ".join(f"{r}:{c}" for r, c in sorted(G.config["channels"].items()))
    rows = [
        ("file", str(m.path)),
        ("format", m.format),
        ("contains", ", ".join(m.contents)),
        ("architecture", "StyleGAN2 (mapping + skip synthesis" + (", residual D)" if m.D is not None else ")")),
        ("resolution", f"{G.resolution} x {G.resolution}"),
        ("num_ws", str(G.num_ws)),
        ("z_dim / w_dim", f"{G.z_dim} / {G.w_dim}"),
        ("mapping layers", str(G.mapping.num_layers)),
        ("channels", channels),
        ("parameters", f"G {n_g:,}" + (f", D {n_d:,}" if m.D is not None else ", no D")),
        ("weights hash", m.weights_hash[:16]),
    ]
    for key in ("description", "training", "license"):
        if key in m.card:
            rows.append((key, str(m.card[key])))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .engine.edit.generate import render_seeds
    from .engine.edit.latents import parse_seeds
    from .engine.edit.portrait import Portrait
    from .engine.library.recipe import portrait_recipe, write_picture

    m = _load(args.model, args.device)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as e:
        raise UserError(f"--seeds: {e}") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with TqdmProgress("generate", "img") as bar:
        for seed, img in render_seeds(m.G, seeds, args.truncation, args.noise_mode, args.batch, progress=bar):
            recipe = portrait_recipe(m, Portrait.from_seed(seed, args.truncation), noise_mode=args.noise_mode)
            write_picture(out / f"seed{seed:04d}.png", img, recipe)
    print(f"wrote {len(seeds)} images with their recipes to {out}")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from .engine import save_model

    m = _load(args.src)
    card = dict(m.card)
    card.update(converted_from=str(m.path), source_format=m.format)
    out = save_model(args.dst, m.G, m.D, card, half=args.half)
    print(f"wrote {out} (G{' + D' if m.D is not None else ''}, {m.G.resolution} px) and {out.with_suffix('.json')}")
    return 0


# --- mix / gallery ----------------------------------------------------------------------------------------


def cmd_mix(args: argparse.Namespace) -> int:
    from .engine.edit.latents import parse_seeds
    from .engine.edit.mixing import mixing_grid
    from .engine.images import save_png

    seeds = {}
    for flag in ("rows", "cols"):
        try:
            seeds[flag] = parse_seeds(getattr(args, flag))
        except ValueError as e:
            raise UserError(f"--{flag}: {e}") from None
    m = _load(args.model, args.device)
    with TqdmProgress("mix", "img") as bar:
        grid = mixing_grid(
            m.G, seeds["rows"], seeds["cols"], args.layers, args.strength, args.truncation, args.noise_mode,
            args.batch, progress=bar,
        )
    save_png(args.out, grid.to_image())
    print(f"wrote {args.out}: {len(seeds['rows'])} x {len(seeds['cols'])} mixes ({args.layers}, strength {args.strength})")
    return 0


def cmd_gallery_list(args: argparse.Namespace) -> int:
    from datetime import datetime

    from .engine.library.gallery import list_pictures

    folder = Path(args.gallery_dir)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder.")
    items = list_pictures(folder)
    for it in items:
        when = datetime.fromtimestamp(it.mtime).strftime("%Y-%m-%d %H:%M")
        print(f"{when}  {'recipe' if it.has_recipe else '-     '}  {it.path.name}")
    print(f"{len(items)} picture{'' if len(items) == 1 else 's'} in {folder}")
    return 0


def cmd_gallery_publish(args: argparse.Namespace) -> int:
    from .engine.library.gallery import publish_site

    with TqdmProgress("publish", "pic") as bar:
        index = publish_site(args.gallery_dir, args.out_dir, args.title, progress=bar)
    print(f"wrote {index}")
    return 0


# --- export-onnx ------------------------------------------------------------------------------------------


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from .engine.preview.export_onnx import OPSET, ExportError, ExportInfo, cached_export, export_onnx

    m = _load(args.model)
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


# --- world ------------------------------------------------------------------------------------------------


def cmd_world(args: argparse.Namespace) -> int:
    from .engine.world import write_dataset

    with TqdmProgress("world", "img") as bar, cancel_on_interrupt() as token:
        out = write_dataset(args.out, args.count, args.size, args.start_seed, progress=bar, token=token)
    print(f"wrote {args.count} portraits with sketches, masks and attributes.jsonl to {out}")
    return 0


# --- train ------------------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    import os
    from contextlib import nullcontext
    from dataclasses import replace

    from .engine.train import Trainer, preset
    from .engine.train.few_shot import apply_to_new_run

    chosen = dict(
        data=args.data, out_dir=args.out, batch=args.batch, lr=args.lr, r1_gamma=args.gamma,
        pl_weight=args.pl_weight, mixing_prob=args.mixing, ema_kimg=args.ema_kimg, augment=args.augment,
        xflip=args.xflip, seed=args.seed, checkpoint_every=args.checkpoint_every,
        sample_every=args.sample_every, keep=args.keep, device=args.device, workers=args.workers, init=args.init,
        world_cache=args.world_cache, precision=args.precision, modconv=args.modconv, minutes=args.minutes,
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


# --- customize --------------------------------------------------------------------------------------------


def cmd_customize(args: argparse.Namespace) -> int:
    from .engine.customize.trainer import CustomizeConfig, customize

    m = _load(args.model)
    cfg = CustomizeConfig(
        out=args.out, steps=args.steps, batch=args.batch, train=args.train, extractor=args.extractor,
        images="world" if args.world else args.images, seed=args.seed, resume=args.resume,
    )
    with TqdmProgress("customize", "step") as bar, cancel_on_interrupt() as token:
        out = customize(m, args.sketches, cfg, progress=bar, token=token)
    print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


# --- recolor / project ------------------------------------------------------------------------------------


def cmd_recolor(args: argparse.Namespace) -> int:
    from .engine.edit.latents import seed_ws
    from .engine.edit.portrait import Portrait
    from .engine.invert.pulse import direction, load_mask, search
    from .engine.library.recipe import portrait_recipe, write_picture

    m = _load(args.model, args.device)
    G = m.G
    paint = load_mask(args.mask)
    keep = load_mask(args.keep) if args.keep else None
    start = seed_ws(G, [args.seed], args.truncation)  # the seed's portrait exactly as `studio generate` makes it
    with TqdmProgress("recolor", "step") as bar, cancel_on_interrupt() as token:
        r = search(G, paint, start_ws=start, keep=keep, steps=args.steps, progress=bar, token=token)
    out = Path(args.out)
    write_picture(out, r.image, portrait_recipe(
        m, Portrait.from_w_plus(r.ws[0]), direction=direction(r.ws, start),
        search={"seed": args.seed, "truncation_psi": args.truncation, "mask": str(args.mask),
                "keep": str(args.keep) if args.keep else None, "steps": r.steps_done,
                "best_loss": r.best_loss, "l2": r.l2, "l2_in_mask": r.l2_in_mask, "eps": r.eps},
    ))
    verdict = "within" if r.reached else "not within"
    print(f"wrote {out} and {out.with_suffix('.json')}: best L2 {r.l2:.4f} ({verdict} eps {r.eps:g}), "
          f"{r.l2_in_mask:.4f} inside the mask")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    import numpy as np

    from .engine.atomic import atomic_save
    from .engine.edit.portrait import Portrait
    from .engine.images import load_image
    from .engine.invert.projection import project
    from .engine.library.recipe import portrait_recipe, write_picture

    m = _load(args.model, args.device)
    target = load_image(args.image)
    with TqdmProgress("project", "step") as bar, cancel_on_interrupt() as token:
        r = project(m.G, target, D=m.D, steps=args.steps, progress=bar, token=token)
    out = Path(args.out)
    write_picture(out, r.image, portrait_recipe(
        m, Portrait.from_w_plus(r.ws[0]), noise=r.noise,
        projection={"image": str(args.image), "steps": r.steps_done, "psnr": r.psnr},
    ))
    npz = out.with_suffix(".npz")

    def write_npz(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object, so numpy does not append ".npz" to the temp name
            np.savez(f, w_plus=r.ws[0].cpu().numpy(), **{f"noise/{k}": v for k, v in r.noise.items()})

    atomic_save(npz, write_npz)
    print(f"wrote {out} and {npz}: PSNR {r.psnr:.2f} dB after {r.steps_done} steps")
    return 0


# --- parser -----------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from .engine.train.config import PRESETS
    from .engine.train.few_shot import SMALL_FOLDER

    p = argparse.ArgumentParser(prog="studio", description="GAN Studio on the command line.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("info", help="describe a checkpoint")
    s.add_argument("path", help="a .pt, .pkl or .safetensors checkpoint, or 'default'")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("generate", help="render seeds to PNGs with their recipe")
    s.add_argument("--model", default="default", help="checkpoint path or 'default'")
    s.add_argument("--seeds", default="0-7", help="e.g. 0-7 or 1,5,9-12")
    s.add_argument("--truncation", type=float, default=1.0, help="truncation psi (1 = none)")
    s.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    s.add_argument("--batch", type=int, default=8)
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", required=True, help="output folder")
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("convert", help="convert a checkpoint to GAN Studio .safetensors + model card")
    s.add_argument("src")
    s.add_argument("dst", help="OUT.safetensors")
    s.add_argument("--half", action="store_true", help="store float16 tensors (half the size; loads as float32)")
    s.set_defaults(func=cmd_convert)

    s = sub.add_parser("mix", help="render a style-mixing grid (the StyleGAN paper's figure) to one PNG")
    s.add_argument("--model", default="default", help="checkpoint path or 'default'")
    s.add_argument("--rows", default="1-4", help="sources A, down the side: e.g. 1,2,3 or 1-4")
    s.add_argument("--cols", default="10-13", help="sources B, across the top")
    s.add_argument("--layers", default="coarse", help="what B gives: coarse, middle, fine, coarse+middle, all, a-b")
    s.add_argument("--strength", type=float, default=1.0, help="0 keeps A, 1 copies B's styles")
    s.add_argument("--truncation", type=float, default=1.0, help="truncation psi (1 = none)")
    s.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    s.add_argument("--batch", type=int, default=8)
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", required=True, help="output PNG")
    s.set_defaults(func=cmd_mix)

    s = sub.add_parser("gallery", help="list a gallery folder, or publish it as a static website")
    actions = s.add_subparsers(dest="gallery_command", required=True, metavar="ACTION")
    g = actions.add_parser("list", help="list the pictures, newest first, and whether each carries its recipe")
    g.add_argument("gallery_dir")
    g.set_defaults(func=cmd_gallery_list)
    g = actions.add_parser("publish", help="write the gallery as an offline website (re-publishing updates it)")
    g.add_argument("gallery_dir")
    g.add_argument("out_dir")
    g.add_argument("--title", default="GAN Studio gallery", help="the website's title")
    g.set_defaults(func=cmd_gallery_publish)

    s = sub.add_parser("export-onnx", help="export the live-preview ONNX graphs, checked against torch")
    s.add_argument("--model", default="default", help="checkpoint path or 'default'")
    s.add_argument("--out", help="output folder (default: the preview cache the GUI reads)")
    s.add_argument("--opset", type=int, default=None, help="ONNX opset, 17 or newer (default 18)")
    s.set_defaults(func=cmd_export_onnx)

    s = sub.add_parser("world", help="write a data set of procedural painted portraits (images, sketches, masks)")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--size", type=int, default=128)
    s.add_argument("--start-seed", type=int, default=0)
    s.set_defaults(func=cmd_world)

    s = sub.add_parser(
        "train", help="train StyleGAN2 (several GPUs: torchrun --nproc_per_node K -m studio.cli train)",
        description=f"A new run on a folder of under {SMALL_FOLDER:,} pictures gets few-shot settings (DiffAugment "
                    "or ADA, x-flips, stylegan2-ada's learning rate, R1 and EMA rules), printed one line each; an "
                    "option you give is kept.")
    s.add_argument("--preset", default="default128", choices=list(PRESETS),
                   help="architecture and recipe: " + "; ".join(f"{k}: {v.resolution} px" for k, v in PRESETS.items()))
    s.add_argument("--init", metavar="MODEL", help="warm start: begin G and D from this model file ('default' too)")
    s.add_argument("--data", default="world", help="a folder of images (searched recursively) or 'world'")
    s.add_argument("--out", required=True, help="run folder: checkpoints, samples, metrics, model.safetensors")
    length = s.add_mutually_exclusive_group()
    length.add_argument("--kimg", type=float, help="train until this many thousand images have been shown")
    length.add_argument("--steps", type=int, help="train until this many steps")
    s.add_argument("--resume", help="a training checkpoint, or 'auto' for the newest in --out (if any)")
    s.add_argument("--batch", type=int, help="global batch, split over torchrun processes")
    s.add_argument("--lr", type=float, help="Adam learning rate (default 0.002)")
    s.add_argument("--gamma", type=float, help="R1 weight (default 0.0002 * resolution^2 / batch)")
    s.add_argument("--pl-weight", type=float, help="path-length regularisation weight (0 turns it off)")
    s.add_argument("--mixing", type=float, help="style-mixing probability (default 0.9)")
    s.add_argument("--ema-kimg", type=float, help="G EMA half-life in thousands of images (default 10)")
    s.add_argument("--augment", choices=["none", "diffaugment", "ada"], help="augmentation for small data sets")
    s.add_argument("--xflip", action=argparse.BooleanOptionalAction,
                   help=f"also train on mirrored images (folders; on by default under {SMALL_FOLDER:,} pictures)")
    s.add_argument("--seed", type=int)
    s.add_argument("--checkpoint-every", type=int, help="steps between checkpoints (and model exports)")
    s.add_argument("--sample-every", type=int, help="steps between sample grids")
    s.add_argument("--keep", type=int, help="how many checkpoints to keep")
    s.add_argument("--device", help="auto, cpu, cuda or cuda:N")
    s.add_argument("--workers", type=int, help="data-loading processes per GPU")
    s.add_argument("--world-cache", type=int, metavar="N",
                   help="world data: train on N portraits rendered once into the user cache (0 = render every batch)")
    s.add_argument("--precision", choices=["auto", "fp32", "bf16"],
                   help="auto (default): bf16 where the device computes it natively, else fp32")
    s.add_argument("--modconv", choices=["auto", "fused", "nonfused"],
                   help="modulated conv path; auto (default): fused on CUDA, non-fused on CPU")
    s.add_argument("--minutes", type=float, help="stop after this many minutes, saving a checkpoint and the model")
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("recolor", help="paint colours on a seed's portrait and search latents that match")
    s.add_argument("--model", default="default", help="checkpoint path or 'default'")
    s.add_argument("--seed", type=int, required=True, help="the portrait, as `studio generate` makes it")
    s.add_argument("--truncation", type=float, default=1.0, help="truncation psi (1 = none), as in generate")
    s.add_argument("--mask", required=True, help="RGBA PNG: colour = target colour, alpha = weight")
    s.add_argument("--keep", help="PNG whose alpha marks what must stay (default: everything unpainted)")
    s.add_argument("--steps", type=int, default=100)
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", required=True, help="OUT.png (OUT.json beside it holds W+ and the direction)")
    s.set_defaults(func=cmd_recolor)

    s = sub.add_parser("project", help="find the latents of a picture (Image2StyleGAN) to edit it")
    s.add_argument("--model", default="default", help="checkpoint path or 'default'")
    s.add_argument("--image", required=True, help="the picture (centre-cropped to a square)")
    s.add_argument("--steps", type=int, default=300)
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", required=True, help="OUT.png (with OUT.json and OUT.npz: W+ and noise maps)")
    s.set_defaults(func=cmd_project)

    s = sub.add_parser("customize", help="fine-tune a model to follow your sketches (Sketch Your Own GAN)")
    s.add_argument("--model", default="default", help="checkpoint path or 'default' (it must include D)")
    s.add_argument("--sketches", required=True, help="folder with 1-30 sketches: dark lines on light paper")
    s.add_argument("--steps", type=int, default=1000)
    s.add_argument("--out", required=True, help="OUT.safetensors")
    real = s.add_mutually_exclusive_group()
    real.add_argument("--images", metavar="DIR", help="real images for the image critic")
    real.add_argument("--world", action="store_true", help="real images from the procedural world")
    s.add_argument("--train", choices=["mapping", "shift", "full"], default="mapping",
                   help="what changes: the mapping network (default), one W shift, or all of G")
    s.add_argument("--extractor", default="default", help="sketch extractor: default, world or photosketch:PATH")
    s.add_argument("--batch", type=int, default=4)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--resume", action="store_true", help="continue from OUT's .customize.pt checkpoint")
    s.set_defaults(func=cmd_customize)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .engine import CheckpointError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UserError, CheckpointError, ValueError, OSError) as e:
        print(f"studio {args.command}: {e}", file=sys.stderr)
        return 2
    except Cancelled:
        print(f"studio {args.command}: cancelled; its state was saved", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"studio {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
