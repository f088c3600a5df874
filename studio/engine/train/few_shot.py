"""Few-shot settings: what to change in a run when the folder holds tens to thousands of pictures, not 70,000.

Numbers from stylegan2-ada-pytorch (Karras et al. 2020, "Training GANs with limited data"), whose `auto`
config is its recommended start for a new data set: Adam lr 0.0025 below 1024 px, R1 γ = 0.0002·R²/batch,
G EMA half-life batch·10/32 kimg, ADA at target 0.6 over 100 kimg when transfer-learning (500 otherwise),
x-flips ("often beneficial, even with ADA"). Every choice comes with one sentence saying why, which the
window shows and the CLI prints; a setting the user gave is kept, and said so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .checkpoint import list_checkpoints
from .config import SMALL_FOLDER, TrainConfig
from .data import scan_folder
from .folder_summary import picture_files

# Below this DiffAugment is on at full strength from the first step: ADA's p starts at 0 and needs tens of kimg
# to rise, longer than a CPU run lasts, while D memorises a few hundred pictures within a few kimg.
DIFFAUGMENT_BELOW = 1_000
# DiffAugment keeps its colour op: without it ("translation-cutout") a 50-picture look was ahead after 1 kimg
# (34 % vs 25 % of 128 samples, README "Train on your pictures"), one check each, about two standard errors:
# not yet enough to change the default.


@dataclass(frozen=True)
class Choice:
    """Some TrainConfig fields set together, the one sentence that says why (with the method's names and numbers,
    as the CLI prints it), and ``plain``: the same in a painter's words (the studio's window)."""

    values: dict[str, Any]
    reason: str
    plain: str = ""


def few_shot_choices(pictures: int, batch: int, warm: bool, resolution: int | None = None) -> list[Choice]:
    """The few-shot settings for a folder of ``pictures`` (none at ``SMALL_FOLDER`` and above)."""
    if pictures >= SMALL_FOLDER:
        return []
    if pictures < DIFFAUGMENT_BELOW:
        augment = Choice(
            {"augment": "diffaugment"},
            f"DiffAugment on at full strength: D would memorise {pictures:,} pictures within a few thousand images "
            "shown; DiffAugment (Zhao et al. 2020) trains StyleGAN2 on 100-picture sets, and ADA's strength "
            "starts at 0 and takes tens of kimg to rise, longer than a CPU run.",
            f"Varied copies of your pictures (shifted, recoloured, cut out), so that it learns their look rather "
            f"than the {pictures:,} pictures by heart.",
        )
    else:
        ada_kimg = 100.0 if warm else 500.0
        augment = Choice(
            {"augment": "ada", "ada_target": 0.6, "ada_kimg": ada_kimg},
            f"ADA on (target 0.6, strength adjusted over {ada_kimg:g} kimg): stylegan2-ada's setting for its "
            f"small data sets{' when transfer-learning' if warm else ''}.",
            "Varied copies of your pictures, more of them whenever it starts to learn the pictures by heart.",
        )
    gamma = 0.0002 * resolution**2 / batch if resolution else None
    ema = batch * 10 / 32
    return [
        augment,
        Choice({"xflip": True}, "Mirror images on: doubles a small folder (stylegan2-ada: often beneficial, even "
                                "with ADA); turn it off if left and right matter in your pictures.",
               "Mirrored copies too, which doubles a small folder (not for pictures where left and right matter)."),
        Choice({"lr": 0.0025}, "Learning rate 0.0025 for G and D: stylegan2-ada's auto config below 1024 px.",
               "A learning pace proven on small folders."),
        Choice({"r1_gamma": None},
               "R1 γ = 0.0002 · resolution² / batch" + (f" = {gamma:.3g}" if gamma is not None else "")
               + ": stylegan2-ada's auto rule, its recommended start for a new data set.",
               "A steadying hand on the learning, sized to the picture size."),
        Choice({"ema_kimg": ema, "ema_rampup": 0.05},
               f"G EMA half-life {ema:g} kimg (batch · 10/32), ramped up over the first 5 % of images: "
               "stylegan2-ada's auto rule; the ramp stays on even when warm-starting (its transfer runs drop it) "
               "because a CPU run lasts a few kimg, in which a 10 kimg average would barely leave the start model.",
               "Snapshots show a smooth average of the last steps, so they change calmly."),
    ]


def warm_ema(config: TrainConfig) -> tuple[TrainConfig, list[str]]:
    """A warm start of the standard recipe averages G from the first step: the EMA's ramp-up (half-life at most
    5 % of the images seen) is for a G that changes fast from noise, and in a continuation run it kept the
    average a few kimg long (3.2 kimg after 64 kimg), where averaging exports 16 kimg apart scored better
    (probe Fréchet 150-155 against 150-165 for the exports alone; README "The default model")."""
    if config.init is None or config.ema_rampup is None:
        return config, []
    return replace(config, ema_rampup=None), [
        f"G EMA half-life {config.ema_kimg:g} kimg from the first step, no ramp-up: a warm start continues a "
        "trained generator (stylegan2-ada drops the ramp-up when it resumes)."]


def apply_few_shot(
    config: TrainConfig, pictures: int, keep: Iterable[str] = (), resolution: int | None = None,
) -> tuple[TrainConfig, list[str]]:
    """``config`` with the few-shot settings for ``pictures``, except those touching a field in ``keep`` (what
    the user set); returns it with one line per choice made or kept. ``resolution``: the run's, when known
    (a warm start takes the model file's), to say the R1 weight in numbers."""
    keep = set(keep)
    choices = few_shot_choices(pictures, config.batch, config.init is not None, resolution or None)
    if not choices:
        config, lines = warm_ema(config)
        return config, [f"{pictures:,} pictures: the standard recipe (few-shot settings are for folders under "
                        f"{SMALL_FOLDER:,} pictures).", *lines]
    lines = [f"{pictures:,} pictures: few-shot settings (for folders under {SMALL_FOLDER:,} pictures)."]
    changes: dict[str, Any] = {}
    for choice in choices:
        mine = sorted(keep & choice.values.keys())
        if mine:
            given = ", ".join(f"{name}={getattr(config, name)!r}" for name in mine)
            lines.append(f"Kept your {given} (few-shot would set {_describe(choice.values)}).")
        else:
            changes.update(choice.values)
            lines.append(choice.reason)
    return replace(config, **changes), lines


def apply_to_new_run(
    config: TrainConfig, keep: Iterable[str] = (), resume: str | Path | None = None,
) -> tuple[TrainConfig, list[str]]:
    """``apply_few_shot`` for a run about to start on a folder (``studio train``), ``warm_ema`` for one on the
    world; a run that resumes a checkpoint (whose settings it keeps) is left as it is, with no lines."""
    resuming = resume is not None and (str(resume) != "auto" or list_checkpoints(config.out_dir))
    if resuming:
        return config, []
    if config.data == "world":
        return warm_ema(config)
    resolution = None if config.init else config.resolution  # a warm start takes the model file's
    return apply_few_shot(config, folder_pictures(config.data), keep, resolution)


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def folder_pictures(root: str | Path) -> int:
    """How many pictures of ``root`` a run would train on, decoding them only where the count matters.

    At ``SMALL_FOLDER`` image files or more the recipe is the standard one whatever a few unreadable ones
    would subtract, so the files are only counted; below, each is decoded as the trainer does.
    """
    found = len(picture_files(Path(root)))
    return found if found >= SMALL_FOLDER else len(scan_folder(root).files)
