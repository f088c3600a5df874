"""Latent-space helpers: a seed's latents, truncation, W <-> W+, style mixing over the StyleGAN layer groups.

W+ holds one w per synthesis layer; entry ``i`` drives the layer at resolution 2**(i//2 + 2). The paper's
groups (``model.architecture.GROUPS``) follow from that. The seeds a user types are read in ``seeds``.

StyleGAN3 has no resolutions per layer but sampling rates (``w_sampling_rates``: the Fourier input's for
entry 0, then each layer's): coarse = rate 16, middle = 32–64, fine = 128 and up. In NVIDIA's layer tables
those are the layers whose cutoffs match StyleGAN2's groups (up to 4 cycles per picture, up to 16, above).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from ..model.architecture import GROUP_RATES, GROUP_RESOLUTIONS
from .ranges import quoted


def z_from_seed(seed: int, z_dim: int = 512) -> torch.Tensor:
    """The latent of a seed, as NVIDIA's generate.py draws it (numpy RandomState), shape (1, z_dim)."""
    return torch.from_numpy(np.random.RandomState(seed).randn(1, z_dim)).float()


def z_from_seeds(seeds: Iterable[int], z_dim: int = 512) -> torch.Tensor:
    return torch.cat([z_from_seed(s, z_dim) for s in seeds])


@torch.no_grad()
def seed_ws(
    G: torch.nn.Module, seeds: Sequence[int], truncation_psi: float = 1.0, c: torch.Tensor | None = None
) -> torch.Tensor:
    """The W+ of ``seeds``, shape (N, num_ws, w_dim): z from each seed, the mapping, then truncation.

    The one way from a seed to its latents: portraits, ``render_seeds`` (``studio generate``, the seed grid),
    the mixing grid and ``studio recolor`` all start here, so a seed is the same picture everywhere. ``c``: the
    class labels (N, c_dim) of a conditional model, None for an unconditional one.
    """
    return G.mapping(z_from_seeds(seeds, G.z_dim).to(G.w_avg.device), c, truncation_psi=truncation_psi)


def truncate(ws: torch.Tensor, w_avg: torch.Tensor, psi: float, cutoff: int | None = None) -> torch.Tensor:
    """Pull W or W+ latents towards ``w_avg``: w' = w_avg + psi (w - w_avg), on the first ``cutoff`` layers."""
    if psi == 1:
        return ws
    if ws.ndim == 2:
        return w_avg.lerp(ws, psi)
    cut = ws.shape[1] if cutoff is None else cutoff
    return torch.cat([w_avg.lerp(ws[:, :cut], psi), ws[:, cut:]], dim=1)


def to_wplus(w: torch.Tensor, num_ws: int) -> torch.Tensor:
    """(N, w_dim) -> (N, num_ws, w_dim); W+ input passes through unchanged."""
    return w if w.ndim == 3 else w.unsqueeze(1).repeat(1, num_ws, 1)


def layer_resolution(index: int) -> int:
    """The resolution of the synthesis layer that W+ entry ``index`` drives."""
    return 2 ** (index // 2 + 2)


def w_sampling_rates(G: torch.nn.Module) -> tuple[int, ...] | None:
    """The sampling rate of the layer each W+ entry drives, for a StyleGAN3 ``G``; None for StyleGAN2."""
    if G.architecture == "sg2":
        return None
    synthesis = G.synthesis
    return (int(synthesis.input.sampling_rate), *(layer.sampling_rate for layer in synthesis.layers()))


def w_sizes(G: torch.nn.Module) -> tuple[int, ...]:
    """The output size in pixels of the layer each W+ entry drives (a StyleGAN3 layer's with its margins)."""
    if G.architecture == "sg2":
        return tuple(layer_resolution(i) for i in range(G.num_ws))
    synthesis = G.synthesis
    return (synthesis.input.size, *(layer.out_size for layer in synthesis.layers()))


def group_notes(G: torch.nn.Module) -> dict[str, str]:
    """What each layer group of ``G`` holds, for tooltips: its W+ entries and their resolutions ("W+ 0–3 · 4–8
    px"), or for StyleGAN3 their sampling rates and sizes ("W+ 0–2 · sampling rate 16 · 36 px"); "" for a
    group this model lacks (a small model has no fine layers)."""
    rates = w_sampling_rates(G)
    sizes = w_sizes(G)
    notes = {}
    for name, idx in layer_groups(G.num_ws, rates).items():
        if not idx:
            notes[name] = ""
            continue
        entries = f"W+ {_span(idx[0], idx[-1])}"
        px = _span(min(sizes[i] for i in idx), max(sizes[i] for i in idx))
        if rates is None:
            notes[name] = f"{entries} · {px} px"
        else:
            notes[name] = f"{entries} · sampling rate {_span(rates[idx[0]], rates[idx[-1]])} · {px} px"
    return notes


def _span(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


def layer_groups(num_ws: int, rates: Sequence[int] | None = None) -> dict[str, list[int]]:
    """W+ indices of the coarse, middle and fine groups: by resolution (StyleGAN2; fine is empty below 64 px),
    or by the ``rates`` of a StyleGAN3 model (``w_sampling_rates``)."""
    if rates is not None and len(rates) != num_ws:
        raise ValueError(f"{len(rates)} sampling rates for {num_ws} W+ entries")
    ranges, of = (GROUP_RESOLUTIONS, layer_resolution) if rates is None else (GROUP_RATES, rates.__getitem__)
    return {name: [i for i in range(num_ws) if lo <= of(i) <= hi] for name, (lo, hi) in ranges.items()}


LayerSpec = str | Sequence[int] | range


def layer_indices(spec: LayerSpec, num_ws: int, rates: Sequence[int] | None = None) -> list[int]:
    """'all', a group name, 'coarse+fine', 'a-b' or an index list -> sorted W+ indices (``rates``: a StyleGAN3
    model's, for its groups)."""
    if not isinstance(spec, str):
        idx = sorted(set(int(i) for i in spec))
    elif spec == "all":
        idx = list(range(num_ws))
    elif re.fullmatch(r"\d+-\d+", spec):
        a, b = (int(p) if len(p) <= 9 else num_ws for p in spec.split("-"))  # more digits: past any model's layers
        if a > b or b >= num_ws:
            raise ValueError(f"the layer range {quoted(spec)} must run from a lower layer to a higher one within "
                             f"0-{num_ws - 1}, this model's layers")
        idx = list(range(a, b + 1))
    else:
        groups = layer_groups(num_ws, rates)
        try:
            idx = sorted(i for name in spec.split("+") for i in groups[name])
        except KeyError:
            raise ValueError(f"unknown layer range {quoted(spec)}: use all, coarse, middle, fine, a-b or "
                             "indices") from None
    if any(i < 0 or i >= num_ws for i in idx):
        raise ValueError(f"layer indices {quoted(idx)} fall outside 0..{num_ws - 1}")
    return idx


def mix_styles(
    ws_a: torch.Tensor, ws_b: torch.Tensor, layers: LayerSpec, strength: float = 1.0,
    rates: Sequence[int] | None = None,
) -> torch.Tensor:
    """Blend B's W+ entries into A's on ``layers``; strength 1 copies them, 0 keeps A (``rates``: as
    ``layer_indices``)."""
    num_ws = ws_a.shape[1]
    mask = torch.zeros(num_ws, 1, dtype=ws_a.dtype, device=ws_a.device)
    mask[layer_indices(layers, num_ws, rates)] = strength
    return ws_a + mask * (ws_b - ws_a)


def crossover(ws_a: torch.Tensor, ws_b: torch.Tensor, index: int) -> torch.Tensor:
    """Style mixing as in training: A's w for layers < index, B's for the rest."""
    return torch.cat([ws_a[:, :index], ws_b[:, index:]], dim=1)
