"""Class labels of conditional models: a class index in, the one-hot ``c`` that G and D take out.

A conditional model's classes are named in its card (``LoadedModel.classes``, with ``resolve_class`` for a
name; files without names, such as NVIDIA's, get "0", "1"…). Everything that renders takes ``c`` as a tensor
(N, c_dim) or None, so soft labels (between two classes) work too; these helpers make the usual one-hot ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from .stylegan2 import Generator


def class_title(name: str) -> str:
    """A class's name as a painter reads it ("still_life" -> "Still life"); the card and the CLI keep the name."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def class_labels(G: Generator, index: int | None, n: int = 1) -> torch.Tensor | None:
    """``c`` for ``n`` samples of class ``index``: one-hot (n, c_dim) on G's device; None for an unconditional G."""
    if G.c_dim == 0:
        if index is not None:
            raise ValueError(f"this model is not class-conditional: it has no class {index}.")
        return None
    if index is None:
        raise ValueError(f"this model is class-conditional: choose one of its {G.c_dim} classes.")
    if not 0 <= index < G.c_dim:
        raise ValueError(f"this model has classes 0 to {G.c_dim - 1}; there is no class {index}.")
    return F.one_hot(torch.full((n,), index, dtype=torch.long), G.c_dim).float().to(G.w_avg.device)


def balanced_labels(G: Generator, n: int) -> torch.Tensor | None:
    """One-hot labels cycling through the classes (sample i is class i mod c_dim); None for an unconditional G.

    For averages over all classes in equal parts, sample grids and parity checks.
    """
    if G.c_dim == 0:
        return None
    return F.one_hot(torch.arange(n) % G.c_dim, G.c_dim).float().to(G.w_avg.device)


def batch_labels(c: torch.Tensor | None, n: int) -> torch.Tensor | None:
    """``c`` for a batch of ``n``: one label row (1, c_dim) is repeated, a full batch passes as it is."""
    if c is None or c.shape[0] == n:
        return c
    if c.shape[0] != 1:
        raise ValueError(f"labels for a batch of {n} must be one row or {n} rows, not {c.shape[0]}.")
    return c.expand(n, -1)
