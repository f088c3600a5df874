"""G′: the generator being customized, a copy of G of which the mapping, one W shift or every weight trains,
and the plain ``Generator`` it becomes when the run ends (``export``).

StyleGAN3 (T or R) customizes the same way. Its synthesis also keeps buffers that NVIDIA's training updates
instead of training: each layer's ``magnitude_ema`` (the running mean square of its input, whose inverse root
scales it) and the mapping's ``w_avg``. Where the synthesis trains ("full"), the magnitudes follow it as in NVIDIA's
``loss.py``: updated from the fakes D's step draws, at their β for the batch (``magnitude_ema_beta``), and kept
with the trained tensors in snapshots and checkpoints. In "mapping" and "shift" mode the synthesis is the base's,
magnitudes included, so G′'s W space renders as G's does. ``w_avg`` is re-estimated once at ``export``.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..edit.latents import crossover
from ..model.labels import batch_labels
from ..model.reading import estimate_w_avg
from ..model.stylegan2 import Generator
from ..model.stylegan3 import Generator as SG3Generator
from ..model.stylegan3 import magnitude_ema_beta, tracking_magnitudes


class CustomGenerator(nn.Module):
    """G′ while it trains: a copy of G, plus a learned W shift in "shift" mode."""

    def __init__(self, G: Generator | SG3Generator, mode: str, c: torch.Tensor | None = None) -> None:
        super().__init__()
        self.G = copy.deepcopy(G).requires_grad_(False)
        self.mode = mode
        self.c = c  # the class label row (1, c_dim) of a conditional G, or None
        self.shift = nn.Parameter(torch.zeros(G.w_dim, device=G.w_avg.device)) if mode == "shift" else None
        for p in self.trainable().values():
            p.requires_grad_(True)
        self.tracks_magnitudes = mode == "full" and G.architecture != "sg2"

    def trainable(self) -> dict[str, nn.Parameter]:
        if self.mode == "shift":
            return {"w_shift": self.shift}
        if self.mode == "mapping":
            return dict(self.G.mapping.named_parameters(prefix="mapping"))
        return dict(self.G.named_parameters())

    def tensors(self) -> dict[str, torch.Tensor]:
        """Everything a run changes in G′, what snapshots and checkpoints hold: the trained tensors, and the layers'
        magnitude EMAs of a StyleGAN3 synthesis that trains."""
        if not self.tracks_magnitudes:
            return self.trainable()
        emas = {k: b for k, b in self.G.named_buffers() if k.endswith(".magnitude_ema")}
        return {**self.trainable(), **emas}

    def sample(self, batch: int, gen: torch.Generator, mixing_prob: float, update_emas: bool = False) -> torch.Tensor:
        """G′(z) for fresh z with style mixing, random noise, no truncation (as in training); ``update_emas``: the
        fakes of D's step, from which a training StyleGAN3 synthesis updates its magnitude EMAs."""
        G, device, c = self.G, self.G.w_avg.device, self.labels(batch)
        ws = G.mapping(torch.randn(batch, G.z_dim, generator=gen).to(device), c)
        if float(torch.rand((), generator=gen)) < mixing_prob:
            ws2 = G.mapping(torch.randn(batch, G.z_dim, generator=gen).to(device), c)
            ws = crossover(ws, ws2, int(torch.randint(1, G.num_ws, (), generator=gen)))
        if update_emas and self.tracks_magnitudes:
            with tracking_magnitudes(G.synthesis, magnitude_ema_beta(batch)):
                return G.synthesis(self.shifted(ws), noise_mode="random")
        return G.synthesis(self.shifted(ws), noise_mode="random")

    def labels(self, n: int) -> torch.Tensor | None:
        """The class labels for a batch of ``n`` (None for an unconditional G)."""
        return batch_labels(self.c, n)

    def shifted(self, ws: torch.Tensor) -> torch.Tensor:
        return ws if self.shift is None else ws + self.shift

    @torch.no_grad()
    def render(self, z: torch.Tensor) -> torch.Tensor:
        return self.G.synthesis(self.shifted(self.G.mapping(z, self.labels(len(z)))), noise_mode="const")

    @torch.no_grad()
    def export(self) -> Generator | SG3Generator:
        """A plain Generator that renders exactly what G′ does: the W shift is folded into every style
        affine's bias (StyleGAN3's input affine too: all are linear in w), and the mapping's w_avg is re-estimated
        when the mapping changed."""
        G = copy.deepcopy(self.G).eval().requires_grad_(False)
        if self.shift is not None:
            for m in G.synthesis.modules():
                affine = getattr(m, "affine", None)
                if affine is not None:
                    extra = nn.functional.linear(self.shift, affine.weight * affine.weight_gain)
                    affine.bias.add_(extra / affine.bias_gain)
        else:
            G.mapping.w_avg.copy_(estimate_w_avg(G))
        return G
