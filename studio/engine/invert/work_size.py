"""The working resolution of the colour search and the projection: the size they render and compare at.

PULSE compares a 32 px bicubic copy of the picture with its target and NVIDIA's projector an area-averaged 256 px
copy, but both render the model's full picture at every step and backpropagate through all of it. Ours can stop the
synthesis at a work size, so a step of a 1024 px model costs what the blocks up to that size cost; the target is
area-averaged down to the work size, and the full picture is rendered once at the end from the W+ found.

The model's own RGB output at a smaller size (its ToRGB layers summed up to that block) is not its picture made
smaller: the finer layers add much of the contrast and colour (StyleGAN2's Figure 8). On the shipped default the
32 px output is a washed-out picture, 15.5 dB PSNR against the full one area-averaged, and colour searches on it
alone missed the paint (hair ΔE 15 where full-size searches reached 5). So the finer layers' share (the full
picture area-averaged, minus the model's own output there) is held from a full render, no gradient, every HOLD
steps and added: at half size the searches then came within ΔE 2 of full-size ones (6.6 against 4.8; README,
"Methods on big models"). The W+ entries only the finer layers read cannot move the picture at the work size: the
methods leave them as they started.

That is fine for a colour edit, which starts from the portrait; a projection starts from the mean w, and the entries
it cannot fit there cost it ~10 dB at half size on the default, so it works at the model's size unless asked.
"""

from __future__ import annotations

SEARCH_WORK = 128  # colour search: half of a 256 px model; on the default a half cost ΔE +1.8, a quarter +6.1
PROJECTION_WORK = None  # projection: the model's size (a smaller work size must be asked for)
HOLD = 5  # steps between the full renders that refresh the finer layers' share (every step was no better)


def work_size_for(resolution: int, automatic: int | None, requested: int | None = None) -> int:
    """The size a method works at on a model of ``resolution`` px: ``requested`` if given (a power of two from
    4 px up; more than the model's size means its size), else ``automatic`` (None: the model's size) capped at the
    model's size."""
    if requested is not None and (requested < 4 or requested & (requested - 1)):
        raise ValueError(f"the work size is one of the sizes the model draws at, a power of two from 4 px up "
                         f"(4, 8 … {resolution}), not {requested}.")
    return min(requested or automatic or resolution, resolution)
