"""The StyleGAN2 objectives: non-saturating logistic loss, R1 on reals, path-length regularisation.

Each returns per-sample values; the training loop weights, averages and back-propagates them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def d_loss_fake(fake_logits: torch.Tensor) -> torch.Tensor:
    """D's logistic loss on fakes: softplus(D(G(z)))."""
    return F.softplus(fake_logits)


def d_loss_real(real_logits: torch.Tensor) -> torch.Tensor:
    """D's logistic loss on reals: softplus(-D(x))."""
    return F.softplus(-real_logits)


def g_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """G's non-saturating loss: softplus(-D(G(z))) (the same form as D's loss on reals)."""
    return F.softplus(-fake_logits)


def r1_penalty(real: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """|∇ₓ D(x)|² per real image (``real`` must require grad); differentiable for the D update."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.square().sum(dim=[1, 2, 3])


def path_lengths(img: torch.Tensor, ws: torch.Tensor) -> torch.Tensor:
    """|Jᵀ y| per sample for random image-space y, the quantity path-length regularisation keeps constant."""
    noise = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
    (grad,) = torch.autograd.grad((img * noise).sum(), ws, create_graph=True)
    return grad.square().sum(dim=2).mean(dim=1).sqrt()
