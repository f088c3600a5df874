"""The default sketch extractor F: a fixed, differentiable edge-based line drawing that needs no weights.

Colour edges of the slightly blurred painting (Sobel on all three channels, so hair against a background
of the same brightness still gets its outline) are turned into ink with a soft threshold. Blur and
threshold are set relative to the image size so strokes come out about 2 px wide at 128 px, like the
world's contour drawings and hand-drawn sketches scaled to the model's resolution.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

_REFERENCE_SIZE = 128


def gaussian_kernel1d(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with reflect padding, per channel."""
    k = gaussian_kernel1d(sigma).to(x)
    r, c = k.numel() // 2, x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


class EdgeSketch(nn.Module):
    """Image (N, 3, H, W) in [-1, 1] -> sketch (N, 1, H, W) in [-1, 1], white paper +1, ink -1."""

    def __init__(
        self, sigma: float = 1.6, threshold: float = 0.16, softness: float = 0.04, ridge: float = 0.15
    ) -> None:
        super().__init__()
        self.sigma, self.threshold, self.softness, self.ridge = sigma, threshold, softness, ridge
        sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
        self.register_buffer("kernels", torch.stack([sobel, sobel.t()])[:, None], persistent=False)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        n, c, h, w = img.shape
        scale = h / _REFERENCE_SIZE
        x = blur(img, self.sigma * max(scale, 0.5))
        g = F.conv2d(F.pad(x.reshape(n * c, 1, h, w), (1, 1, 1, 1), mode="replicate"), self.kernels)
        # gradient per pixel of image width, so the threshold means the same colour step at any size
        mag = (g.reshape(n, c * 2, h, w).square().sum(dim=1, keepdim=True) + 1e-8).sqrt() * max(scale, 0.5)
        # soft non-maximum suppression: keep the crest of the edge, so strokes stay thin after the blur
        crest = torch.exp(-(F.max_pool2d(mag, 3, 1, 1) - mag) / (self.ridge * mag.detach().clamp_min(1e-3)))
        ink = torch.sigmoid((mag - self.threshold) / self.softness) * crest
        width = max(1, round(2 * scale))  # crests are 1 px; widen them to the target stroke width
        if width > 1:
            ink = F.max_pool2d(F.pad(ink, ((width - 1) // 2, width // 2) * 2, mode="replicate"), width, 1)
        return 1 - 2 * ink
