"""What the world's small measuring networks share: their conv encoder, colour jitter, the fitting loop and
their files (weights + a JSON card beside them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from ..atomic import atomic_path, atomic_write_text
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress


def conv_encoder(chans: list[int]) -> nn.Sequential:
    """Per stage a 3x3 conv and a strided 3x3 conv (each with batch norm and ReLU): each stage halves the size."""
    layers: list[nn.Module] = []
    for cin, cout in zip(chans[:-1], chans[1:]):
        layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                   nn.Conv2d(cout, cout, 3, padding=1, stride=2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def colour_jitter(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Brightness and per-channel shifts of [-1, 1] images: paintings (and models) vary their light and grade."""
    n, c = x.shape[:2]
    return x * (1 + 0.1 * torch.randn(n, 1, 1, 1, generator=gen)) + 0.1 * torch.randn(n, c, 1, 1, generator=gen)


def fit(net: nn.Module, batch_loss: Callable[[torch.Tensor, torch.Generator], torch.Tensor], count: int,
        steps: int, batch: int, lr: float, seed: int, label: str, progress: ProgressFn = no_progress,
        token: CancelToken | None = None) -> nn.Module:
    """Train ``net`` for ``steps`` AdamW steps (one-cycle learning rate) on random batches of ``count`` samples;
    ``batch_loss(indices, generator)`` gives the loss of a batch. Deterministic for a seed (on one thread)."""
    token = ensure_token(token)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    net.train()
    for step in range(steps):
        token.check()
        loss = batch_loss(torch.randint(count, (batch,), generator=gen), gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 20 == 0 or step == steps - 1:
            progress(Progress(step + 1, steps, label, metrics={"loss": loss.item()}))
    return net.eval()


def save_net(net: nn.Module, path: Path, card: dict) -> None:
    """Weights as safetensors at ``path`` and the card as JSON beside it, each written atomically."""
    from safetensors.torch import save_file

    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp))
    atomic_write_text(path.with_suffix(".json"), json.dumps(card, indent=2) + "\n")


def load_net(net: nn.Module, path: Path) -> nn.Module:
    """``net`` with the weights of ``path``, frozen for measuring."""
    from safetensors.torch import load_file

    net.load_state_dict(load_file(str(path)))
    return net.eval().requires_grad_(False)
