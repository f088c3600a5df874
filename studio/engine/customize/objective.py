"""The per-step objective of Sketch Your Own GAN, as NVlabs' ``loss.py`` is StyleGAN2's: the losses of each
phase of an iteration (``train.phases``), forward and backward, on the batch the loop drew.

- "D": the sketch critic D_Y on augmented real sketches against F(G′(z)), plus λ_image × the image critic D_X on
  real images against G′(z) (fakes are constants here; a training StyleGAN3 synthesis updates its magnitude EMAs
  from them, as NVIDIA's D step does);
- "D_reg": lazy R1 on both critics (the image one scaled by λ_image), the gradient taken w.r.t. the
  un-augmented sketch;
- "G": L_sketch + λ_image · L_image, gradients flowing through F (frozen, not detached) and both critics
  (frozen for this phase); without real images L_weight = mean |θ′ − θ| instead of L_image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..model.stylegan2 import Discriminator
from ..train.losses import d_loss_fake, d_loss_real, g_nonsaturating, r1_penalty
from .augment import augment_sketches
from .checkpoint import RunState
from .config import CustomizeConfig
from .extractors import SketchExtractor


@dataclass(frozen=True)
class Batch:
    """An iteration's real data, drawn by the loop: the user's sketches, real images for D_X (None: no real
    images) and the class labels both critics judge (None: an unconditional model)."""

    sketches: torch.Tensor
    images: torch.Tensor | None
    c: torch.Tensor | None


class SketchObjective:
    """The losses of one customization run, on its state (G′, the critics, the random generator)."""

    def __init__(self, state: RunState, cfg: CustomizeConfig, F: SketchExtractor, ops: tuple[str, ...],
                 start: dict[str, torch.Tensor]) -> None:
        self.state, self.cfg, self.F, self.ops = state, cfg, F, ops
        self.start = start  # the trained tensors as they began, for L_weight

    def accumulate_gradients(self, phase: str, batch: Batch) -> dict[str, float]:
        s, cfg, F, ops = self.state, self.cfg, self.F, self.ops
        n, gen, lam, c = cfg.batch, s.gen, cfg.lambda_image, batch.c
        real_sk, real_img = batch.sketches, batch.images
        metrics: dict[str, float] = {}
        if phase == "D":
            with torch.no_grad():
                fake = s.Gp.sample(n, gen, cfg.mixing_prob, update_emas=True)
                fake_sk = F(fake)
            loss_d_sketch = _d_loss(s.D_sketch, _to3(augment_sketches(real_sk, ops, gen)),
                                    _to3(augment_sketches(fake_sk, ops, gen)), c)
            loss_d = loss_d_sketch
            metrics["loss_D_sketch"] = loss_d_sketch.item()
            if s.D_image is not None:
                loss_d_image = _d_loss(s.D_image, real_img, fake, c)
                loss_d = loss_d + lam * loss_d_image
                metrics["loss_D_image"] = loss_d_image.item()
            loss_d.backward()
        elif phase == "D_reg":
            x = real_sk.detach().requires_grad_(True)
            r1 = r1_penalty(x, s.D_sketch(_to3(augment_sketches(x, ops, gen)), c)).mean()
            loss_r1 = cfg.r1_gamma / 2 * r1 * cfg.r1_every
            metrics["r1_sketch"] = r1.item()
            if s.D_image is not None:
                xi = real_img.detach().requires_grad_(True)
                r1_img = r1_penalty(xi, s.D_image(xi, c)).mean()
                loss_r1 = loss_r1 + lam * cfg.r1_gamma / 2 * r1_img * cfg.r1_every
                metrics["r1_image"] = r1_img.item()
            loss_r1.backward()
        elif phase == "G":
            fake = s.Gp.sample(n, gen, cfg.mixing_prob)
            loss_sketch = g_nonsaturating(s.D_sketch(_to3(augment_sketches(F(fake), ops, gen)), c)).mean()
            loss_g = loss_sketch
            metrics["loss_sketch"] = loss_sketch.item()
            if s.D_image is not None:
                loss_image = g_nonsaturating(s.D_image(fake, c)).mean()
                loss_g = loss_g + lam * loss_image
                metrics["loss_image"] = loss_image.item()
            else:
                loss_weight = weight_loss(s.Gp.trainable(), self.start)
                loss_g = loss_g + cfg.lambda_weight * loss_weight
                metrics["loss_weight"] = loss_weight.item()
            loss_g.backward()
        else:
            raise ValueError(f"Sketch Your Own GAN has no phase {phase!r}")
        return metrics


def weight_loss(params: dict[str, nn.Parameter], start: dict[str, torch.Tensor]) -> torch.Tensor:
    """L_weight: mean |θ′ − θ| over all elements of the trained tensors."""
    total = sum((p - start[k]).abs().sum() for k, p in params.items())
    return total / sum(p.numel() for p in params.values())


def _to3(sketch: torch.Tensor) -> torch.Tensor:
    return sketch.repeat(1, 3, 1, 1)


def _d_loss(D: Discriminator, real: torch.Tensor, fake: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
    return d_loss_real(D(real, c)).mean() + d_loss_fake(D(fake, c)).mean()
