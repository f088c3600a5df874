"""Differentiable augmentation for small data sets, applied to real and fake images before D.

DiffAugment (Zhao et al. 2020, policy color,translation,cutout) works with plain tensor ops, needs no
custom kernels and is robust; ``translation-cutout`` is DiffAugment without its colour op, for data whose
colours are what G should learn (its saturation scale of 0-2 shows D a quarter of the batches at under half
the saturation); ``ada`` applies the same ops to each image with probability ``p`` and tunes
``p`` as stylegan2-ada does: every 4 steps it moves towards keeping the fraction of reals that D calls real,
E[sign(D(real))], at ``target``. With ``p < 1`` the ops do not leak into what G learns (Karras et al. 2020b).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

ADJUST_INTERVAL = 4


def diff_augment(x: torch.Tensor, p: float = 1.0, colour: bool = True) -> torch.Tensor:
    """Brightness, saturation, contrast (``colour``), translation by up to 1/8 and a cutout of 1/2, each at
    probability ``p``."""
    n = x.shape[0]

    def draw(shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        on = (torch.rand(n, device=x.device) < p).reshape(n, *([1] * len(shape)))
        return on, torch.rand(n, *shape, device=x.device, dtype=x.dtype)

    if colour:
        on, r = draw((1, 1, 1))
        x = x + torch.where(on, r - 0.5, 0.0)
        on, r = draw((1, 1, 1))
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * torch.where(on, r * 2, 1.0) + mean
        on, r = draw((1, 1, 1))
        mean = x.mean(dim=[1, 2, 3], keepdim=True)
        x = (x - mean) * torch.where(on, r + 0.5, 1.0) + mean
    x = _translate(x, draw((2,)), 0.125)
    return x * _cutout_mask(x, draw((2,)), 0.5)


def _translate(x: torch.Tensor, gate: tuple[torch.Tensor, torch.Tensor], ratio: float) -> torch.Tensor:
    n, _, h, w = x.shape
    on, r = gate
    max_shift = torch.tensor([int(h * ratio + 0.5), int(w * ratio + 0.5)], device=x.device)
    shift = ((r * (2 * max_shift + 1)).floor().long() - max_shift) * on  # integer shifts in [-max, max]
    ys = (torch.arange(h, device=x.device) + shift[:, :1] + 1).clamp(0, h + 1)  # +1: index into the padded image
    xs = (torch.arange(w, device=x.device) + shift[:, 1:] + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # out-of-frame pixels read the zero border
    idx = torch.arange(n, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[idx, ys[:, :, None], xs[:, None, :]].permute(0, 3, 1, 2)


def _cutout_mask(x: torch.Tensor, gate: tuple[torch.Tensor, torch.Tensor], ratio: float) -> torch.Tensor:
    n, _, h, w = x.shape
    on, r = gate
    size = torch.tensor([int(h * ratio + 0.5), int(w * ratio + 0.5)], device=x.device)
    centre = (r * torch.tensor([h, w], device=x.device)).floor().long()
    lo = centre - size // 2
    ys, xs = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
    inside_y = (ys >= lo[:, :1]) & (ys < lo[:, :1] + size[0])
    inside_x = (xs >= lo[:, 1:]) & (xs < lo[:, 1:] + size[1])
    cut = inside_y[:, :, None] & inside_x[:, None, :] & on.reshape(n, 1, 1)
    return (~cut).to(x.dtype)[:, None]


class Augment:
    """The augmentation of a run and its state (``p`` and the running sign statistic) for checkpoints."""

    def __init__(self, mode: str, batch: int, target: float = 0.6, kimg: float = 100.0) -> None:
        self.mode, self.batch, self.target, self.kimg = mode, batch, target, kimg
        self.p = 1.0 if mode in ("diffaugment", "translation-cutout") else 0.0  # those two are always on
        self.colour = mode != "translation-cutout"
        self.sign_sum, self.count = 0.0, 0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.p, self.colour) if self.mode != "none" and self.p > 0 else x

    def observe(self, step: int, real_sign: float) -> None:
        """Feed this step's E[sign(D(real))] (averaged over ranks); adjust ``p`` every few steps in ``ada`` mode."""
        if self.mode != "ada":
            return
        self.sign_sum, self.count = self.sign_sum + real_sign, self.count + 1
        if (step + 1) % ADJUST_INTERVAL == 0:
            rt = self.sign_sum / self.count
            delta = self.batch * self.count / (self.kimg * 1000)
            sign = (rt > self.target) - (rt < self.target)
            self.p = min(max(self.p + sign * delta, 0.0), 1.0)
            self.sign_sum, self.count = 0.0, 0

    def state_dict(self) -> dict:
        return {"p": self.p, "sign_sum": self.sign_sum, "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        self.p, self.sign_sum, self.count = float(state["p"]), float(state["sign_sum"]), int(state["count"])
