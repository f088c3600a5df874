"""Style-mixing grids, as in the StyleGAN paper's figure: B's chosen layer groups copied into A.

Sources A run down the left, sources B across the top, and cell (r, c) is A[r] with B[c]'s styles on the
chosen W+ layers. Coarse layers carry pose and shape, middle ones features, fine ones colour and texture,
so one grid shows what each group controls for this model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..grid import make_grid
from ..images import tensor_to_images
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..model.labels import batch_labels
from .latents import LayerSpec, layer_indices, mix_styles, seed_ws, to_wplus, w_sampling_rates

Sources = Sequence[int] | torch.Tensor  # seeds, or W (N, w_dim) / W+ (N, num_ws, w_dim) latents


@dataclass(frozen=True)
class MixingGrid:
    """The rendered sources and mixes: ``cells[r, c]`` is A ``r`` with B ``c``'s styles (uint8 HxWx3 images)."""

    rows: np.ndarray  # (R, H, W, 3): the A sources
    cols: np.ndarray  # (C, H, W, 3): the B sources
    cells: np.ndarray  # (R, C, H, W, 3)

    def to_image(self, pad: int = 2, background: int = 255) -> np.ndarray:
        """The paper's layout: a blank corner, the B sources along the top, each A source heading its row."""
        blank = np.full_like(self.rows[0], background)
        tiles = [blank, *self.cols]
        for a, mixes in zip(self.rows, self.cells):
            tiles += [a, *mixes]
        return make_grid(tiles, cols=len(self.cols) + 1, pad=pad, background=background)


def _wplus(
    G: torch.nn.Module, sources: Sources, psi: float, name: str, device: torch.device, c: torch.Tensor | None
) -> torch.Tensor:
    """Seeds (of class ``c``) -> truncated W+; latents pass through (already final, so no truncation), checked."""
    if isinstance(sources, torch.Tensor):
        ws = to_wplus(sources.to(device, torch.float32), G.num_ws)
        if ws.ndim != 3 or tuple(ws.shape[1:]) != (G.num_ws, G.w_dim) or not len(ws):
            want = f"(N, {G.w_dim}) or (N, {G.num_ws}, {G.w_dim})"
            raise ValueError(f"the {name} latents have shape {tuple(sources.shape)}; this model needs {want}.")
        return ws
    seeds = [int(s) for s in sources]
    if not seeds:
        raise ValueError(f"the style-mixing grid needs at least one {name} seed.")
    return seed_ws(G, seeds, psi, batch_labels(c, len(seeds)))


@torch.no_grad()
def mixing_grid(
    G: torch.nn.Module,
    rows_ws: Sources,
    cols_ws: Sources,
    layers: LayerSpec,
    strength: float = 1.0,
    truncation_psi: float = 1.0,
    noise_mode: str = "const",
    batch_size: int = 8,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
    rows_c: torch.Tensor | None = None,
    cols_c: torch.Tensor | None = None,
    transform: torch.Tensor | None = None,
) -> MixingGrid:
    """Render sources A (rows) and B (cols) and every mix of B's ``layers`` into A at ``strength``.

    ``layers`` is anything ``latents.layer_indices`` takes ("coarse", "coarse+fine", "0-3", [0, 1]); a StyleGAN3
    model's groups follow its layers' sampling rates.
    Truncation applies to seeds only. ``rows_c`` / ``cols_c``: class labels of a conditional model's seeds (one
    row for all, or one per seed); A and B may be of different classes, since mixing happens in W+.
    ``transform``: a StyleGAN3 model's input transform for every picture, or None.
    Renders in batches, reporting progress and checking cancel between them.
    """
    if batch_size < 1:
        raise ValueError(f"the batch size must be at least 1, not {batch_size}.")
    report, token = progress or no_progress, ensure_token(token)
    device = next(G.parameters()).device
    token.check()
    a = _wplus(G, rows_ws, truncation_psi, "row (A)", device, rows_c)
    b = _wplus(G, cols_ws, truncation_psi, "column (B)", device, cols_c)
    rates = w_sampling_rates(G)
    if not layer_indices(layers, G.num_ws, rates):
        raise ValueError(f"the layers {layers!r} select no styles in this {G.resolution} px model.")
    n_rows, n_cols = len(a), len(b)
    mixed = mix_styles(a.repeat_interleave(n_cols, dim=0), b.repeat(n_rows, 1, 1), layers, strength, rates)
    everything = torch.cat([a, b, mixed])
    images = []
    total = len(everything)
    for start in range(0, total, batch_size):
        token.check()
        batch = everything[start : start + batch_size]
        images.append(tensor_to_images(G.synthesis(batch, noise_mode=noise_mode, transform=transform)))
        report(Progress(start + len(batch), total, f"Rendered {start + len(batch)} of {total} images"))
    out = np.concatenate(images)
    cells = out[n_rows + n_cols :].reshape(n_rows, n_cols, *out.shape[1:])
    return MixingGrid(rows=out[:n_rows], cols=out[n_rows : n_rows + n_cols], cells=cells)
