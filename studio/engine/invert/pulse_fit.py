"""PULSE's Gaussian fit of W, its map and inverse, and the private synthesis copy the searches render with (at the
work size: ``WorkRender``), for StyleGAN2 and StyleGAN3 alike.

PULSE never searches through the mapping network: it fits one Gaussian per dimension to the mapping's
output *before* its last leaky ReLU (undone with slope 5, and our √2 gain undone too), then maps a latent
on the sphere to W by ``w = √2 · lrelu(latent · std + mean)``. The map is a bijection, so a portrait's W+
inverts exactly to a starting latent: the identity-keeping search starts at the current picture.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..model.labels import batch_labels
from ..model.loaded import weights_hash
from ..model.ops import LRELU_GAIN
from ..model.stylegan2 import Generator, SynthesisLayer
from ..model.stylegan3 import Generator as SG3Generator
from ..resample import area_downscale
from .work_size import HOLD

# 50k z put every dimension's mean and std within ~1 % of a std of the official 10⁶-sample fit (measured on a
# trained model: 2 % at 10k, 0.8 % at 100k), for 1/20 of the time: seconds on a CPU for a 512-d mapping.
FIT_SAMPLES = 50_000
FIT_SEED = 0
_SLOPE = 0.2

_cache: dict[tuple[str, int], LatentStats] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class LatentStats:
    """Per-dimension Gaussian fit of pre-activation W (PULSE) plus W's mean and spread (NVIDIA's projector)."""

    mean: torch.Tensor  # (w_dim,)
    std: torch.Tensor  # (w_dim,)
    w_avg: torch.Tensor  # (w_dim,) mean of w over the samples
    w_std: float  # root mean squared distance of w from w_avg


def latent_stats(
    G: Generator | SG3Generator, samples: int = FIT_SAMPLES, seed: int = FIT_SEED, c: torch.Tensor | None = None
) -> LatentStats:
    """The fit for ``G`` (for class label ``c``, one row, of a conditional model), computed once per weights hash,
    class and sample count and kept in memory."""
    label = None if c is None else tuple(c.reshape(-1).tolist())
    key = (weights_hash(G.mapping), samples, label)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = _fit(G, samples, seed, c)
        return _cache[key]


@torch.no_grad()
def _fit(
    G: Generator | SG3Generator, samples: int, seed: int, c: torch.Tensor | None, chunk: int = 10_000
) -> LatentStats:
    gen = torch.Generator().manual_seed(seed)
    device = G.w_avg.device
    s1 = s2 = w1 = w2 = 0.0
    for start in range(0, samples, chunk):
        z = torch.randn(min(chunk, samples - start), G.z_dim, generator=gen).to(device)
        w = G.mapping(z, batch_labels(c, len(z)))[:, 0].double()
        x = pre_activation(w)
        s1, s2 = s1 + x.sum(0), s2 + x.square().sum(0)
        w1, w2 = w1 + w.sum(0), w2 + w.square().sum(0)
    mean = s1 / samples
    std = ((s2 - samples * mean.square()) / (samples - 1)).clamp_min(1e-12).sqrt()
    w_avg = w1 / samples
    w_std = float((w2 / samples - w_avg.square()).sum().clamp_min(0).sqrt())
    return LatentStats(mean.float(), std.float(), w_avg.float(), w_std)


def pre_activation(w: torch.Tensor) -> torch.Tensor:
    """Undo the mapping's last activation (leaky ReLU 0.2, then gain √2)."""
    return F.leaky_relu(w / LRELU_GAIN, 1 / _SLOPE)


def to_w(latent: torch.Tensor, stats: LatentStats) -> torch.Tensor:
    """Latent (..., w_dim) on the sphere -> w, through the Gaussian fit and the mapping's last activation."""
    return F.leaky_relu(latent * stats.std + stats.mean, _SLOPE) * LRELU_GAIN


def from_w(w: torch.Tensor, stats: LatentStats) -> torch.Tensor:
    """The inverse of ``to_w``: the latent that maps exactly to ``w``."""
    return (pre_activation(w) - stats.mean) / stats.std


class PrivateSynthesis:
    """A frozen copy of G's synthesis whose noise maps can be swapped for trainable tensors, rendering with a fixed
    StyleGAN3 ``transform`` (the picture moved and turned, ``stylegan3.input_transform``; None: as the model draws).

    A copy, so a search running on a worker thread never touches the model the UI is rendering with. A StyleGAN3
    synthesis has no noise maps: its table is empty, so there is nothing to fit or make trainable.
    """

    def __init__(self, G: Generator | SG3Generator, transform: torch.Tensor | None = None) -> None:
        self.net = copy.deepcopy(G.synthesis).eval().requires_grad_(False)
        self.transform = transform
        self.layers: dict[str, SynthesisLayer] = {
            name: m for name, m in self.net.named_modules() if isinstance(m, SynthesisLayer)
        }
        self.has_own_sizes = G.architecture == "sg2"  # its RGB output at every block's size (the skip outputs)

    def noise(self) -> dict[str, torch.Tensor]:
        """The current noise maps, layer name -> (H, W), from coarse to fine."""
        return {name: layer.noise_const for name, layer in self.layers.items()}

    def set_noise(self, maps: dict[str, torch.Tensor]) -> None:
        for name, t in maps.items():
            layer = self.layers.get(name)
            if layer is None or tuple(t.shape) != tuple(layer.noise_const.shape):
                raise ValueError(f"the noise map {name!r} {tuple(t.shape)} does not fit this model")
            layer.noise_const = t

    def trainable_noise(self, count: int) -> list[torch.Tensor]:
        """Make the ``count`` coarsest noise maps trainable leaves (starting at their current values)."""
        return self._trainable(list(self.layers.values())[:count])

    def trainable_fine_noise(self, min_size: int, max_size: int) -> list[torch.Tensor]:
        """Make the noise maps from ``min_size`` to ``max_size`` px trainable leaves (starting at their values)."""
        return self._trainable([layer for layer in self.layers.values()
                                if min_size <= layer.noise_const.shape[-1] <= max_size])

    @staticmethod
    def _trainable(layers: list[SynthesisLayer]) -> list[torch.Tensor]:
        leaves = []
        for layer in layers:
            leaf = layer.noise_const.detach().clone().requires_grad_(True)
            layer.noise_const = leaf
            leaves.append(leaf)
        return leaves

    def ws_used(self, resolution: int) -> int:
        """How many leading W+ entries the layers up to ``resolution`` read (the rest cannot matter there); every
        one for StyleGAN3, whose every layer draws the whole picture."""
        if not self.has_own_sizes:
            return self.net.num_ws
        return sum(b.num_conv for b in self.net.blocks() if b.resolution <= resolution) + 1

    def __call__(self, ws: torch.Tensor, max_resolution: int | None = None) -> torch.Tensor:
        return self.net(ws, noise_mode="const", max_resolution=max_resolution, transform=self.transform)


class WorkRender:
    """The picture a method works on at ``size`` px: the model's own RGB output there, plus the finer layers' share
    of the full picture (area-averaged to ``size``) held from a full render every ``hold`` calls (``work_size.py``
    says why). At each of those renders it is the full picture area-averaged; in between it follows what the layers
    up to ``size`` change, and gradients flow through those layers only. At the model's size: the full picture.
    A StyleGAN3 synthesis has no smaller output (no skips: each layer works at its own sampling rate with a
    margin, and only ToRGB makes colours), so there it is the full picture area-averaged at every call, with
    gradients through all of it: the same picture, and a step costs a full render."""

    def __init__(self, synth: PrivateSynthesis, size: int, hold: int = HOLD) -> None:
        self.synth, self.size, self.hold = synth, size, hold
        self.reduced = size < synth.net.resolution
        self.calls = 0
        self.share: torch.Tensor | None = None

    def __call__(self, ws: torch.Tensor) -> torch.Tensor:
        if not self.reduced:
            return self.synth(ws)
        if not self.synth.has_own_sizes:
            return area_downscale(self.synth(ws), self.size)
        small = self.synth(ws, self.size)
        if self.calls % self.hold == 0:
            with torch.no_grad():
                self.share = area_downscale(self.synth(ws.detach()), self.size) - small.detach()
        self.calls += 1
        return small + self.share


def noise_arrays(synth: PrivateSynthesis, count: int | None = None) -> dict[str, np.ndarray]:
    """The first ``count`` (default all) noise maps as float32 arrays, for results and recipes."""
    items = list(synth.noise().items())[:count]
    return {name: t.detach().cpu().numpy().astype(np.float32) for name, t in items}


def noise_tensors(noise: dict[str, np.ndarray] | None, device: torch.device) -> dict[str, torch.Tensor]:
    """Noise maps as float32 tensors on ``device``, copied (a portrait's arrays are read-only)."""
    return {k: torch.from_numpy(np.array(v, np.float32)).to(device) for k, v in (noise or {}).items()}


@torch.no_grad()
def render(
    G: Generator | SG3Generator, ws: torch.Tensor, noise: dict[str, np.ndarray] | None = None,
    transform: torch.Tensor | None = None,
) -> torch.Tensor:
    """Render W+ latents with the model's constant noise, or with the maps a search or projection found (moved by a
    StyleGAN3 ``transform``, if one is given)."""
    return G.synthesis(ws, noise_mode="const", noise=noise_tensors(noise, ws.device), transform=transform)
