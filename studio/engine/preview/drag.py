"""Which preview level a dragged slider draws: chosen per model by timing a few frames on this machine.

A slider drag should feel live, ``DRAG_FPS`` frames a second, and show as much of the picture as that allows.
What a level costs depends on the model (a 1024 px model's 128 px head costs as much as a whole 128 px
model's frame), on the backend and on the machine (cores, AVX-512, a GPU), so it is measured, not assumed:
``choose_drag`` times the levels from the smallest up and keeps the largest that reaches the target; where
none does, the smallest, the fastest there is. ``open_backend`` does it right after a backend opens, on the
worker that opens it. The released frame is always the full level, whatever the drag draws. A model with one
level (StyleGAN3, which cannot draw a smaller picture for less) has nothing to choose: no frame is timed.

Where a cheaper path draws a level faster than float32 (``bf16``: bfloat16 on a CPU that computes it natively),
``choose_cheaper_drag`` may move the drag up to a larger level drawn that way, if the picture stays faithful to
the exact one (``FAITHFUL_PSNR``). Only the drag takes that path: the released frame, and whatever is kept or
exported, is the exact float32 picture.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DRAG_FPS = 10.0  # frames a second a drag should reach
MEASURE_FRAMES = 2  # timed frames per level, after one warm-up frame; the fastest counts
# The level a backend that has not been timed drags at (torch while the export runs; any backend until the window
# has timed it, seconds after its first picture): the largest at most this size.
UNMEASURED_DRAG = 128
# dB (PSNR of the uint8 pictures) a cheaper path's drag picture must reach against the exact one of its level:
# bfloat16 measured 42-48 dB on 256-1024 px models, where int8's 28-35 dB showed as visible noise.
FAITHFUL_PSNR = 40.0
EXACT, BF16 = "float32", "bf16"  # the paths a drag draws on
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class DragChoice:
    """The level a drag draws (a name of ``Backend.levels``), its size, the frames a second measured for it
    (None: not measured, the default), the path that draws it: ``EXACT`` (float32) or ``BF16``, and whether it is the
    model's only level (then it is never measured)."""

    level: str
    resolution: int
    fps: float | None = None
    path: str = EXACT
    only: bool = False

    def words(self) -> str:
        """The status bar's sentence, in a painter's words; empty when a drag draws the full picture."""
        if self.level == "full":
            return ""
        precision = ", in reduced precision" if self.path == BF16 else ""
        return f"Previewing at {self.resolution} px while you drag{precision}"

    def detail(self) -> str:
        """What the tooltip adds: how it was chosen."""
        if self.only:
            return f"A drag draws the full {self.resolution} px picture: this model cannot draw a smaller one faster."
        if self.fps is None:
            return f"A drag draws the {self.resolution} px picture until the preview is timed on this machine."
        if self.path == BF16:
            how, release = (" in reduced precision (bfloat16, which this processor computes natively; checked to "
                            "look like the exact picture)", "the picture you let go of is exact")
        else:
            how, release = "", "the full picture is drawn when you let go"
        return (f"A drag draws the {self.resolution} px picture{how}: {self.fps:.1f} frames a second measured on "
                f"this machine, the largest picture that reaches {DRAG_FPS:g} (or the fastest there is); {release}.")


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


def choose_cheaper_drag(
    levels: Mapping[str, int], exact: DragChoice, path: str, seconds: Callable[[str], float],
    psnr: Callable[[str], float], target_fps: float = DRAG_FPS, log: logging.Logger = LOG,
) -> DragChoice:
    """A drag on the cheaper ``path`` at a larger level than ``exact`` (``choose_drag``'s float32 choice), or
    ``exact`` where none passes.

    Tried only where ``exact`` is a drag level that reaches ``target_fps``: a model whose full picture reaches it
    needs nothing cheaper, and where even the smallest level misses it, the next costs about three times as much,
    more than a cheaper path saves. The drag levels above ``exact`` (never "full": the released frame stays exact)
    are tried from the smallest up: ``seconds(level)`` times a frame on ``path``, then ``psnr(level)`` compares its
    picture with the exact one, refused under ``FAITHFUL_PSNR`` (logged). The first that misses the target or is
    refused ends the search (a larger level costs more and runs more of the network at the lower precision), so
    ``path`` builds each level only when the one below it passed.
    """
    if exact.level == "full" or exact.fps is None or exact.fps < target_fps:
        return exact
    chosen = exact
    above = sorted((name for name, px in levels.items() if name != "full" and px > exact.resolution),
                   key=levels.__getitem__)
    for name in above:
        fps = 1.0 / max(seconds(name), 1e-6)
        if fps < target_fps:
            log.info("preview: the %s drag at %d px runs %.1f frames/s, short of %g", path, levels[name], fps,
                     target_fps)
            break
        db = psnr(name)
        if db < FAITHFUL_PSNR:
            log.warning("preview: the %s drag at %d px is refused: its picture is %.1f dB from the exact one "
                        "(at least %g needed)", path, levels[name], db, FAITHFUL_PSNR)
            break
        chosen = DragChoice(name, levels[name], fps, path)
    return chosen
