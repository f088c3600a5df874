"""`studio`: the command line beside the GUI, one subcommand per engine capability.

Each subcommand only parses arguments, calls the engine and prints; errors the user can fix (a bad file,
a bad option) end in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from tqdm import tqdm

from .engine.jobs import Cancelled, CancelToken, Progress

Command = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


class TqdmProgress:
    """Turns the engine's Progress reports into a tqdm bar (rate and ETA included)."""

    def __init__(self, desc: str, unit: str = "it") -> None:
        self.bar: tqdm | None = None
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

    def __enter__(self) -> TqdmProgress:
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


CLASS_HELP = "class of a class-conditional model: a name from its card or an index (default: class 0)"


def _class_index(m, args: argparse.Namespace) -> int | None:
    """``--class`` as an index into the model's classes; None for an unconditional model.

    A conditional model without ``--class`` renders class 0, said once on stderr: an error would break every
    command and script that works today the moment a conditional model becomes the default.
    """
    if not m.classes:
        if args.class_name is not None:
            raise UserError(f"--class: {m.name} is not class-conditional; leave --class out.")
        return None
    if args.class_name is None:
        print(f"studio {args.command}: {m.name} is class-conditional; using class 0 ({m.classes[0]}); "
              f"choose with --class ({', '.join(m.classes)})", file=sys.stderr)
        return 0
    try:
        return m.resolve_class(args.class_name)
    except ValueError as e:
        raise UserError(f"--class: {e}") from None


def _add_class_option(s: argparse.ArgumentParser) -> None:
    s.add_argument("--class", dest="class_name", metavar="NAME|INDEX", help=CLASS_HELP)


def _add_view_options(s: argparse.ArgumentParser, keeps: str = "") -> None:
    """``--translate X,Y`` and ``--rotate DEG``: a StyleGAN3 picture moved through its Fourier input."""
    s.add_argument("--translate", type=pair, metavar="X,Y", default=None,
                   help="StyleGAN3 only: move the picture by X,Y picture widths (+x right, +y down; write "
                        f"--translate=-0.1,0 for a negative X){keeps}")
    s.add_argument("--rotate", type=number(-360.0, 360.0), metavar="DEG", default=None,
                   help=f"StyleGAN3 only: turn the picture by DEG degrees, counter-clockwise{keeps}")


def _view(portrait, args: argparse.Namespace):
    """``portrait`` moved and turned as ``--translate`` / ``--rotate`` ask (an option left out keeps its part)."""
    return portrait.with_view(args.translate, args.rotate)
# --- option values: checked while parsing, so a bad value is one line naming the option ------------------

# Requests beyond these sizes state their size and need --yes: they run for hours, or fill a disk.
CONFIRM_PICTURES = 1_000
CONFIRM_MIX_CELLS = 256
CONFIRM_WORLD = 10_000
CONFIRM_WORLD_CACHE = 200_000
TRUNCATION_RANGE = (-1.0, 2.0)


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's convention: a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message.rstrip('.')} (see {self.prog} --help)\n")


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _span(lo: float, hi: float | None) -> str:
    return f"from {_num(lo)} to {_num(hi)}" if hi is not None else f"of at least {_num(lo)}"


def whole(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``lo`` (to ``hi``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be a whole number {_span(lo, hi)}, not {value}")
        return value

    return parse


def number(lo: float, hi: float | None = None, above: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number from ``lo`` (or ``above`` it) to ``hi``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
        if (value <= lo if above else value < lo) or (hi is not None and value > hi):
            rule = (f"above {lo:g}" + (f" and at most {hi:g}" if hi is not None else "")) if above else _span(lo, hi)
            raise argparse.ArgumentTypeError(f"must be a number {rule}, not {value:g}")
        return value

    return parse


def pair(text: str) -> tuple[float, float]:
    """An argparse type: two finite numbers, X,Y."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"must be two numbers X,Y, not {text!r}")
    return number(-math.inf)(parts[0]), number(-math.inf)(parts[1])


def seeds(text: str):
    """An argparse type: seeds such as 0-7 or 1,5,9-12 (``Seeds``: a huge range costs nothing until used)."""
    from .engine.edit.latents import parse_seeds

    try:
        return parse_seeds(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def seeds_one(text: str) -> int:
    """An argparse type: one seed."""
    from .engine.edit.latents import MAX_SEED

    return whole(0, MAX_SEED)(text)


def opset(text: str) -> int:
    """An argparse type: an ONNX opset the exporter really writes."""
    from .engine.preview.export.writer import check_opset

    try:
        return check_opset(whole(1)(text))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _confirm(args: argparse.Namespace, request: str, count: int, what: str, limit: int) -> None:
    """Refuse a request of ``count`` things over ``limit`` unless --yes was given, saying how big it is."""
    if count > limit and not args.yes:
        raise UserError(f"{request} asks for {count:,} {what}, more than {limit:,} at once; add --yes to go ahead.")


# --- info / generate / convert ----------------------------------------------------------------------------


def cmd_info(args: argparse.Namespace) -> int:
    m = _load(args.path)
    G = m.G
    n_g = sum(p.numel() for p in G.parameters())
    n_d = sum(p.numel() for p in m.D.parameters()) if m.D is not None else 0
    rows = [
        ("file", str(m.path)),
        ("format", m.format),
        ("contains", ", ".join(m.contents)),
        *_architecture_rows(G, m.D is not None),
        *([("classes", f"{len(m.classes)}: {', '.join(m.classes)}")] if m.classes else []),
        ("parameters", f"G {n_g:,}" + (f", D {n_d:,}" if m.D is not None else ", no D")),
        ("weights hash", m.weights_hash[:16]),
    ]
    for key in ("description", "training", "license"):
        if key in m.card:
            rows.append((key, str(m.card[key])))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  " + v.replace("\n", "\n" + " " * (width + 2)))
    return 0


def _architecture_rows(G, has_d: bool) -> list[tuple[str, str]]:
    """``studio info``'s rows on the network: StyleGAN2's channels by resolution, StyleGAN3's layer table."""
    d = ", residual D" if has_d else ""
    common = [("resolution", f"{G.resolution} x {G.resolution}"), ("num_ws", str(G.num_ws)),
              ("z_dim / w_dim", f"{G.z_dim} / {G.w_dim}"), ("mapping layers", str(G.mapping.num_layers))]
    if G.architecture == "sg2":
        channels = ", ".join(f"{r}:{c}" for r, c in sorted(G.config["channels"].items()))
        return [("architecture", f"StyleGAN2 (mapping + skip synthesis{d})"), *common, ("channels", channels)]
    synthesis = G.synthesis
    layers = [f"{'layer':<12} {'rate':>5} {'cutoff':>7} {'size':>5} {'channels':>8}",
              f"{'input':<12} {synthesis.input.sampling_rate:>5g} {synthesis.input.bandwidth:>7.2f} "
              f"{synthesis.input.size:>5} {synthesis.input.channels:>8}"]
    layers += [f"{name:<12} {row.sampling_rate:>5} {row.cutoff:>7.2f} {row.size:>5} {row.channels:>8}"
               for name, row in zip(synthesis.layer_names, synthesis.table)]
    kind = G.architecture[-1].upper()
    what = "1x1 convolutions, radial filters" if kind == "R" else "3x3 convolutions"
    return [
        ("architecture", f"StyleGAN3-{kind} (Fourier input, {len(synthesis.table) - 1} layers + ToRGB, {what}{d})"),
        *common, ("layers", "\n".join(layers)),
    ]


def cmd_generate(args: argparse.Namespace) -> int:
    from .engine.edit.generate import render_seeds
    from .engine.edit.portrait import Portrait
    from .engine.library.recipe import portrait_recipe, write_picture
    from .engine.model.labels import class_labels
    from .engine.outputs import check_files_in

    seeds = args.seeds
    _confirm(args, f"--seeds {seeds}", len(seeds), "pictures", CONFIRM_PICTURES)
    out = check_files_in(args.out, "the pictures", lambda name: _seed_of(name) in seeds)
    m = _load(args.model, args.device)
    k = _class_index(m, args)
    out.mkdir(parents=True, exist_ok=True)
    view = _view(Portrait(), args)
    with TqdmProgress("generate", "img") as bar:
        for seed, img in render_seeds(m.G, seeds, args.truncation, args.noise_mode, args.batch, progress=bar,
                                      c=class_labels(m.G, k), transform=view.transform()):
            portrait = Portrait.from_seed(seed, args.truncation, k).with_view(view.translate, view.rotate)
            recipe = portrait_recipe(m, portrait, noise_mode=args.noise_mode)
            write_picture(out / f"seed{seed:04d}.png", img, recipe)
    print(f"wrote {len(seeds)} images with their recipes to {out}")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    import torch

    from .engine.edit.directions import pca_directions
    from .engine.images import load_image, tensor_to_images
    from .engine.library.recipe import read_recipe, view_fields, write_picture
    from .engine.model.checkpoints import SHIPPED_MODELS, model_files
    from .engine.session import Session

    source = Path(args.recipe)
    recipe = read_recipe(source)
    name, wanted = recipe.get("model", "unknown"), recipe.get("model_hash")
    model_path = args.model or (name if name in SHIPPED_MODELS else None)
    if model_path is None:
        raise UserError(f"{source} was made with the model “{name}”; pass --model with that checkpoint.")
    out = _check_picture_out(args.out, [source, source.with_suffix(".png"), *model_files(model_path)], (".json",))
    m = _load(model_path, args.device)
    if wanted not in (None, m.weights_hash):
        raise UserError(f"{source} was made with the model “{name}” ({str(wanted)[:12]}…), not with {model_path} "
                        f"({m.weights_hash[:12]}…); its W+ and sliders would draw another picture.")
    session = Session({})
    session.install(m, model_path)
    portrait = session.plan_recipe(recipe, str(source)).portrait
    if args.translate is not None or args.rotate is not None:
        portrait = _view(portrait, args)
        recipe = {**{k: v for k, v in recipe.items() if k not in ("translate", "rotate")}, **view_fields(portrait)}
    if portrait.sliders:
        print("computing the principal directions the sliders name (cached per model)…", file=sys.stderr)
        session.set_directions(pca_directions(m.G, m.weights_hash))
    try:
        ws = session.render_ws(portrait)
    except KeyError as e:
        raise UserError(f"{source}: the slider direction {e.args[0]} is not available for this model.") from None
    with torch.no_grad():
        img = m.G.synthesis(ws, noise_mode=recipe.get("noise_mode", "const"), noise=portrait.base.noise_for(m.G),
                            transform=portrait.transform())
    image = tensor_to_images(img)[0]
    write_picture(out, image, recipe)
    original = source.with_suffix(".png")
    same = ""
    if original.is_file() and original.resolve() != out.resolve():
        before = load_image(original)
        if before.shape == image.shape:
            most = int(abs(before.astype(int) - image).max())
            same = f"; the most any pixel differs from {original.name}: {most}/255"
    print(f"wrote {out} and {out.with_suffix('.json')}{same}")
    return 0


def _seed_of(name: str) -> int | None:
    """The seed of a picture ``studio generate`` names ``seed<N>.png`` (and its ``seed<N>.json``), else None."""
    found = re.fullmatch(r"seed(\d+)\.(png|json)", name)
    return int(found[1]) if found else None


def cmd_convert(args: argparse.Namespace) -> int:
    from .engine import save_model
    from .engine.model.checkpoints import model_files
    from .engine.model.safetensors_io import card_path
    from .engine.outputs import check_output_file

    check_output_file(args.dst, ".safetensors", "a GAN Studio model", inputs=model_files(args.src),
                      companions=[card_path(args.dst)])
    m = _load(args.src)
    card = dict(m.card)
    card.update(converted_from=str(m.path), source_format=m.format)
    out = save_model(args.dst, m.G, m.D, card, half=args.half)
    print(f"wrote {out} (G{' + D' if m.D is not None else ''}, {m.G.resolution} px) and {out.with_suffix('.json')}")
    return 0


# --- mix / gallery ----------------------------------------------------------------------------------------


def cmd_mix(args: argparse.Namespace) -> int:
    from .engine.edit.mixing import mixing_grid
    from .engine.edit.portrait import Portrait
    from .engine.images import save_png
    from .engine.model.checkpoints import model_files
    from .engine.model.labels import class_labels
    from .engine.outputs import check_output_file

    seeds = {"rows": args.rows, "cols": args.cols}
    _confirm(args, f"--rows {args.rows} --cols {args.cols}", len(args.rows) * len(args.cols), "mixes",
             CONFIRM_MIX_CELLS)
    check_output_file(args.out, ".png", "PNG", inputs=model_files(args.model))
    m = _load(args.model, args.device)
    c = class_labels(m.G, _class_index(m, args))
    transform = _view(Portrait(), args).transform()
    with TqdmProgress("mix", "img") as bar:
        grid = mixing_grid(
            m.G, list(seeds["rows"]), list(seeds["cols"]), args.layers, args.strength, args.truncation,
            args.noise_mode, args.batch, progress=bar, rows_c=c, cols_c=c, transform=transform,
        )
    save_png(args.out, grid.to_image())
    print(f"wrote {args.out}: {len(seeds['rows'])} x {len(seeds['cols'])} mixes "
          f"({args.layers}, strength {args.strength})")
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
    from .engine.library.site import publish_site

    with TqdmProgress("publish", "pic") as bar:
        site = publish_site(args.gallery_dir, args.out_dir, args.title, progress=bar)
    for why in site.skipped.values():  # each names its picture
        print(f"studio gallery publish: skipped a picture: {why}", file=sys.stderr)
    skipped = f"; skipped {len(site.skipped)} unreadable" if site.skipped else ""
    print(f"wrote {site.index} ({site.published} picture{'' if site.published == 1 else 's'}{skipped})")
    return 0


# --- export-onnx ------------------------------------------------------------------------------------------


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from .engine.preview.export.cache import cached_export
    from .engine.preview.export.format import ExportError, ExportInfo, check_export_folder
    from .engine.preview.export.writer import OPSET, export_onnx

    if args.out:
        check_export_folder(args.out)
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
    from .engine.world.dataset import check_dataset_folder, write_dataset

    _confirm(args, f"--count {args.count}", args.count, "portraits", CONFIRM_WORLD)
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


# --- train ------------------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    import os
    from contextlib import nullcontext
    from dataclasses import replace

    from .engine.train import Trainer, preset
    from .engine.train.few_shot import apply_to_new_run

    if args.world_cache is not None:
        _confirm(args, f"--world-cache {args.world_cache}", args.world_cache, "paintings rendered and kept in memory",
                 CONFIRM_WORLD_CACHE)
    chosen = dict(
        data=args.data, out_dir=args.out, batch=args.batch, lr=args.lr, r1_gamma=args.gamma,
        pl_weight=args.pl_weight, mixing_prob=args.mixing, ema_kimg=args.ema_kimg, augment=args.augment,
        freeze_d=args.freeze_d, freeze_g=args.freeze_g, xflip=args.xflip, seed=args.seed,
        checkpoint_every=args.checkpoint_every, sample_every=args.sample_every, keep=args.keep, device=args.device,
        workers=args.workers, init=args.init, world_cache=args.world_cache, precision=args.precision,
        modconv=args.modconv, minutes=args.minutes, cond=args.cond or None,
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
    from .engine.customize.trainer import CustomizeConfig, customize, kept_note, recommended_settings

    m = _load(args.model)
    chosen = {k: getattr(args, k) for k in ("steps", "batch", "train", "extractor", "select_every")}
    settings = {**recommended_settings(m), **{k: v for k, v in chosen.items() if v is not None}}
    cfg = CustomizeConfig(
        out=args.out, images="world" if args.world else args.images, seed=args.seed, resume=args.resume,
        class_index=_class_index(m, args), **settings,
    )
    with TqdmProgress("customize", "step") as bar, cancel_on_interrupt() as token:
        out = customize(m, args.sketches, cfg, progress=bar, token=token)
    note = kept_note(out)
    print(f"wrote {out} and {out.with_suffix('.json')}" + (f"; {note}" if note else ""))
    return 0


# --- recolor / project ------------------------------------------------------------------------------------


def _check_picture_out(out: str, inputs: list, companions: Sequence[str]) -> Path:
    """The output policy for OUT.png and the files written beside it, checked before the work starts."""
    from .engine.outputs import check_output_file

    path = Path(out)
    return check_output_file(path, ".png", "PNG", inputs=inputs,
                             companions=[path.with_suffix(suffix) for suffix in companions])


def cmd_recolor(args: argparse.Namespace) -> int:
    from .engine.edit.latents import seed_ws
    from .engine.edit.portrait import Portrait
    from .engine.invert.pulse import direction, load_mask, search
    from .engine.library.recipe import portrait_recipe, write_picture
    from .engine.model.checkpoints import model_files
    from .engine.model.labels import class_labels

    out = _check_picture_out(args.out, [args.mask, args.keep, *model_files(args.model)], (".json",))
    m = _load(args.model, args.device)
    G = m.G
    k = _class_index(m, args)
    c = class_labels(G, k)
    paint = load_mask(args.mask)
    keep = load_mask(args.keep) if args.keep else None
    start = seed_ws(G, [args.seed], args.truncation, c)  # the seed's portrait exactly as `studio generate` makes it
    with TqdmProgress("recolor", "step") as bar, cancel_on_interrupt() as token:
        r = search(G, paint, start_ws=start, keep=keep, steps=args.steps, progress=bar, token=token, c=c)
    write_picture(out, r.image, portrait_recipe(
        m, Portrait.from_w_plus(r.ws[0], class_index=k), direction=direction(r.ws, start),
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

    from .engine.atomic import atomic_stream
    from .engine.edit.portrait import Portrait
    from .engine.images import load_fitted
    from .engine.invert.projection import project
    from .engine.library.recipe import portrait_recipe, write_picture
    from .engine.model.checkpoints import model_files
    from .engine.model.labels import class_labels

    out = _check_picture_out(args.out, [args.image, *model_files(args.model)], (".json", ".npz"))
    m = _load(args.model, args.device)
    k = _class_index(m, args)
    target = load_fitted(args.image, m.G.resolution)
    with TqdmProgress("project", "step") as bar, cancel_on_interrupt() as token:
        r = project(m.G, target, D=m.D, steps=args.steps, detail=args.detail, progress=bar, token=token,
                    c=class_labels(m.G, k))
    write_picture(out, r.image, portrait_recipe(
        m, Portrait.from_w_plus(r.ws[0], class_index=k, noise=r.noise),
        projection={"image": str(args.image), "steps": r.steps_done, "detail": args.detail, "psnr": r.psnr,
                    "portrait_psnr": r.portrait_psnr},
    ))
    npz = out.with_suffix(".npz")
    noise = {f"noise/{k}": v for k, v in r.noise.items()}
    atomic_stream(npz, lambda f: np.savez(f, w_plus=r.ws[0].cpu().numpy(), **noise))  # a file: no ".npz" appended
    print(f"wrote {out} and {npz}: PSNR {r.psnr:.2f} dB after {r.steps_done} steps ({r.portrait_psnr:.2f} dB "
          "with the model's own noise maps)")
    return 0


# --- parser -----------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from .engine.customize.extractors import EXTRACTOR_NAMES
    from .engine.customize.trainer import TRAIN_MODES
    from .engine.edit.latents import GROUPS
    from .engine.model.stylegan2 import NOISE_MODES
    from .engine.preview.export.writer import MIN_OPSET, OPSET
    from .engine.train.config import AUGMENTS, PRESETS, TrainConfig
    from .engine.train.few_shot import SMALL_FOLDER
    from .engine.train.hardware import MODCONVS, PRECISIONS

    psi = number(*TRUNCATION_RANGE)
    model_help = ("checkpoint path (.safetensors, .pt or .pkl), or a shipped model: 'default' (portraits) or "
                  "'genres' (four genres, class-conditional)")
    device_help = "where to compute: cpu (default), cuda or cuda:N"
    noise_help = "per-pixel noise: const (the model's fixed noise, reproducible), random or none"
    seeds_help = f"seeds such as 0-7 or 1,5,9-12 (0 to 4294967295; over {CONFIRM_PICTURES:,} pictures needs --yes)"
    yes_help = "go ahead with a request over the size limit the command states"

    p = _Parser(prog="studio", description="GAN Studio on the command line.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("info", help="describe a checkpoint")
    s.add_argument("path", help="a .pt, .pkl or .safetensors checkpoint, or 'default'")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("generate", help="render seeds to PNGs with their recipe")
    s.add_argument("--model", default="default", help=model_help)
    s.add_argument("--seeds", type=seeds, default=seeds("0-7"), help=seeds_help)
    s.add_argument("--truncation", type=psi, default=1.0,
                   help="truncation psi, {:g} to {:g}: 1 = none, lower = more typical portraits".format(
                       *TRUNCATION_RANGE))
    s.add_argument("--noise-mode", choices=NOISE_MODES, default="const", help=noise_help)
    _add_class_option(s)
    s.add_argument("--batch", type=whole(1, 1024), default=8, help="pictures rendered at once (1 to 1024)")
    s.add_argument("--device", default="cpu", help=device_help)
    _add_view_options(s)
    s.add_argument("--out", required=True, help="output folder; seed<N>.png files are added to it")
    s.add_argument("--yes", action="store_true", help=yes_help)
    s.set_defaults(func=cmd_generate)

    s = sub.add_parser("render", help="render a picture again from its recipe (a gallery PNG or its .json)")
    s.add_argument("--recipe", required=True, help="a picture with its recipe (PNG), or the recipe's .json")
    s.add_argument("--model", default=None,
                   help="the checkpoint the recipe was made with (default: the shipped model it names)")
    s.add_argument("--device", default="cpu", help=device_help)
    _add_view_options(s, keeps=" (default: as the recipe has it)")
    s.add_argument("--out", required=True, help="OUT.png (with OUT.json, the same recipe)")
    s.set_defaults(func=cmd_render)

    s = sub.add_parser("convert", help="convert a checkpoint to GAN Studio .safetensors + model card")
    s.add_argument("src", help="the checkpoint to convert: NVIDIA .pkl, rosinality .pt or GAN Studio .safetensors")
    s.add_argument("dst", help="OUT.safetensors (OUT.json beside it holds the model card)")
    s.add_argument("--half", action="store_true", help="store float16 tensors (half the size; loads as float32)")
    s.set_defaults(func=cmd_convert)

    s = sub.add_parser("mix", help="render a style-mixing grid (the StyleGAN paper's figure) to one PNG")
    s.add_argument("--model", default="default", help=model_help)
    s.add_argument("--rows", type=seeds, default=seeds("1-4"), help="sources A, down the side: e.g. 1,2,3 or 1-4")
    s.add_argument("--cols", type=seeds, default=seeds("10-13"), help="sources B, across the top")
    s.add_argument("--layers", default="coarse",
                   help=f"what B gives: {', '.join(GROUPS)}, a sum such as coarse+middle, all, or W+ indices a-b")
    s.add_argument("--strength", type=number(0.0, 1.0), default=1.0, help="0 to 1: 0 keeps A, 1 copies B's styles")
    s.add_argument("--truncation", type=psi, default=1.0,
                   help="truncation psi, {:g} to {:g} (1 = none)".format(*TRUNCATION_RANGE))
    s.add_argument("--noise-mode", choices=NOISE_MODES, default="const", help=noise_help)
    _add_class_option(s)
    s.add_argument("--batch", type=whole(1, 1024), default=8, help="pictures rendered at once (1 to 1024)")
    s.add_argument("--device", default="cpu", help=device_help)
    _add_view_options(s)
    s.add_argument("--out", required=True, help="output PNG")
    s.add_argument("--yes", action="store_true", help=f"{yes_help} (over {CONFIRM_MIX_CELLS} mixes)")
    s.set_defaults(func=cmd_mix)

    s = sub.add_parser("gallery", help="list a gallery folder, or publish it as a static website")
    actions = s.add_subparsers(dest="gallery_command", required=True, metavar="ACTION")
    g = actions.add_parser("list", help="list the pictures, newest first, and whether each carries its recipe")
    g.add_argument("gallery_dir", help="the gallery folder")
    g.set_defaults(func=cmd_gallery_list)
    g = actions.add_parser("publish", help="write the gallery as an offline website (re-publishing updates it)")
    g.add_argument("gallery_dir", help="the gallery folder")
    g.add_argument("out_dir", help="the website's folder: new, empty, or an earlier publish to update")
    g.add_argument("--title", default="GAN Studio gallery", help="the website's title")
    g.set_defaults(func=cmd_gallery_publish)

    s = sub.add_parser("export-onnx", help="export the live-preview ONNX graphs, checked against torch")
    s.add_argument("--model", default="default", help=model_help)
    s.add_argument("--out", help="output folder: new, empty or an earlier export (default: the preview cache)")
    s.add_argument("--opset", type=opset, default=None, help=f"ONNX opset, {MIN_OPSET} or newer (default {OPSET})")
    s.set_defaults(func=cmd_export_onnx)

    from .engine.world import GENRES as WORLD_GENRES

    s = sub.add_parser("world", help="write a data set of procedural paintings (images, sketches, masks, attributes)")
    s.add_argument("--count", type=whole(1), required=True,
                   help=f"how many paintings to add (over {CONFIRM_WORLD:,} needs --yes)")
    s.add_argument("--out", required=True,
                   help="the data set's folder: new, empty, or a data set of the same --size to add to")
    s.add_argument("--size", type=whole(32, 1024), default=128, help="image size in px, 32 to 1024 (default 128)")
    s.add_argument("--start-seed", type=whole(0), default=None,
                   help="the first painting's seed (default: after the data set's last one, 0 for a new one)")
    s.add_argument("--yes", action="store_true", help=yes_help)
    s.add_argument("--genre", default="portrait", choices=[*WORLD_GENRES, "all"],
                   help="portrait (default), still_life, landscape, cityscape, or all (the four in turn)")
    s.set_defaults(func=cmd_world)

    defaults = TrainConfig()
    s = sub.add_parser(
        "train", help="train StyleGAN2 (several GPUs: torchrun --nproc_per_node K -m studio.cli train)",
        description=f"A new run on a folder of under {SMALL_FOLDER:,} pictures gets few-shot settings (DiffAugment "
                    "or ADA, x-flips, stylegan2-ada's learning rate, R1 and EMA rules), printed one line each; an "
                    "option you give is kept.")
    s.add_argument("--preset", default="default128", choices=list(PRESETS),
                   help="architecture and recipe: " + "; ".join(
                       f"{k}: {v.resolution} px, batch {v.batch}" + (f", {v.world_cache:,} cached world portraits"
                                                                    if v.world_cache else "")
                       for k, v in PRESETS.items()))
    s.add_argument("--init", metavar="MODEL", help="warm start: begin G and D from this model file ('default' too)")
    s.add_argument("--data", default="world", help="a folder of images (searched recursively) or 'world'")
    s.add_argument("--cond", action="store_true",
                   help="class-conditional: the sub-folders of --data are the classes (first level, sorted by name); "
                        "with --data world the classes are its four genres, painted in turn (class 0 portrait)")
    s.add_argument("--out", required=True, help="run folder: checkpoints, samples, metrics, model.safetensors")
    length = s.add_mutually_exclusive_group()
    length.add_argument("--kimg", type=number(0, above=True),
                        help="train until this many thousand images have been shown")
    length.add_argument("--steps", type=whole(1), help=f"train until this many steps (default {defaults.steps:,})")
    s.add_argument("--resume", help="a training checkpoint, or 'auto' for the newest readable one in --out (if any)")
    s.add_argument("--batch", type=whole(1), help="global batch, split over torchrun processes")
    s.add_argument("--lr", type=number(0, 1, above=True), help=f"Adam learning rate (default {defaults.lr:g})")
    s.add_argument("--gamma", type=number(0), help="R1 weight (default 0.0002 * resolution^2 / batch)")
    s.add_argument("--pl-weight", type=number(0), help="path-length regularisation weight (0 turns it off)")
    s.add_argument("--mixing", type=number(0, 1), help=f"style-mixing probability (default {defaults.mixing_prob:g})")
    s.add_argument("--ema-kimg", type=number(0),
                   help=f"G EMA half-life in thousands of images (default {defaults.ema_kimg:g})")
    s.add_argument("--augment", choices=AUGMENTS, help="augmentation for small data sets")
    s.add_argument("--freeze-d", type=whole(0), metavar="N",
                   help="Freeze-D: keep the start model's weights in D's first N blocks from the image side "
                        "(warm starts on small folders)")
    s.add_argument("--freeze-g", type=whole(0), metavar="PX",
                   help="FreezeG: keep the start model's weights in G's blocks up to PX pixels (32: learn a folder's "
                        "colours and brushwork, keep the model's layouts and faces)")
    s.add_argument("--xflip", action=argparse.BooleanOptionalAction,
                   help=f"also train on mirrored images (folders; on by default under {SMALL_FOLDER:,} pictures)")
    s.add_argument("--seed", type=whole(0), help="the run's random seed: the same seed repeats a run exactly")
    s.add_argument("--checkpoint-every", type=whole(1), help="steps between checkpoints (and model exports)")
    s.add_argument("--sample-every", type=whole(1), help="steps between sample grids")
    s.add_argument("--keep", type=whole(1), help=f"how many checkpoints to keep (default {defaults.keep})")
    s.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    s.add_argument("--workers", type=whole(0), help="data-loading processes per GPU (0 loads in the trainer)")
    s.add_argument("--world-cache", type=whole(0), metavar="N",
                   help="world data: train on N paintings rendered once into the user cache (0 = render every batch; "
                        f"over {CONFIRM_WORLD_CACHE:,} needs --yes)")
    s.add_argument("--precision", choices=PRECISIONS,
                   help="auto (default): bf16 where the device computes it natively, else fp32")
    s.add_argument("--modconv", choices=MODCONVS,
                   help="modulated conv path; auto (default): fused on CUDA, non-fused on CPU")
    s.add_argument("--minutes", type=number(0, above=True),
                   help="stop after this many minutes, saving a checkpoint and the model")
    s.add_argument("--yes", action="store_true", help=yes_help)
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("recolor", help="paint colours on a seed's portrait and search latents that match")
    s.add_argument("--model", default="default", help=model_help)
    s.add_argument("--seed", type=seeds_one, required=True, help="the portrait, as `studio generate` makes it")
    s.add_argument("--truncation", type=psi, default=1.0, help="truncation psi (1 = none), as in generate")
    _add_class_option(s)
    s.add_argument("--mask", required=True, help="square RGBA PNG: colour = target colour, alpha = weight")
    s.add_argument("--keep", help="square PNG whose alpha marks what must stay (default: everything unpainted)")
    s.add_argument("--steps", type=whole(1), default=100, help="search steps (default 100)")
    s.add_argument("--device", default="cpu", help=device_help)
    s.add_argument("--out", required=True, help="OUT.png (OUT.json beside it holds W+ and the direction)")
    s.set_defaults(func=cmd_recolor)

    s = sub.add_parser("project", help="find the latents of a picture (Image2StyleGAN) to edit it")
    s.add_argument("--model", default="default", help=model_help)
    s.add_argument("--image", required=True, help="the picture (centre-cropped to a square)")
    _add_class_option(s)
    s.add_argument("--steps", type=whole(1), default=300, help="optimisation steps (default 300)")
    s.add_argument("--detail", type=number(0, 0.9), default=0.25, metavar="SHARE",
                   help="share of the steps spent fitting the 32 px and finer noise maps to the brushwork after W+ "
                        "(default 0.25, as the studio's Open image to edit; 0: W+ alone)")
    s.add_argument("--device", default="cpu", help=device_help)
    s.add_argument("--out", required=True, help="OUT.png (with OUT.json and OUT.npz: W+ and noise maps)")
    s.set_defaults(func=cmd_project)

    s = sub.add_parser("customize", help="fine-tune a model to follow your sketches (Sketch Your Own GAN)")
    s.add_argument("--model", default="default", help=model_help + " (it must include D)")
    s.add_argument("--sketches", required=True, help="folder with 1-30 sketches: dark lines on light paper")
    _add_class_option(s)
    s.add_argument("--steps", type=whole(1), help="training steps (default: what the model's card recommends, "
                   "else 300)")
    s.add_argument("--out", required=True, help="OUT.safetensors (OUT.json beside it holds the model card)")
    real = s.add_mutually_exclusive_group()
    real.add_argument("--images", metavar="DIR", help="real images for the image critic")
    real.add_argument("--world", action="store_true", help="real images from the procedural world")
    s.add_argument("--train", choices=TRAIN_MODES,
                   help="what changes: the mapping network (default), one W shift, or all of G")
    s.add_argument("--extractor", help=f"sketch extractor: {', '.join(EXTRACTOR_NAMES)} (default: world for a "
                   "model trained on the world, else default, unless its card recommends another)")
    s.add_argument("--batch", type=whole(1, 256), help="sketches and images per step (default 4)")
    s.add_argument("--select-every", type=whole(0), metavar="N",
                   help="score G' against the sketches every N steps and save the best snapshot (default 25; 0 saves "
                        "the last step)")
    s.add_argument("--seed", type=whole(0), default=0, help="random seed: the same seed repeats a run exactly")
    s.add_argument("--resume", action="store_true", help="continue from OUT's .customize.pt checkpoint")
    s.set_defaults(func=cmd_customize)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from .engine import CheckpointError
    from .engine.atomic import describe_os_error

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # a usage error (one line, status 2) or --help (status 0)
        return e.code if isinstance(e.code, int) else 0
    try:
        return args.func(args)
    except OSError as e:  # disk full, permission, I/O: one sentence naming the file
        print(f"studio {args.command}: {describe_os_error(e)}", file=sys.stderr)
        return 2
    except (UserError, CheckpointError, ValueError) as e:
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
