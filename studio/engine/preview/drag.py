"""Which preview level a dragged slider draws: chosen per model by timing a few frames on this machine.

A slider drag should feel live, ``DRAG_FPS`` frames a second, and show as much of the picture as that allows.
What a level costs depends on the model (a 1024 px model's 128 px head costs as much as a whole 128 px
model's frame), on the backend and on the machine (cores, AVX-512, a GPU), so it is measured, not assumed:
``choose_drag`` times the levels from the smallest up and keeps the largest that reaches the target; where
none does, the smallest, the fastest there is. ``open_backend`` does it right after a backend opens, on the
worker that opens it. The released frame is always the full level, whatever the drag draws. A model with one
level (StyleGAN3, which cannot draw a smaller picture for less) has nothing to choose: no frame is timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DRAG_FPS = 10.0  # frames a second a drag should reach
MEASURE_FRAMES = 2  # timed frames per level, after one warm-up frame; the fastest counts
# The level a backend that has not been timed drags at (torch, drawing while the export runs): the largest
# at most this size, about what the measurement picks for a big model on two cores.
UNMEASURED_DRAG = 128


@dataclass(frozen=True)
class DragChoice:
    """The level a drag draws (a name of ``Backend.levels``), its size, the frames a second measured for it
    (None: not measured, the default), and whether it is the model's only level (then it is never measured)."""

    level: str
    resolution: int
    fps: float | None = None
    only: bool = False

    def words(self) -> str:
        """The status bar's sentence, in a painter's words; empty when a drag draws the full picture."""
        return "" if self.level == "full" else f"Previewing at {self.resolution} px while you drag"

    def detail(self) -> str:
        """What the tooltip adds: how it was chosen."""
        if self.only:
            return f"A drag draws the full {self.resolution} px picture: this model cannot draw a smaller one faster."
        if self.fps is None:
            return f"A drag draws the {self.resolution} px picture until the preview is timed on this machine."
        return (f"A drag draws the {self.resolution} px picture: {self.fps:.1f} frames a second measured on this "
                f"machine, the largest picture that reaches {DRAG_FPS:g} (or the fastest there is); the full "
                f"picture is drawn when you let go.")


def default_drag(levels: Mapping[str, int]) -> DragChoice:
    """The unmeasured choice: the largest level of at most ``UNMEASURED_DRAG`` px (the smallest if none is); a
    model's only level, marked so."""
    fits = {name: px for name, px in levels.items() if px <= UNMEASURED_DRAG} or {
        min(levels, key=levels.__getitem__): min(levels.values())}
    name = max(fits, key=fits.__getitem__)
    return DragChoice(name, levels[name], only=len(levels) == 1)


def choose_drag(
    levels: Mapping[str, int], seconds: Callable[[str], float], target_fps: float = DRAG_FPS
) -> DragChoice:
    """The largest level whose frame takes at most 1/``target_fps`` s by ``seconds(level)``, else the smallest.

    Levels are timed from the smallest up and timing stops at the first that misses (a larger one costs more),
    so a big model spends a few of its cheap frames and one too slow, not a full frame per level. A single level
    is the choice untimed (``default_drag``).
    """
    if len(levels) == 1:
        return default_drag(levels)
    chosen: DragChoice | None = None
    for name in sorted(levels, key=levels.__getitem__):
        fps = 1.0 / max(seconds(name), 1e-6)
        if chosen is not None and fps < target_fps:
            break
        chosen = DragChoice(name, levels[name], fps)
        if fps < target_fps:
            break
    if chosen is None:
        raise ValueError("there is no preview level to choose from")
    return chosen


def frame_seconds(render: Callable[[str], object], frames: int = MEASURE_FRAMES) -> Callable[[str], float]:
    """``seconds`` for ``choose_drag``: the fastest of ``frames`` wall-clock timed ``render(level)`` calls after a
    warm-up call (the first run of a graph allocates and picks its kernels)."""

    def seconds(level: str) -> float:
        render(level)
        best = float("inf")
        for _ in range(frames):
            start = time.perf_counter()
            render(level)
            best = min(best, time.perf_counter() - start)
        return best

    return seconds
