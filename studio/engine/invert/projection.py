"""Projection of a real painting into W+ (Image2StyleGAN), so it can be edited like a generated portrait.

The optimisation follows NVIDIA's stylegan2-ada projector, but in W+ (Image2StyleGAN: W alone cannot
reach a real image): start at the mean w, Adam lr 0.1 with a 5 % warm-up and a cosine ramp-down over
the last 25 %, latent jitter w_std·0.05·max(0, 1 − t/0.75)², all noise maps optimised too, renormalised
after every step and kept white by an autocorrelation penalty at every scale down to 8 px (weight 1e5).
VGG/LPIPS weights cannot be shipped, so the distance is a multi-scale pixel MSE plus, when the checkpoint
has a discriminator, an LPIPS-like distance between its block features (channel-normalised, squared,
averaged). Unlike NVIDIA's script, the final render keeps the optimised noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..images import fit_image, image_to_tensor, tensor_to_images
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..model.stylegan2 import Discriminator, Generator
from .pulse_fit import FIT_SAMPLES, PrivateSynthesis, latent_stats, noise_arrays

MIN_SCALE = 16  # the pixel term compares the pictures down to this size
NOISE_REG_MIN = 8  # NVIDIA's autocorrelation penalty stops at 8 px


@dataclass
class ProjectionResult:
    """Where the projection ended: W+ latents, the noise maps it found, the render and its PSNR."""

    ws: torch.Tensor  # (1, num_ws, w_dim)
    noise: dict[str, np.ndarray]  # every synthesis layer's noise map
    image: np.ndarray  # (H, W, 3) uint8, rendered with ``noise``
    psnr: float  # dB against the (fitted) target
    steps_done: int
    cancelled: bool
    history: list[tuple[int, float]] = field(default_factory=list)  # (step, PSNR) at each preview


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 images of the same shape."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


class ImageDistance:
    """Multi-scale pixel MSE (+ weighted LPIPS-like distance of discriminator features) to a fixed target.

    D's block outputs, normalised over channels, are the only learned features we own; they see the
    painting's strokes and textures that a plain pixel loss blurs away.
    """

    def __init__(self, target: torch.Tensor, D: Optional[Discriminator] = None, feature_weight: float = 0.1) -> None:
        self.D = D if feature_weight > 0 else None
        self.feature_weight = feature_weight
        self.target_pyramid = self._pyramid(target)
        with torch.no_grad():
            self.target_features = self._features(target) if self.D is not None else []

    @staticmethod
    def _pyramid(x: torch.Tensor) -> list[torch.Tensor]:
        levels = [x]
        while levels[-1].shape[-1] > MIN_SCALE:
            levels.append(F.avg_pool2d(levels[-1], 2))
        return levels

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats, h = [], None
        for res in self.D.block_resolutions:
            h = getattr(self.D, f"b{res}")(h, x)
            feats.append(h / (h.square().sum(1, keepdim=True) + 1e-10).sqrt())
        return feats

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        pixel = sum(F.mse_loss(a, b) for a, b in zip(self._pyramid(img), self.target_pyramid))
        pixel = pixel / len(self.target_pyramid)
        if self.D is None:
            return pixel
        feats = self._features(img)
        perceptual = sum((a - b).square().sum(1).mean() for a, b in zip(feats, self.target_features)) / len(feats)
        return pixel + self.feature_weight * perceptual


def noise_regularizer(maps: list[torch.Tensor]) -> torch.Tensor:
    """NVIDIA's penalty on noise maps' autocorrelation (one pixel shifts in x and y) at every scale."""
    reg = maps[0].new_zeros(())
    for m in maps:
        x = m[None, None]
        while True:
            reg = reg + (x * x.roll(1, dims=3)).mean().square() + (x * x.roll(1, dims=2)).mean().square()
            if x.shape[-1] <= NOISE_REG_MIN:
                break
            x = F.avg_pool2d(x, 2)
    return reg


def _lr_factor(t: float, rampdown: float = 0.25, rampup: float = 0.05) -> float:
    ramp = min(1.0, (1.0 - t) / rampdown)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    return ramp * min(1.0, t / rampup)


def project(
    G: Generator,
    target: np.ndarray,
    D: Optional[Discriminator] = None,
    steps: int = 300,
    lr: float = 0.1,
    feature_weight: float = 0.1,
    noise_weight: float = 1e5,
    jitter: float = 0.05,
    jitter_ramp: float = 0.75,
    seed: int = 0,
    preview_every: int = 10,
    fit_samples: int = FIT_SAMPLES,
    progress: ProgressFn = no_progress,
    token: Optional[CancelToken] = None,
    c: Optional[torch.Tensor] = None,
) -> ProjectionResult:
    """Find W+ latents and noise maps that render ``target`` (uint8 HxWx3, centre-cropped and resized).

    ``D`` (the checkpoint's discriminator, if any) adds its features to the distance. ``c``: the class label row
    (1, c_dim) of a conditional model: the search starts at that class's mean w. Cancel stops early and returns
    the current state.
    """
    token = ensure_token(token)
    device = G.w_avg.device
    stats = latent_stats(G, fit_samples, c=c)
    goal = fit_image(target, G.resolution)
    distance = ImageDistance(image_to_tensor(goal).to(device), D, feature_weight)
    synth = PrivateSynthesis(G)
    noise = synth.trainable_noise(len(synth.layers))
    with torch.no_grad():
        for n in noise:
            n.sub_(n.mean()).div_(n.square().mean().sqrt())
    w = stats.w_avg.to(device).reshape(1, 1, -1).repeat(1, G.num_ws, 1).requires_grad_(True)
    opt = torch.optim.Adam([w] + noise, lr=lr, betas=(0.9, 0.999))
    gen = torch.Generator().manual_seed(seed)
    history: list[tuple[int, float]] = []
    done, cancelled = 0, False
    for step in range(steps):
        if token.stop_requested():
            cancelled = True
            break
        t = step / steps
        for group in opt.param_groups:
            group["lr"] = lr * _lr_factor(t)
        scale = stats.w_std * jitter * max(0.0, 1.0 - t / jitter_ramp) ** 2
        img = synth(w + torch.randn(w.shape, generator=gen).to(device) * scale)
        loss = distance(img) + noise_weight * noise_regularizer(noise)
        params = [w] + noise
        for p, g in zip(params, torch.autograd.grad(loss, params)):  # never into D's own .grad
            p.grad = g
        opt.step()
        with torch.no_grad():
            for n in noise:
                n.sub_(n.mean()).div_(n.square().mean().sqrt())
        done = step + 1
        if done % preview_every == 0 or done == steps:
            frame = tensor_to_images(img)[0]
            history.append((done, psnr(frame, goal)))
            progress(Progress(done, steps, f"step {done}", frame, {"loss": loss.item(), "psnr": history[-1][1]}))
    with torch.no_grad():
        image = tensor_to_images(synth(w))[0]
    return ProjectionResult(
        ws=w.detach().clone(), noise=noise_arrays(synth), image=image, psnr=psnr(image, goal),
        steps_done=done, cancelled=cancelled, history=history,
    )
