"""Render portraits from seeds in batches, as a job: the CLI's `generate` and the UI's seed grid share it.

A seed's recipe is ``library.recipe.portrait_recipe`` of ``Portrait.from_seed(seed, psi)``: the same W+.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

from ..images import tensor_to_images
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..model.labels import batch_labels
from .latents import seed_ws


@torch.no_grad()
def render_seeds(
    G: torch.nn.Module,
    seeds: Sequence[int],
    truncation_psi: float = 1.0,
    noise_mode: str = "const",
    batch_size: int = 8,
    progress: ProgressFn = no_progress,
    token: CancelToken | None = None,
    c: torch.Tensor | None = None,
    transform: torch.Tensor | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (seed, HxWx3 uint8 image) for every seed, a batch at a time, checking cancel between batches.

    ``c``: the class label row (1, c_dim) of a conditional model (``labels.class_labels``), used for every seed.
    ``transform``: a StyleGAN3 model's input transform for every picture (``Portrait.transform``), or None.
    """
    token = ensure_token(token)
    for start in range(0, len(seeds), batch_size):
        token.check()
        batch = list(seeds[start : start + batch_size])
        ws = seed_ws(G, batch, truncation_psi, batch_labels(c, len(batch)))
        images = tensor_to_images(G.synthesis(ws, noise_mode=noise_mode, transform=transform))
        yield from zip(batch, images)
        done = start + len(batch)
        progress(Progress(done, len(seeds), f"seed {batch[-1]}"))
