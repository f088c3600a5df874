"""`studio`: the command line beside the GUI, one command per engine capability.

Each command is a module in ``commands/`` with ``add_options(parser)`` and ``run(args) -> int``; the options
several commands share are in ``cmdoptions``. Only the chosen command's module is imported, and command
modules import the engine inside ``run``, so ``studio --help`` and ``studio CMD --help`` start without torch.
Errors the user can fix (a bad file, a bad option) end in one line on stderr and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import NoReturn

from .cmdoptions import UserError

# name: (module in studio.cli.commands, the one line `studio --help` shows), in the order it shows them
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("info", "describe a checkpoint"),
    "generate": ("generate", "render seeds to PNGs with their recipe"),
    "render": ("render", "render a picture again from its recipe (a gallery PNG or its .json)"),
    "convert": ("convert", "convert a checkpoint to GAN Studio .safetensors + model card"),
    "mix": ("mix", "render a style-mixing grid (the StyleGAN paper's figure) to one PNG"),
    "gallery": ("gallery", "list a gallery folder, or publish it as a static website"),
    "export-onnx": ("export_onnx", "export the live-preview ONNX graphs, checked against torch"),
    "world": ("world", "write a data set of procedural paintings (images, sketches, masks, attributes)"),
    "train": ("train", "train StyleGAN2 (several GPUs: torchrun --nproc_per_node K -m studio.cli train)"),
    "recolor": ("recolor", "paint colours on a seed's portrait and search latents that match"),
    "project": ("project", "find the latents of a picture (Image2StyleGAN) to edit it"),
    "customize": ("customize", "fine-tune a model to follow your sketches (Sketch Your Own GAN)"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's convention: a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message.rstrip('.')} (see {self.prog} --help)\n")


def command_module(name: str) -> ModuleType:
    """The module of command ``name`` (imported now)."""
    return importlib.import_module(f"{__name__}.commands.{COMMANDS[name][0]}")


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The `studio` parser with every command listed; only ``commands`` (default: all) get their options, so
    parsing one command imports that command's module alone."""
    with_options = set(COMMANDS if commands is None else commands)
    p = _Parser(prog="studio", description="GAN Studio on the command line.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, summary) in COMMANDS.items():
        s = sub.add_parser(name, help=summary)
        if name in with_options:
            command_module(name).add_options(s)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)  # `studio` itself has no option taking a value
    try:
        args = build_parser([chosen] if chosen in COMMANDS else []).parse_args(argv)
    except SystemExit as e:  # a usage error (one line, status 2) or --help (status 0)
        return e.code if isinstance(e.code, int) else 0

    from ..engine.atomic import describe_os_error
    from ..engine.jobs import Cancelled

    try:
        return command_module(args.command).run(args)
    except OSError as e:  # disk full, permission, I/O: one sentence naming the file
        print(f"studio {args.command}: {describe_os_error(e)}", file=sys.stderr)
        return 2
    except (UserError, ValueError) as e:  # CheckpointError and the engine's other refusals are ValueErrors
        print(f"studio {args.command}: {e}", file=sys.stderr)
        return 2
    except Cancelled:
        print(f"studio {args.command}: cancelled; its state was saved", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"studio {args.command}: interrupted", file=sys.stderr)
        return 130
