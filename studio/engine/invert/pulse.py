"""Paint colours, search latents: PULSE's W+ search with an alpha-weighted colour loss and a keep mask.

The user paints target colours (RGBA: colour = target, alpha = weight) and optionally marks regions to
keep. We look for W+ latents whose render (at the work size, ``work_size.py``), bicubic-downscaled to a small
size (colour masks need no detail), matches the paint where painted and the *original* portrait where kept. As
in PULSE (Menon et al. 2020): one latent per W+ entry on a sphere (its starting norm kept after every Adam step),
mapped to W through a Gaussian fit of the mapping, GEOCROSS pulling the per-layer latents together, loss
``100·max(L2, eps) + 0.05·GEOCROSS``, lr 0.4 with the 'linear1cycledrop' schedule, the best step kept.
Unlike the official code, the best result always comes back with how close it came (``l2`` vs ``eps``),
and a cancel returns it too.

Identity mode (``start_ws`` given, the recolouring default) inverts the Gaussian map at the current
portrait, so step 0 renders exactly the starting picture and ``result.ws - start_ws`` is a direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..edit.latents import LayerSpec, layer_indices, w_sampling_rates
from ..images import fit_image, load_image, tensor_to_images
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..masks import require_alpha
from ..model.stylegan2 import Generator
from ..model.stylegan3 import Generator as SG3Generator
from ..paths import PathLike
from ..resample import downscale
from .pulse_fit import (
    FIT_SAMPLES,
    PrivateSynthesis,
    WorkRender,
    from_w,
    latent_stats,
    noise_arrays,
    noise_tensors,
    to_w,
)
from .work_size import SEARCH_WORK, work_size_for

LOSS_SIZE = 32
OFFICIAL_NOISE_LAYERS = 5
# Measured with benchmarks/recolor.py on the shipped default (64 px, 134 kimg; hair of projected world portraits
# painted blue/pink/blond/green, 100 steps). With each region's error its own mean (ColourTarget.l2), keep 0.5
# (the old picture-wide loss's best) reached mean ΔE 1.9 but changed 5.0-5.9 % outside the hair; keep 3 trades
# ΔE 2.2 -> 4.9 for 5.9 % -> 3.3 % outside (seeds 1-2, blue). A 64 px loss (ΔE 6.1, 2.8 %) costs a full-size
# render per step for little, and 50 steps at keep 1 gave ΔE 3.4 but still 5.3 % outside.
KEEP_WEIGHT = 3.0
# All W+ entries: limiting the search to the colour layers (middle+fine) left ΔE about the same (2.8) and moved
# more outside (6.1 % against 5.9 %), because on this model the 8 px entries carry hair colour too (mixing table).
SEARCH_LAYERS = "all"


class MaskError(ValueError):
    """A paint or keep mask is unusable; the message says which and why in one sentence."""


@dataclass
class SearchResult:
    """The best step of a search: its W+ latents, full-size render and how close it came."""

    ws: torch.Tensor  # (1, num_ws, w_dim)
    image: np.ndarray  # (H, W, 3) uint8
    best_loss: float  # total loss at the best step
    l2: float  # the weighted L2 of the loss (paint + keep) at the best step, in [0, 1]² units
    l2_in_mask: float  # mean squared colour error inside the painted region, alpha-weighted
    steps_done: int
    cancelled: bool
    eps: float
    work_size: int  # px: the size the search rendered and compared at
    noise: dict[str, np.ndarray] = field(default_factory=dict)  # start + trained maps (empty: the model's own)

    @property
    def reached(self) -> bool:
        """Whether the search met PULSE's success test (best L2 within eps)."""
        return self.l2 <= self.eps


def geocross(ws: torch.Tensor) -> torch.Tensor:
    """PULSE's cross loss: mean over layer pairs of the squared angle between w_i and w_j, · w_dim / 8.

    The angle 2·atan2(|a−b|, |a+b|) is exact for equal-norm vectors and stable near 0 and π.
    """
    n, k, d = ws.shape
    if k == 1:
        return ws.new_zeros(())
    a, b = ws.view(n, 1, k, d), ws.view(n, k, 1, d)
    diff = ((a - b).square().sum(-1) + 1e-9).sqrt()
    summ = ((a + b).square().sum(-1) + 1e-9).sqrt()
    theta = 2 * torch.atan2(diff, summ)
    return (theta.square() * d).mean((1, 2)).sum() / 8


class SphericalOptimizer:
    """Adam whose parameters are rescaled to their initial norms after every step (per sample and layer).

    Gaussian latents concentrate on a sphere; staying on it keeps the search among realistic images.
    """

    def __init__(self, params: list[torch.Tensor], lr: float) -> None:
        self.params = params
        self.opt = torch.optim.Adam(params, lr=lr)
        with torch.no_grad():
            self.radii = [self._norm(p) for p in params]

    @staticmethod
    def _norm(p: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(2, p.ndim)) if p.ndim > 2 else tuple(range(p.ndim))
        return (p.square().sum(dims, keepdim=True) + 1e-9).sqrt()

    @torch.no_grad()
    def step(self) -> None:
        self.opt.step()
        for p, r in zip(self.params, self.radii):
            p.mul_(r / self._norm(p))


def linear1cycledrop(step: int, steps: int) -> float:
    """PULSE's lr factor: 0.1 → 1 → 0.1 over the first 90 % of steps, then a drop toward 0.001."""
    rise = 0.9 * steps
    if step < rise:
        return (9 * (1 - abs(step / rise - 0.5) * 2) + 1) / 10
    return 0.1 + (step - rise) / (0.1 * steps) * (0.001 - 0.1)


def _alpha(mask: np.ndarray, name: str) -> np.ndarray:
    if mask.dtype != np.uint8 or mask.ndim not in (2, 3) or (mask.ndim == 3 and mask.shape[2] not in (1, 4)):
        raise MaskError(f"the {name} must be a uint8 alpha map or RGBA image, not {mask.dtype} {mask.shape}.")
    return mask if mask.ndim == 2 else mask[..., -1]


def _to_loss_size(img: np.ndarray, size: int) -> torch.Tensor:
    """uint8 HxWxC -> float (1, C, size, size) in [0, 1] (Lanczos; Pillow premultiplies RGBA colour)."""
    small = fit_image(img, size)
    small = small[..., None] if small.ndim == 2 else small
    return torch.from_numpy(np.array(small)).permute(2, 0, 1)[None].float() / 255


def load_mask(path: PathLike) -> np.ndarray:
    """Read a paint or keep mask file as uint8 RGBA; a file without transparency or with nothing painted (alpha 0)
    is refused, and so is a non-square one: it would have to be cropped to the portrait's square, losing paint
    without a word."""
    rgba = load_image(path, mode="RGBA")
    require_alpha(path)
    h, w = rgba.shape[:2]
    if h != w:
        raise MaskError(f"{path} is {w}x{h} pixels, but a mask covers the square portrait; "
                        "paint it on a square canvas (any size).")
    if not rgba[..., 3].any():
        raise MaskError(f"{path} has no painted pixels: its alpha channel is 0 everywhere.")
    return rgba


@dataclass
class ColourTarget:
    """Paint and keep at loss size: paint colour/weight, keep weight and the original's colours."""

    paint_rgb: torch.Tensor  # (1, 3, s, s) in [0, 1]
    paint_a: torch.Tensor  # (1, 1, s, s)
    keep_a: torch.Tensor  # (1, 1, s, s); zeros when nothing is kept
    original: torch.Tensor | None  # (1, 3, s, s) in [0, 1], the start portrait downscaled
    keep_weight: float = 1.0

    def l2(self, small: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the loss's L2: paint error + keep_weight · keep error, the mean squared colour error in the painted
        region). Each region's error is its own alpha-weighted mean, not a share of the whole picture's: a lock
        of hair 1 % of the picture pulls as hard as the rest, where a picture-wide mean let the keep term
        drown it (mean ΔE 19-48 on small hair regions, 8-13 on large ones)."""
        paint = _region_mean((small - self.paint_rgb).square(), self.paint_a)
        if self.original is None:
            return paint, paint
        return paint + self.keep_weight * _region_mean((small - self.original).square(), self.keep_a), paint


def _region_mean(err: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    return (err * alpha).sum() / (err.shape[1] * alpha.sum()).clamp_min(1e-8)


def colour_target(
    paint: np.ndarray,
    size: int,
    keep: np.ndarray | None = None,
    original: torch.Tensor | None = None,
    keep_weight: float = 1.0,
) -> ColourTarget:
    """Scale an RGBA paint image (and keep alpha) to ``size``; without ``keep``, keep what is unpainted.

    ``original`` is the starting render in [-1, 1]; with none (a random start) nothing can be kept.
    ``keep_weight`` weighs the keep error against the paint error: lower lets the paint pull harder.
    """
    if paint.dtype != np.uint8 or paint.ndim != 3 or paint.shape[2] != 4:
        raise MaskError(
            f"the paint mask must be an RGBA image (colour = target, alpha = weight), not {paint.dtype} {paint.shape}."
        )
    small = _to_loss_size(paint, size)
    rgb, a = small[:, :3], small[:, 3:]
    if float(a.max()) <= 0:
        raise MaskError("the paint mask is fully transparent: paint some colour with non-zero alpha.")
    if original is None:
        if keep is not None:
            raise MaskError("a keep mask needs a starting portrait to keep.")
        return ColourTarget(rgb, a, torch.zeros_like(a), None)
    keep_a = 1 - a if keep is None else _to_loss_size(_alpha(keep, "keep mask"), size)
    orig = (downscale(original, size) + 1) / 2
    return ColourTarget(rgb, a, keep_a, orig.detach(), keep_weight)


def search(
    G: Generator | SG3Generator,
    paint: np.ndarray,
    start_ws: torch.Tensor | None = None,
    start_noise: dict[str, np.ndarray] | None = None,
    keep: np.ndarray | None = None,
    keep_weight: float = KEEP_WEIGHT,
    steps: int = 100,
    lr: float = 0.4,
    l2_weight: float = 100.0,
    geocross_weight: float = 0.05,
    eps: float = 2e-3,
    loss_size: int = LOSS_SIZE,
    work_size: int | None = None,
    trainable_noise: int | None = None,
    layers: LayerSpec | None = None,
    seed: int = 0,
    preview_every: int = 5,
    fit_samples: int = FIT_SAMPLES,
    progress: ProgressFn = no_progress,
    token: CancelToken | None = None,
    c: torch.Tensor | None = None,
    transform: torch.Tensor | None = None,
) -> SearchResult:
    """Search W+ for a portrait whose downscaled colours match ``paint`` (uint8 RGBA, any square size).

    With ``start_ws`` (1, num_ws, w_dim) the search starts at that portrait and keeps it where ``keep``
    (uint8 alpha or RGBA; default: everywhere unpainted) says, weighted by ``keep_weight``; without, it
    starts at a random point drawn from ``seed`` (official PULSE). ``start_noise`` (a projection's noise
    maps) replaces the model's constant noise, so a projected picture starts exactly as it was rendered.
    ``trainable_noise`` defaults to 0 from a start (so the W+ difference alone carries the edit) and 5
    from a random point. ``layers``: the W+ entries the search may change (anything ``layer_indices`` reads),
    default SEARCH_LAYERS from a start and all from a random point. ``work_size``: the size the search renders
    at (``work_size_for``: by default SEARCH_WORK px, or the model's size if smaller; the W+ entries only finer
    layers read stay as they are), and its frames are that size; the result is rendered at full size once. Cancel
    returns the best step so far. ``c``: the class label row (1, c_dim) of a conditional model; the search keeps
    to that class's part of W. ``transform``: a StyleGAN3 picture's move and turn (``Portrait.transform``): the
    search renders, keeps and returns the picture as it is shown, moved.

    On StyleGAN3 (no noise maps, no smaller outputs) the noise options find nothing to train, and a work size below
    the model's renders the full picture and area-averages it (``WorkRender``): every W+ entry is searched.
    """
    token = ensure_token(token)
    device = G.w_avg.device
    stats = latent_stats(G, fit_samples, c=c)
    synth = PrivateSynthesis(G, transform)
    start_noise = start_noise or {}
    synth.set_noise(noise_tensors(start_noise, device))
    work = work_size_for(G.resolution, SEARCH_WORK, work_size)
    size = min(loss_size, work)
    chosen = layer_indices(layers or ("all" if start_ws is None else SEARCH_LAYERS), G.num_ws, w_sampling_rates(G))
    if not chosen:
        raise ValueError(f"the layers {layers!r} name no W+ entry of this model.")
    searched = [i for i in chosen if i < synth.ws_used(work)]
    if not searched:
        raise ValueError(f"the layers {layers!r} have no W+ entry below {work} px in this model.")
    at_work = WorkRender(synth, work)
    if trainable_noise is None:
        trainable_noise = 0 if start_ws is not None else OFFICIAL_NOISE_LAYERS
    if start_ws is not None:
        start_ws = start_ws.detach().to(device)
        if tuple(start_ws.shape) != (1, G.num_ws, G.w_dim):
            raise ValueError(f"start_ws must have shape (1, {G.num_ws}, {G.w_dim}), not {tuple(start_ws.shape)}")
        fixed = from_w(start_ws, stats)
        with torch.no_grad():
            w0 = to_w(fixed, stats)
            original = at_work(start_ws)
    else:
        fixed = torch.randn(1, G.num_ws, G.w_dim, generator=torch.Generator().manual_seed(seed)).to(device)
        original = None
    target = colour_target(paint, size, keep, original, keep_weight)
    latent = fixed[:, searched].clone().requires_grad_(True)

    def mapped() -> torch.Tensor:
        """W+ of the current latents; from a start, start + change, so step 0 is the start exactly."""
        full = fixed.clone()
        full[:, searched] = latent
        w = to_w(full, stats)
        return w if start_ws is None else start_ws + (w - w0)

    def evaluate(ws: torch.Tensor) -> dict:
        img = at_work(ws)
        l2, l2_mask = target.l2((downscale(img, size) + 1) / 2)
        cross = geocross(ws)
        loss = l2_weight * l2.clamp_min(eps) + geocross_weight * cross
        return dict(loss=loss, l2=l2.item(), l2_mask=l2_mask.item(), geocross=cross.item(), img=img)

    noise_vars = synth.trainable_noise(trainable_noise)
    opt = SphericalOptimizer([latent] + noise_vars, lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt.opt, lambda i: linear1cycledrop(i, steps))
    best: dict | None = None
    done, cancelled = 0, False
    for step in range(steps):
        if token.stop_requested():
            cancelled = True
            break
        ws = mapped()
        cur = evaluate(ws)
        loss, img = cur.pop("loss"), cur.pop("img")
        cur["loss"] = loss.item()
        if best is None or cur["loss"] < best["loss"]:
            best = dict(cur, ws=ws.detach().clone(), noise=noise_arrays(synth, trainable_noise))
        opt.opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        done = step + 1
        if done % preview_every == 0 or done == steps:
            progress(Progress(done, steps, f"step {done}", tensor_to_images(img)[0], dict(cur)))
    with torch.no_grad():
        if best is None:  # cancelled before the first step: the start is the best there is
            ws = mapped()
            best = dict(evaluate(ws), ws=ws, noise={})
            best["loss"] = best["loss"].item()
        synth.set_noise(noise_tensors(best["noise"], device))
        image = tensor_to_images(synth(best["ws"]))[0]
    return SearchResult(
        ws=best["ws"], image=image, best_loss=best["loss"], l2=best["l2"], l2_in_mask=best["l2_mask"],
        steps_done=done, cancelled=cancelled, eps=eps, work_size=work, noise={**start_noise, **best["noise"]},
    )


def direction(result_ws: torch.Tensor, start_ws: torch.Tensor) -> torch.Tensor:
    """The W+ edit a search made, (num_ws, w_dim): add it to another portrait's W+ to repeat it."""
    if result_ws.shape != start_ws.shape:
        raise ValueError(f"W+ shapes differ: {tuple(result_ws.shape)} vs {tuple(start_ws.shape)}")
    return (result_ws - start_ws).reshape(result_ws.shape[-2:]).detach().clone()
