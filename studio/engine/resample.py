"""Downscaling by an integer factor, differentiable: how the methods compare a render with a small target.

Bicubic (PULSE's, for the colour search): the separable cubic convolution kernel with a = -0.5 (Keys), spread
over 4·factor taps so every output pixel averages its whole footprint, with reflect padding; the same numbers as
PULSE's ``BicubicDownSample``, written from the formula. Area (NVIDIA's projector, for the projection): each
output pixel the mean of its factor × factor footprint.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


def cubic(x: torch.Tensor, a: float = -0.5) -> torch.Tensor:
    """Keys' cubic convolution kernel: 1 at 0, 0 at every other integer, zero beyond |x| = 2."""
    x = x.abs()
    near = (a + 2) * x**3 - (a + 3) * x**2 + 1
    far = a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
    return torch.where(x <= 1, near, torch.where(x < 2, far, torch.zeros_like(x)))


@functools.lru_cache(maxsize=16)
def bicubic_taps(factor: int, a: float = -0.5) -> torch.Tensor:
    """The 4·factor normalised 1-D taps of a downscale by ``factor`` (sample points at pixel centres)."""
    size = 4 * factor
    x = (torch.arange(size, dtype=torch.float64) - size // 2 + 0.5) / factor
    k = cubic(x, a)
    return (k / k.sum()).float()


def _factor(x: torch.Tensor, size: int) -> int:
    h = x.shape[-1]
    if x.ndim != 4 or x.shape[-2] != h or h % size:
        raise ValueError(f"downscale needs square (N, C, H, H) images, H a multiple of {size}, not {tuple(x.shape)}")
    return h // size


def area_downscale(x: torch.Tensor, size: int) -> torch.Tensor:
    """Area-average (N, C, H, H) images down to ``size`` px; H must be ``size`` times a whole number."""
    factor = _factor(x, size)
    return x if factor == 1 else F.avg_pool2d(x, factor)


def downscale(x: torch.Tensor, size: int, a: float = -0.5) -> torch.Tensor:
    """Bicubic downscale of (N, C, H, H) images to ``size`` px; H must be ``size`` times a whole number."""
    factor = _factor(x, size)
    if factor == 1:
        return x
    c = x.shape[1]
    k = bicubic_taps(factor, a).to(x.device, x.dtype)
    pad = 3 * factor  # 4·factor taps, stride factor: (taps - stride) split over both sides
    lo, hi = pad // 2, pad - pad // 2
    x = F.pad(x, (0, 0, lo, hi), mode="reflect")
    x = F.conv2d(x, k.reshape(1, 1, -1, 1).expand(c, 1, -1, 1), stride=(factor, 1), groups=c)
    x = F.pad(x, (lo, hi, 0, 0), mode="reflect")
    return F.conv2d(x, k.reshape(1, 1, 1, -1).expand(c, 1, 1, -1), stride=(1, factor), groups=c)
