"""A customized model blended with its base: the weights interpolated, or the W+ of the same z lerped between the
two mappings (for the default mapping-only customization, whose synthesis network is the base's)."""

from __future__ import annotations

import copy

import torch

from ..model.stylegan2 import Generator


@torch.no_grad()
def interpolate_models(base_G: Generator, custom_G: Generator, alpha: float) -> Generator:
    """The generator whose weights are (1 − alpha)·base + alpha·custom (alpha outside [0, 1] extrapolates)."""
    if base_G.config != custom_G.config:
        raise ValueError("the two generators have different architectures; only a model and its "
                         "customizations can be interpolated.")
    out = copy.deepcopy(base_G).eval().requires_grad_(False)
    other = custom_G.state_dict()
    for k, t in out.state_dict().items():
        if t.is_floating_point():
            t.lerp_(other[k].to(t), alpha)
    return out


@torch.no_grad()
def blend_w(base_G: Generator, custom_G: Generator, z: torch.Tensor, alpha: float,
            truncation_psi: float = 1.0, c: torch.Tensor | None = None) -> torch.Tensor:
    """W+ latents lerped between the base and the custom mapping of the same ``z`` (and class labels ``c``).

    For mapping-trained models (the default) both share one synthesis network: render the result with
    ``base_G.synthesis``; alpha 0 gives the base sample, 1 the customized one.
    """
    w0 = base_G.mapping(z, c, truncation_psi=truncation_psi)
    return w0.lerp(custom_G.mapping(z, c, truncation_psi=truncation_psi), alpha)
