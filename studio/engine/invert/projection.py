"""Projection of a real painting into W+ (Image2StyleGAN), so it can be edited like a generated portrait.

Two passes, in Image2StyleGAN++'s order (latents first, then noise for detail):
1. W+ alone, with the model's constant noise, so W+ holds the whole picture that sliders, mixing and the colour
   search edit: NVIDIA's stylegan2-ada projector in W+ (W alone cannot reach a
   real image): start at the mean w, Adam lr 0.1 with a 5 % warm-up and a cosine ramp-down over the last 25 %,
   latent jitter w_std·0.05·max(0, 1 − t/0.75)². The jitter costs ~0.7 dB but finds latents that edit better:
   a blond − black direction searched from a jittered projection turned 64 % of sampled heads light, from an
   unjittered one 22 % (README).
2. The last ``detail`` share of the steps holds W+ and fits only the noise maps of ≥ DETAIL_MIN px to what is
   left: brush texture and edges the model's weights cannot draw (+3.5–7.5 dB on the default model). The coarse
   maps stay constant, so the noise cannot carry the layout, and W+ keeps the whole picture for editing. The
   fitted maps go with the portrait (``Latent.noise``) and stay through its edits.
NVIDIA's script optimises all noise maps beside w, kept white by an autocorrelation penalty; on the default model
those maps ended where they started (the same PSNR with the model's constant noise), so that is gone.
VGG/LPIPS weights cannot be shipped, so the distance is a multi-scale pixel MSE plus, when the checkpoint
has a discriminator, an LPIPS-like distance between its block features (channel-normalised, squared,
averaged). Both passes work at the model's size unless a smaller work size is asked for (``work_size.py``: there
the target is area-averaged down to it, D's features, which read full-size pictures, leave the distance, and the
detail pass fits the maps up to the work size; on the default it lost ~10 dB at half size).

A StyleGAN3 model has no noise maps: there is no detail pass, every step goes to W+ (``ProjectionResult.detail``
says 0), and the result carries no maps. Its picture may be moved and turned (``transform``): the projection then
finds the W+ whose moved picture is the painting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..images import fit_image, image_to_tensor, psnr, tensor_to_images
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..model.stylegan2 import Discriminator, Generator
from ..model.stylegan3 import Generator as SG3Generator
from ..resample import area_downscale
from .pulse_fit import FIT_SAMPLES, PrivateSynthesis, WorkRender, latent_stats, noise_arrays
from .work_size import PROJECTION_WORK, work_size_for

MIN_SCALE = 16  # the pixel term compares the pictures down to this size
DETAIL_MIN = 32  # the detail pass fits the noise maps from this size up: texture, never the layout


@dataclass
class ProjectionResult:
    """Where the projection ended: W+ latents, the noise maps it found, the render and its PSNR."""

    ws: torch.Tensor  # (1, num_ws, w_dim)
    noise: dict[str, np.ndarray]  # the maps the detail pass fitted (the other layers keep the model's constants)
    image: np.ndarray  # (H, W, 3) uint8, rendered with ``noise``
    psnr: float  # dB against the (fitted) target, full size
    portrait: np.ndarray  # (H, W, 3) uint8, ``ws`` rendered with the model's constant noise (W+ alone)
    portrait_psnr: float
    steps_done: int
    cancelled: bool
    work_size: int  # px: the size both passes rendered and compared at
    detail: float  # the share of the steps the detail pass had: 0 where the model has no maps to fit (StyleGAN3)
    history: list[tuple[int, float]] = field(default_factory=list)  # (step, PSNR at the work size) per preview


class ImageDistance:
    """Multi-scale pixel MSE (+ weighted LPIPS-like distance of discriminator features) to a fixed target.

    D's block outputs, normalised over channels, are the only learned features we own; they see the
    painting's strokes and textures that a plain pixel loss blurs away.
    """

    def __init__(self, target: torch.Tensor, D: Discriminator | None = None, feature_weight: float = 0.1) -> None:
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


def _lr_factor(t: float, rampdown: float = 0.25, rampup: float = 0.05) -> float:
    ramp = min(1.0, (1.0 - t) / rampdown)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    return ramp * min(1.0, t / rampup)


def project(
    G: Generator | SG3Generator,
    target: np.ndarray,
    D: Discriminator | None = None,
    steps: int = 300,
    lr: float = 0.1,
    feature_weight: float = 0.1,
    detail: float = 0.25,
    jitter: float = 0.05,
    seed: int = 0,
    preview_every: int = 10,
    fit_samples: int = FIT_SAMPLES,
    work_size: int | None = None,
    progress: ProgressFn = no_progress,
    token: CancelToken | None = None,
    c: torch.Tensor | None = None,
    transform: torch.Tensor | None = None,
) -> ProjectionResult:
    """Find W+ latents, then fine noise maps, that render ``target`` (uint8 HxWx3, centre-cropped and resized).

    ``D`` (the checkpoint's discriminator, if any) adds its features to the distance at full size. ``detail``: the
    share of ``steps`` spent on the noise pass (0: W+ alone). ``work_size``: the size both passes render and
    compare at (``work_size_for``; by default PROJECTION_WORK, the model's size); the frames and
    ``history`` are that size, the result and its PSNR full size. ``c``: the class label row (1, c_dim) of a
    conditional model: the search starts at that class's mean w. ``transform``: a StyleGAN3 picture's move and
    turn (``Portrait.transform``), which the found W+ is rendered with. Cancel stops early and returns the current
    state.
    """
    if not 0 <= detail < 1:
        raise ValueError(f"detail is the share of the steps spent on noise maps, from 0 up to 1, not {detail}.")
    token = ensure_token(token)
    device = G.w_avg.device
    stats = latent_stats(G, fit_samples, c=c)
    goal = fit_image(target, G.resolution)
    work = work_size_for(G.resolution, PROJECTION_WORK, work_size)
    goal_t = area_downscale(image_to_tensor(goal).to(device), work)
    goal_work = goal if work == G.resolution else tensor_to_images(goal_t)[0]
    distance = ImageDistance(goal_t, D if work == G.resolution else None, feature_weight)
    synth = PrivateSynthesis(G, transform)
    at_work = WorkRender(synth, work)
    w = stats.w_avg.to(device).reshape(1, 1, -1).repeat(1, G.num_ws, 1).requires_grad_(True)
    if not any(DETAIL_MIN <= shape[-1] <= work for shape in G.synthesis.noise_shapes().values()):
        detail = 0.0  # no maps to fit (StyleGAN3, or under 32 px): every step goes to W+
    latent_steps = steps - round(steps * detail)
    history: list[tuple[int, float]] = []
    done = 0
    gen = torch.Generator().manual_seed(seed)

    def fit(params: list[torch.Tensor], first: int, last: int, jitter: float = 0.0) -> bool:
        """Adam on ``params`` over steps [first, last) with its own warm-up and ramp-down, ``w`` jittered by
        ``jitter`` of its spread fading out by 3/4 of the way; False if cancelled."""
        nonlocal done
        opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999))
        for step in range(first, last):
            if token.stop_requested():
                return False
            t = (step - first) / (last - first)
            for group in opt.param_groups:
                group["lr"] = lr * _lr_factor(t)
            scale = stats.w_std * jitter * max(0.0, 1.0 - t / 0.75) ** 2
            img = at_work(w + torch.randn(w.shape, generator=gen).to(device) * scale if scale else w)
            loss = distance(img)
            for p, g in zip(params, torch.autograd.grad(loss, params)):  # never into D's own .grad
                p.grad = g
            opt.step()
            done = step + 1
            if done % preview_every == 0 or done == steps:
                frame = tensor_to_images(img)[0]
                history.append((done, psnr(frame, goal_work)))
                progress(Progress(done, steps, f"step {done}", frame, {"loss": loss.item(), "psnr": history[-1][1]}))
        return True

    finished = fit([w], 0, latent_steps, jitter)
    w = w.detach()
    with torch.no_grad():
        portrait = tensor_to_images(synth(w))[0]
    image = portrait
    maps = synth.trainable_fine_noise(DETAIL_MIN, work) if finished and latent_steps < steps else []
    if maps:
        finished = fit(maps, latent_steps, steps)
        with torch.no_grad():
            image = tensor_to_images(synth(w))[0]
    fitted = {name: m for name, m in noise_arrays(synth).items() if maps and DETAIL_MIN <= m.shape[-1] <= work}
    return ProjectionResult(
        ws=w.clone(), noise=fitted, image=image, psnr=psnr(image, goal), portrait=portrait,
        portrait_psnr=psnr(portrait, goal), steps_done=done, cancelled=not finished, work_size=work, detail=detail,
        history=history,
    )
