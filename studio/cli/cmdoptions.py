"""The options several commands share, each defined once: its flag, type, check and help, and the helpers
that act on it (the model it names, its --class).

Values are checked while parsing, so a bad value is one line naming the option before anything loads. This
module imports no torch: ``studio CMD --help`` builds its parser from here.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.edit.ranges import (  # torch-free; the ranges recipes are held to
    DEFAULT_PSI,
    ROTATE_RANGE,
    TRUNCATION_RANGE,
)

if TYPE_CHECKING:
    from ..engine.edit.seeds import Seeds
    from ..engine.model.loaded import LoadedModel


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


# --- value types: argparse calls them on the text given (and on a default given as text) -----------------------


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _span(lo: float, hi: float | None) -> str:
    return f"from {_num(lo)} to {_num(hi)}" if hi is not None else f"of at least {_num(lo)}"


def whole(lo: int, hi: int | None = None, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``lo`` (to ``hi``). ``most``: a bound no sane request reaches (a run of
    centuries, numbers that overflow further down), stated only to a value past it."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be a whole number {_span(lo, hi)}, not {value}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be a whole number of at most {most:,}, not {value}")
        return value

    return parse


def number(
    lo: float, hi: float | None = None, above: bool = False, most: float | None = None
) -> Callable[[str], float]:
    """An argparse type: a finite number from ``lo`` (or ``above`` it) to ``hi``; ``most`` as for ``whole``."""

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
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be a number of at most {most:,}, not {value:g}")
        return value

    return parse


def power_of_two(text: str) -> int:
    """An argparse type: a power of two from 4 (the sizes a StyleGAN draws at)."""
    value = whole(4)(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of two from 4 (4, 8, 16 … 1024), not {value}")
    return value


def pair(text: str) -> tuple[float, float]:
    """An argparse type: two finite numbers, X,Y."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"must be two numbers X,Y, not {text[:60]!r}")
    return number(-math.inf)(parts[0]), number(-math.inf)(parts[1])


# A run of more steps than this would outlast its machine; past it, step counts overflow further down.
MAX_STEPS = 1_000_000_000
steps = whole(1, most=MAX_STEPS)


def seeds(text: str) -> Seeds:
    """An argparse type: seeds such as 0-7 or 1,5,9-12 (``Seeds``: a huge range costs nothing until used)."""
    from ..engine.edit.seeds import parse_seeds

    try:
        return parse_seeds(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def seed(text: str) -> int:
    """An argparse type: one seed (of a portrait, or of a run's random numbers)."""
    from ..engine.edit.seeds import MAX_SEED

    return whole(0, MAX_SEED)(text)


def _devices() -> list[str]:
    import torch

    gpus = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return ["cpu", *(["cuda", *gpus] if gpus else []), *(["mps"] if torch.backends.mps.is_available() else [])]


def device(text: str) -> str:
    """An argparse type: a device this machine has (cpu, cuda, cuda:N, mps), so a missing one is a sentence, not a
    traceback from deep inside torch."""
    if text == "cpu":
        return text  # no torch needed to know
    there = _devices()
    if text not in there:
        raise argparse.ArgumentTypeError(f"{text} is not a device of this machine; it has {', '.join(there)}")
    return text


def run_device(text: str) -> str:
    """An argparse type: ``device``, or auto (the trainer picks: cuda when there is one)."""
    return text if text == "auto" else device(text)


# --- the shared options ------------------------------------------------------------------------------------------

MODEL_HELP = ("checkpoint path (.safetensors, .pt or .pkl), or a shipped model: 'default' (portraits) or "
              "'genres' (four genres, class-conditional)")
YES_HELP = "go ahead with a request over the size limit the command states"


def add_model(parser: argparse.ArgumentParser, help: str = MODEL_HELP, default: str | None = "default") -> None:
    parser.add_argument("--model", default=default, help=help)


def add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", type=device, default="cpu", help="where to compute: cpu (default), cuda or cuda:N")


CLASS_HELP = "class of a class-conditional model: a name from its card or an index (default: class 0)"


def add_class(parser: argparse.ArgumentParser, help: str = CLASS_HELP) -> None:
    parser.add_argument("--class", dest="class_name", metavar="NAME|INDEX", help=help)


def add_truncation(parser: argparse.ArgumentParser, help: str) -> None:
    """``--truncation``: psi from -1 to 2 (1 = none), by default the studio's; ``help`` says what it does."""
    parser.add_argument("--truncation", type=number(*TRUNCATION_RANGE), default=DEFAULT_PSI,
                        help=f"{help} (default {DEFAULT_PSI:g}, as the studio draws a new seed)")


def add_noise_mode(parser: argparse.ArgumentParser) -> None:
    from ..engine.model.architecture import NOISE_MODES

    parser.add_argument("--noise-mode", choices=NOISE_MODES, default="const",
                        help="per-pixel noise: const (the model's fixed noise, reproducible), random or none")


def add_batch(parser: argparse.ArgumentParser) -> None:
    """``--batch`` of the commands that render many pictures."""
    parser.add_argument("--batch", type=whole(1, 1024), default=8, help="pictures rendered at once (1 to 1024)")


def add_work_size(parser: argparse.ArgumentParser, what: str, automatic: int | None, smaller: str) -> None:
    """``--work-size PX`` of the methods that can render a reduced picture while they work (``invert/work_size.py``);
    ``smaller`` says what a smaller size costs the method."""
    default = f"{automatic}, or the model's size if smaller" if automatic else "the model's size"
    parser.add_argument("--work-size", type=power_of_two, metavar="PX",
                        help=f"the size the {what} renders and compares at while it works (default: {default}); the "
                             f"picture written is full size. Smaller is faster; {smaller}")


def add_out(parser: argparse.ArgumentParser, help: str, required: bool = True) -> None:
    parser.add_argument("--out", required=required, help=help)


def add_view(parser: argparse.ArgumentParser, keeps: str = "") -> None:
    """``--translate X,Y`` and ``--rotate DEG``: a StyleGAN3 picture moved through its Fourier input."""
    parser.add_argument("--translate", type=pair, metavar="X,Y", default=None,
                        help="StyleGAN3 only: move the picture by X,Y picture widths (+x right, +y down; write "
                             f"--translate=-0.1,0 for a negative X){keeps}")
    parser.add_argument("--rotate", type=number(*ROTATE_RANGE), metavar="DEG", default=None,
                        help=f"StyleGAN3 only: turn the picture by DEG degrees, counter-clockwise{keeps}")


def view(portrait, args: argparse.Namespace):
    """``portrait`` moved and turned as ``--translate`` / ``--rotate`` ask (an option left out keeps its part)."""
    return portrait.with_view(args.translate, args.rotate)


def add_overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a picture at the output that this command did not make from the same inputs")


def add_yes(parser: argparse.ArgumentParser, help: str = YES_HELP) -> None:
    parser.add_argument("--yes", action="store_true", help=help)


# --- acting on them ----------------------------------------------------------------------------------------------


def confirm(args: argparse.Namespace, request: str, count: int, what: str, limit: int) -> None:
    """Refuse a request of ``count`` things over ``limit`` unless --yes was given, saying how big it is."""
    if count > limit and not args.yes:
        raise UserError(f"{request} asks for {count:,} {what}, more than {limit:,} at once; add --yes to go ahead.")


def load_model(path: str, device: str = "cpu") -> LoadedModel:
    from ..engine.model import checkpoints

    return checkpoints.load_model(path, device=device)


def class_index(m: LoadedModel, args: argparse.Namespace) -> int | None:
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


def check_picture_out(
    args: argparse.Namespace, inputs: Iterable[str | Path | None], companions: Sequence[str] = (),
    remakes: Callable[[dict], bool] | None = None,
) -> Path:
    """The output policy for ``--out`` (a PNG) and the files written beside it (``companions``: their suffixes),
    checked before the work starts: another picture there is replaced only with ``--overwrite``, or when
    ``remakes`` says this job makes that very picture again (given the recipe it carries)."""
    from ..engine.outputs import check_output_file

    path = Path(args.out)
    return check_output_file(path, ".png", "PNG", inputs=inputs,
                             companions=[path.with_suffix(suffix) for suffix in companions],
                             replace_confirmed=args.overwrite, remakes=remakes)
