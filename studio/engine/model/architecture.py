"""The StyleGAN2 architecture's plain numbers, without torch: block resolutions, the channel table, the noise
modes and the W+ layer groups, for configs and for the command line's help (which must not wait for torch)."""

from __future__ import annotations

import math

NOISE_MODES = ("const", "random", "none")

# The StyleGAN paper's layer groups by the resolution of the layers they drive: coarse = 4–8 px (pose, face
# shape, hair style), middle = 16–32 px (features, hair details), fine = 64 px and up (colours, micro-texture).
GROUP_RESOLUTIONS = {"coarse": (4, 8), "middle": (16, 32), "fine": (64, 1 << 30)}
GROUPS = tuple(GROUP_RESOLUTIONS)
# StyleGAN3 has sampling rates instead (edit/latents.py: w_sampling_rates); these ranges pick the same layers.
GROUP_RATES = {"coarse": (1, 16), "middle": (32, 64), "fine": (128, 1 << 30)}


def resolutions_up_to(resolution: int) -> list[int]:
    log2 = int(math.log2(resolution))
    if resolution < 4 or 2**log2 != resolution:
        raise ValueError(f"resolution must be a power of two ≥ 4, not {resolution}")
    return [2**i for i in range(2, log2 + 1)]


def default_channels(resolution: int, channel_base: int = 32768, channel_max: int = 512) -> dict[int, int]:
    """The standard channel table: min(channel_base / res, channel_max) at every resolution 4..resolution."""
    return {r: min(channel_base // r, channel_max) for r in resolutions_up_to(resolution)}
