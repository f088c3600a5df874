"""G′: the generator being customized, a copy of G of which the mapping, one W shift or every weight trains,
and the plain ``Generator`` it becomes when the run ends (``export``)."""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..edit.latents import crossover
from ..model.labels import batch_labels
from ..model.reading import estimate_w_avg
from ..model.stylegan2 import Generator


class CustomGenerator(nn.Module):
    """G′ while it trains: a copy of G, plus a learned W shift in "shift" mode."""

    def __init__(self, G: Generator, mode: str, c: torch.Tensor | None = None) -> None:
        super().__init__()
        self.G = copy.deepcopy(G).requires_grad_(False)
        self.mode = mode
        self.c = c  # the class label row (1, c_dim) of a conditional G, or None
        self.shift = nn.Parameter(torch.zeros(G.w_dim, device=G.w_avg.device)) if mode == "shift" else None
        for p in self.trainable().values():
            p.requires_grad_(True)

    def trainable(self) -> dict[str, nn.Parameter]:
        if self.mode == "shift":
            return {"w_shift": self.shift}
        if self.mode == "mapping":
            return dict(self.G.mapping.named_parameters(prefix="mapping"))
        return dict(self.G.named_parameters())

    def sample(self, batch: int, gen: torch.Generator, mixing_prob: float) -> torch.Tensor:
        """G′(z) for fresh z with style mixing, random noise, no truncation (as in training)."""
        G, device, c = self.G, self.G.w_avg.device, self.labels(batch)
        ws = G.mapping(torch.randn(batch, G.z_dim, generator=gen).to(device), c)
        if float(torch.rand((), generator=gen)) < mixing_prob:
            ws2 = G.mapping(torch.randn(batch, G.z_dim, generator=gen).to(device), c)
            ws = crossover(ws, ws2, int(torch.randint(1, G.num_ws, (), generator=gen)))
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
    def export(self) -> Generator:
        """A plain Generator that renders exactly what G′ does: the W shift is folded into every style
        affine's bias, and the mapping's w_avg is re-estimated when the mapping changed."""
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
