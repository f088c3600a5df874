"""The working resolution of the colour search and the projection: the size they render and compare at.

PULSE compares a 32 px bicubic copy of the picture with its target and NVIDIA's projector an area-averaged 256 px
copy, but both render the model's full picture at every step. Ours stop the synthesis at the work size and take
the model's own RGB output there (the sum of its ToRGB layers up to that block), so a step of a 1024 px model costs
what that block costs; the target is area-averaged down to the work size, and the full picture is rendered once at
the end from the W+ found. The W+ entries that only finer layers read cannot matter at the work size: the search
leaves them as they started. A model no bigger than the work size works at its own size, as before.
"""

from __future__ import annotations

SEARCH_WORK = 64  # colour search: colours settle by 64 px, and its loss compares 32 px anyway
PROJECTION_WORK = 256  # projection: NVIDIA's projector compares at 256 px too


def work_size_for(resolution: int, automatic: int, requested: int | None = None) -> int:
    """The size a method works at on a model of ``resolution`` px: ``requested`` if given (a power of two from
    4 px up; more than the model's size means its size), else ``automatic`` capped at the model's size."""
    if requested is not None and (requested < 4 or requested & (requested - 1)):
        raise ValueError(f"the work size is one of the sizes the model draws at, a power of two from 4 px up "
                         f"(4, 8 … {resolution}), not {requested}.")
    return min(automatic if requested is None else requested, resolution)
