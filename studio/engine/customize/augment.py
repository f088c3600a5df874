"""Differentiable sketch augmentation, applied alike to real and fake sketches before the sketch critic.

The paper's DiffAugment "translation" (±12.5 %) plus changes that help with hand-drawn sketches,
whose placement, size and stroke width never match the extractor's output exactly: scaling about the
centre, thicker/thinner strokes (max-pool dilation/erosion of the ink), and "blur", a fixed Gaussian
blur that leaves the critic the layout rather than the line style (as the official FFHQ script compares
sketches downscaled and upscaled again). Every op works on ink (0 = paper), so the borders it exposes are
blank paper, and each random op draws its own parameters per sample.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .edges import blur

SKETCH_AUGMENTS = ("translation", "scale", "width", "blur")
TRANSLATION_RATIO = 0.125
SCALE_RANGE = (0.85, 1.15)
BLUR_SIGMA = 0.03  # of the image side: 2 px at 64 px, about the gap between a sketch's neighbouring lines


def parse_policy(policy: str) -> tuple[str, ...]:
    """'translation,scale' -> ('translation', 'scale'); '' or 'none' -> ()."""
    ops = tuple(p for p in policy.replace(" ", "").split(",") if p and p != "none")
    unknown = [p for p in ops if p not in SKETCH_AUGMENTS]
    if unknown:
        raise ValueError(f"unknown sketch augmentation {unknown[0]!r}: use {', '.join(SKETCH_AUGMENTS)} or none.")
    return ops


def augment_sketches(x: torch.Tensor, ops: tuple[str, ...], gen: torch.Generator) -> torch.Tensor:
    """Sketches (N, 1, H, W) in [-1, 1] (ink -1) -> augmented sketches, differentiable in ``x``."""
    if not ops:
        return x
    ink = (1 - x) * 0.5
    if "width" in ops:
        ink = _stroke_width(ink, gen)
    if "scale" in ops:
        ink = _scale(ink, gen)
    if "translation" in ops:
        ink = _translate(ink, gen)
    if "blur" in ops:
        ink = blur(ink, BLUR_SIGMA * ink.shape[-1])
    return 1 - 2 * ink


def _translate(ink: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Shift each sample by whole pixels, up to ±12.5 % of the size on each axis (DiffAugment's translation)."""
    n, c, h, w = ink.shape
    sy, sx = int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)
    dy = torch.randint(-sy, sy + 1, (n, 1), generator=gen)
    dx = torch.randint(-sx, sx + 1, (n, 1), generator=gen)
    padded = F.pad(ink, (sx, sx, sy, sy))
    iy = (torch.arange(h)[None] + sy - dy)[:, None, :, None]
    ix = (torch.arange(w)[None] + sx - dx)[:, None, None, :]
    return padded[torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None], iy, ix]


def _scale(ink: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Zoom each sample about the centre by a factor in SCALE_RANGE (bilinear, blank paper outside)."""
    n = ink.shape[0]
    lo, hi = SCALE_RANGE
    s = lo + (hi - lo) * torch.rand(n, generator=gen)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / s
    grid = F.affine_grid(theta.to(ink), list(ink.shape), align_corners=False)
    return F.grid_sample(ink, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _stroke_width(ink: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Per sample: a third keep their strokes, a third get thicker (3x3 dilation), a third thinner.

    Thinning blends the 3x3 erosion half-in, so 1 px lines fade rather than vanish.
    """
    choice = torch.randint(3, (ink.shape[0], 1, 1, 1), generator=gen)
    thick = F.max_pool2d(ink, 3, 1, 1)
    thin = 0.5 * (ink - F.max_pool2d(-ink, 3, 1, 1))
    return torch.where(choice == 1, thick, torch.where(choice == 2, thin, ink))
