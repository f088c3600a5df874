"""The current picture as data: where its latents come from and every edit on them, frozen.

A ``Portrait`` is immutable; each edit returns a new one (``dataclasses.replace``), so undo keeps old
values and a recipe is just the fields written out (``library.recipe``). Its W+ is built in one fixed order:
base latents -> truncation -> style mixing with portrait B -> slider edits (as GANSpace edits after
truncation). A base is a seed (z -> w through the mapping) or an explicit W+ (projected/searched pictures),
which may carry the noise maps a projection fitted (``Latent.noise``).

A class-conditional model's latents carry their class (``Latent.class_index``): a seed is mapped with that
class's label, so seed 5 as a portrait and seed 5 as a landscape are different pictures; a W+ is final
whatever its class, which it keeps as a record of the class it was found in. The portrait's class is its
base's; portrait B of the style mixing has its own, so a portrait's coarse layers can take a landscape's fine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..model.architecture import GROUPS
from ..model.labels import class_labels
from ..model.stylegan3 import input_transform
from .directions import Direction
from .latents import layer_groups, mix_styles, seed_ws, truncate, w_sampling_rates
from .ranges import DEFAULT_PSI, NOISE_LIMIT, W_LIMIT, quoted


@dataclass(frozen=True, eq=False)
class Latent:
    """A seed, or an explicit W+ array of shape (num_ws, w_dim); ``class_index``: the class of a conditional
    model it is drawn in (None for an unconditional model).

    ``noise``: a W+ may carry noise maps, layer name (``b32.conv0``) -> (H, W), that replace those layers'
    constant noise when it renders: the brushwork a projection fitted, which W+ alone cannot draw. They belong to
    the picture, so they stay through sliders, mixing (as portrait A) and colour searches, and go with a new base.
    """

    seed: int | None = None
    w_plus: np.ndarray | None = None
    class_index: int | None = None
    noise: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.seed is None) == (self.w_plus is None):
            raise ValueError("a latent is either a seed or a W+ array")
        if self.noise and self.w_plus is None:
            raise ValueError("only a W+ latent carries noise maps (a seed renders with the model's own)")
        if self.w_plus is not None:
            arr = np.array(self.w_plus, dtype=np.float32)
            if arr.ndim == 3 and arr.shape[0] == 1:
                arr = arr[0]
            if arr.ndim != 2:
                raise ValueError(f"W+ must have shape (num_ws, w_dim), not {arr.shape}")
            if not np.isfinite(arr).all():
                raise ValueError("W+ holds values that are not finite numbers")
            if np.abs(arr).max(initial=0) > W_LIMIT:
                raise ValueError(f"W+ holds values beyond ±{W_LIMIT:g} (up to {np.abs(arr).max():.3g}), "
                                 "which no picture has")
            arr.flags.writeable = False
            object.__setattr__(self, "w_plus", arr)
        maps = {}
        for name, m in self.noise.items():
            m = np.array(m.detach().cpu() if isinstance(m, torch.Tensor) else m, dtype=np.float32)
            if m.ndim != 2:
                raise ValueError(f"the noise map {quoted(name)} must have shape (H, W), not {m.shape}")
            if not np.isfinite(m).all():
                raise ValueError(f"the noise map {quoted(name)} holds values that are not finite numbers")
            if np.abs(m).max(initial=0) > NOISE_LIMIT:
                raise ValueError(f"the noise map {quoted(name)} holds values beyond ±{NOISE_LIMIT:g} (up to "
                                 f"{np.abs(m).max():.3g}), which no picture has")
            m.flags.writeable = False
            maps[str(name)] = m
        object.__setattr__(self, "noise", maps)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Latent):
            return NotImplemented
        if self.class_index != other.class_index:
            return False
        if self.seed is not None or other.seed is not None:
            return self.seed == other.seed
        return (np.array_equal(self.w_plus, other.w_plus) and self.noise.keys() == other.noise.keys()
                and all(np.array_equal(m, other.noise[k]) for k, m in self.noise.items()))

    def __hash__(self) -> int:
        return hash((self.seed if self.seed is not None else self.w_plus.tobytes(), self.class_index,
                     tuple(self.noise)))

    def with_class(self, class_index: int | None) -> Latent:
        return replace(self, class_index=class_index)

    def without_noise(self) -> Latent:
        """The same latent rendered with the model's own noise."""
        return replace(self, noise={})

    def ws(self, G: torch.nn.Module) -> torch.Tensor:
        """Untruncated W+, shape (1, num_ws, w_dim); ValueError if a seed's class does not fit ``G``."""
        if self.seed is not None:
            return seed_ws(G, [self.seed], c=class_labels(G, self.class_index))
        if self.w_plus.shape != (G.num_ws, G.w_dim):
            raise ValueError(f"W+ of shape {self.w_plus.shape} does not fit this model ({G.num_ws}, {G.w_dim})")
        return torch.from_numpy(self.w_plus.copy()).unsqueeze(0).to(G.w_avg.device)

    def noise_for(self, G: torch.nn.Module) -> dict[str, torch.Tensor]:
        """The noise maps as tensors for ``G.synthesis(..., noise=)``; ValueError if one does not fit ``G``."""
        maps = {k: torch.from_numpy(m.copy()).to(G.w_avg.device) for k, m in self.noise.items()}
        G.synthesis.check_noise(maps)
        return maps


@dataclass(frozen=True)
class SliderEdit:
    """One moved slider: ``value`` units of a named direction on a layer range."""

    direction: str
    value: float
    layers: str = "all"


@dataclass(frozen=True)
class GroupMix:
    enabled: bool = False
    strength: float = 1.0


def _no_groups() -> tuple[GroupMix, ...]:
    return tuple(GroupMix() for _ in GROUPS)


@dataclass(frozen=True)
class Mixing:
    """Style mixing with portrait B, per layer group (coarse, middle, fine)."""

    other: Latent | None = None
    groups: tuple[GroupMix, ...] = field(default_factory=_no_groups)

    @property
    def active(self) -> bool:
        return self.other is not None and any(g.enabled and g.strength for g in self.groups)

    def group(self, name: str) -> GroupMix:
        return self.groups[GROUPS.index(name)]

    def with_group(self, name: str, enabled: bool | None = None, strength: float | None = None) -> Mixing:
        i = GROUPS.index(name)
        old = self.groups[i]
        new = GroupMix(old.enabled if enabled is None else enabled, old.strength if strength is None else strength)
        return replace(self, groups=self.groups[:i] + (new,) + self.groups[i + 1 :])


@dataclass(frozen=True)
class Portrait:
    """The picture being edited; every ``with_*`` returns a new portrait and leaves this one alone."""

    base: Latent = Latent(seed=0)
    psi: float = DEFAULT_PSI
    sliders: tuple[SliderEdit, ...] = ()
    mixing: Mixing = Mixing()
    # StyleGAN3 only: the picture moved (x, y in picture widths, +x right, +y down) and turned (degrees,
    # counter-clockwise) through the model's Fourier input: the scene moves, nothing is resampled.
    translate: tuple[float, float] = (0.0, 0.0)
    rotate: float = 0.0

    @classmethod
    def from_seed(cls, seed: int, psi: float = DEFAULT_PSI, class_index: int | None = None) -> Portrait:
        return cls(Latent(seed=seed, class_index=class_index), psi)

    @classmethod
    def from_w_plus(
        cls, w_plus: np.ndarray | torch.Tensor, psi: float = 1.0, class_index: int | None = None,
        noise: Mapping[str, np.ndarray] | None = None,
    ) -> Portrait:
        """A found picture: its W+ and, from a projection, the noise maps it renders with."""
        if isinstance(w_plus, torch.Tensor):
            w_plus = w_plus.detach().cpu().numpy()
        return cls(Latent(w_plus=w_plus, class_index=class_index, noise=noise or {}), psi)

    @property
    def class_index(self) -> int | None:
        """The class of a conditional model this portrait is drawn in (its base's); None when unconditional."""
        return self.base.class_index

    @property
    def noise(self) -> Mapping[str, np.ndarray]:
        """The noise maps it renders with (its base's; portrait B's are not used); empty: the model's own."""
        return self.base.noise

    # --- edits ---------------------------------------------------------------------------------------

    def with_base(self, base: Latent) -> Portrait:
        return replace(self, base=base)

    def with_class(self, class_index: int | None) -> Portrait:
        """The same base in another class: a seed is drawn anew in it; a W+ only records it (its pixels stay)."""
        return replace(self, base=self.base.with_class(class_index))

    def with_psi(self, psi: float) -> Portrait:
        return replace(self, psi=float(psi))

    def slider(self, direction: str) -> SliderEdit | None:
        return next((s for s in self.sliders if s.direction == direction), None)

    def with_slider(self, direction: str, value: float, layers: str | None = None) -> Portrait:
        """Set one slider (keeping its place and, unless given, its layers); value 0 removes it."""
        old = self.slider(direction)
        layers = layers if layers is not None else (old.layers if old else "all")
        rest = [s for s in self.sliders if s.direction != direction]
        if value == 0:
            return replace(self, sliders=tuple(rest))
        edit = SliderEdit(direction, float(value), layers)
        if old is None:
            return replace(self, sliders=tuple(rest) + (edit,))
        return replace(self, sliders=tuple(edit if s.direction == direction else s for s in self.sliders))

    def with_mixing(self, mixing: Mixing) -> Portrait:
        return replace(self, mixing=mixing)

    def with_view(self, translate: tuple[float, float] | None = None, rotate: float | None = None) -> Portrait:
        """Move (x, y in picture widths) and turn (degrees) a StyleGAN3 picture; None keeps that part."""
        translate = self.translate if translate is None else (float(translate[0]), float(translate[1]))
        return replace(self, translate=translate, rotate=self.rotate if rotate is None else float(rotate))

    @property
    def moved(self) -> bool:
        """Whether the picture is translated or rotated (only a StyleGAN3 model can draw it so)."""
        return self.translate != (0.0, 0.0) or self.rotate != 0.0

    def transform(self) -> torch.Tensor | None:
        """The input transform for ``G.synthesis(transform=)``; None when the picture is not moved."""
        return input_transform(self.translate, self.rotate) if self.moved else None

    def without_noise(self) -> Portrait:
        """The same edits on the base's W+ alone: a projection's noise maps stay where the original's strokes were,
        so after a big pose edit they show as a ghost of it; this drops them."""
        return replace(self, base=self.base.without_noise())

    def without_edits(self) -> Portrait:
        """The 'before' picture: the same base and truncation, no sliders, no mixing."""
        return replace(self, sliders=(), mixing=Mixing())

    @property
    def edited(self) -> bool:
        return bool(self.sliders) or self.mixing.active

    # --- latents -------------------------------------------------------------------------------------

    @torch.no_grad()
    def ws(self, G: torch.nn.Module, directions: Mapping[str, Direction] | None = None) -> torch.Tensor:
        """The W+ to render, shape (1, num_ws, w_dim); a slider whose direction is unknown is an error."""
        ws = truncate(self.base.ws(G), G.w_avg, self.psi)
        rates = w_sampling_rates(G)
        if self.mixing.active:
            other = truncate(self.mixing.other.ws(G), G.w_avg, self.psi)
            groups = layer_groups(G.num_ws, rates)
            for name, g in zip(GROUPS, self.mixing.groups):
                if g.enabled and groups[name]:
                    ws = mix_styles(ws, other, groups[name], g.strength)
        for edit in self.sliders:
            if directions is None or edit.direction not in directions:
                raise KeyError(f"the direction {edit.direction!r} is not available for this model")
            ws = ws + directions[edit.direction].offset(edit.value, G.num_ws, edit.layers, rates).to(ws)
        return ws
