"""What every checkpoint reader shares: ``CheckpointError``, the strict load of a file's tensors into our
networks, and the average latent for files that store none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .labels import balanced_labels
from .stylegan2 import Generator
from .stylegan3 import Generator as SG3Generator


class CheckpointError(ValueError):
    """A checkpoint could not be read; the message names the file and says why in one sentence."""


def strict_load(path: Path, module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> Any:
    """Load ``tensors`` into ``module`` strictly; a missing, extra or misshapen tensor is a CheckpointError."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise CheckpointError(f"{path}: the network layout does not match its architecture ({what}).")
    for name, t in tensors.items():
        if tuple(t.shape) != tuple(expected[name].shape):
            raise CheckpointError(f"{path}: tensor {name} has shape {tuple(t.shape)} where the network needs "
                                  f"{tuple(expected[name].shape)}.")
        if not torch.isfinite(t.float()).all():
            raise CheckpointError(f"{path}: tensor {name} contains NaN or infinite values.")
    module.load_state_dict({k: v.float() for k, v in tensors.items()})
    return module


@torch.no_grad()
def estimate_w_avg(G: Generator | SG3Generator, samples: int = 10_000, seed: int = 0) -> torch.Tensor:
    """Mean w over ``samples`` fixed-seed latents, for files that store no average latent (and a generator whose
    mapping was retrained).

    A conditional model's average is over all classes in equal parts, as training tracks it on balanced data.
    """
    z = torch.randn(samples, G.z_dim, generator=torch.Generator().manual_seed(seed)).to(G.w_avg.device)
    return G.mapping(z, balanced_labels(G, samples))[:, 0].mean(dim=0)
