"""The ranges a portrait's numbers may take, in one place for everything that sets them: the command line's
options, the studio's sliders, and recipes, which are text anyone can edit. Torch-free, so the command line
checks its options while parsing, before anything loads.

Outside these ranges a picture is black or saturated, or a number is no picture at all (NaN, infinity), so
a value outside them is refused in one sentence rather than rendered.
"""

from __future__ import annotations

import math

TRUNCATION_RANGE = (-1.0, 2.0)  # ψ: 1 leaves W as mapped, 0 draws the average picture
DEFAULT_PSI = 0.7  # the ψ a new seed is drawn at, in the window and on the command line alike
MIX_STRENGTH_RANGE = (0.0, 1.0)  # how much of portrait B a mixed layer group takes
SLIDER_RANGE = (-3.0, 3.0)  # slider units: standard deviations along a direction
ROTATE_RANGE = (-360.0, 360.0)  # a StyleGAN3 picture's turn, in degrees
W_LIMIT = 1e3  # the largest |W+| entry: mapped and found W+ stay within about ±20
NOISE_LIMIT = 1e2  # the largest |noise| value: the maps are standard normal (a projection's kept so)

_QUOTE_AT_MOST = 60  # characters of a bad value that a message repeats


def quoted(value: object) -> str:
    """``value`` as a message shows it: its repr, cut to ``_QUOTE_AT_MOST`` characters."""
    text = repr(value)
    return text if len(text) <= _QUOTE_AT_MOST else text[: _QUOTE_AT_MOST - 1] + "…"


def in_range(what: str, value: object, span: tuple[float, float]) -> float:
    """``value`` as a float when it is a finite number within ``span``; ValueError naming ``what`` if not."""
    lo, hi = span
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, not {quoted(value)}")
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{what} must be a number from {lo:g} to {hi:g}, not {quoted(value)}")
    return float(value)
