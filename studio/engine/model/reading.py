"""What every checkpoint reader shares: ``CheckpointError``, the strict load of a file's tensors into our
networks (built within the memory the file's own numbers need), and the average latent for files that store
none."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch
from torch.overrides import TorchFunctionMode

from .labels import balanced_labels
from .stylegan2 import Generator
from .stylegan3 import Generator as SG3Generator


class CheckpointError(ValueError):
    """A checkpoint could not be read; the message names the file and says why in one sentence."""


Network = TypeVar("Network", bound=torch.nn.Module)
# Room for the few numbers a network makes that no file stores (its resampling filters).
_UNSTORED_BYTES = 64 << 10


def strict_load(
    path: Path, network: Callable[..., Network], config: dict, tensors: dict[str, torch.Tensor]
) -> Network:
    """``network(**config)`` (built within the file's means, ``build_within``) with ``tensors`` loaded strictly."""
    return load_strict(path, build_within(path, network, config, tensors), tensors)


def build_within(
    path: Path, network: Callable[..., Network], config: dict, tensors: dict[str, torch.Tensor]
) -> Network:
    """``network(**config)``, asking for no more memory than the file's own numbers need in float32: a small file
    that declares a huge architecture is refused (CheckpointError) before the memory is taken."""
    needed = 4 * sum(t.numel() for t in tensors.values()) + _UNSTORED_BYTES
    try:
        with _MemoryLimit(needed):
            return network(**config)
    except _OverLimit:
        raise CheckpointError(f"{path}: its architecture needs more weights than the file holds (over "
                              f"{needed >> 20:,} MB); the file is damaged or not what it claims.") from None


def load_strict(path: Path, module: Network, tensors: dict[str, torch.Tensor]) -> Network:
    """``tensors`` loaded into ``module``; a missing, extra, misshapen or non-finite tensor is a CheckpointError."""
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


class _OverLimit(Exception):
    pass


# torch's functions that make a new tensor from a size: (size..., dtype=...)
_FACTORIES = frozenset({torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn})


class _MemoryLimit(TorchFunctionMode):
    """Counts the bytes the tensor factories ask for, and raises ``_OverLimit`` before one would pass ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.left = limit

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FACTORIES:
            size = kwargs.get("size", args[0] if args and not isinstance(args[0], int) else args)
            if func is torch.full:
                size = args[0] if args else size
            dtype = kwargs.get("dtype") or torch.get_default_dtype()
            self.left -= math.prod(int(n) for n in size) * dtype.itemsize
            if self.left < 0:
                raise _OverLimit
        return func(*args, **kwargs)


@torch.no_grad()
def estimate_w_avg(G: Generator | SG3Generator, samples: int = 10_000, seed: int = 0) -> torch.Tensor:
    """Mean w over ``samples`` fixed-seed latents, for files that store no average latent (and a generator whose
    mapping was retrained).

    A conditional model's average is over all classes in equal parts, as training tracks it on balanced data.
    """
    z = torch.randn(samples, G.z_dim, generator=torch.Generator().manual_seed(seed)).to(G.w_avg.device)
    return G.mapping(z, balanced_labels(G, samples))[:, 0].mean(dim=0)
