"""A cheaper drag on a CPU: a preview level of a StyleGAN2 generator in bfloat16, channels-last, traced and frozen.

Where the processor computes bfloat16 in hardware (AVX512-BF16, AMX), a 64-256 px level draws 1.2-2.1x faster
than onnxruntime's float32 and within 42-48 dB of its picture (``benchmarks/big_models.py``, README); at 32 px
it is slower, and a CPU without it emulates bfloat16, slower than float32. Tracing and freezing a level (its
weight products and demodulation norms folded, convolutions prepacked for oneDNN) takes 2-6 s on one thread.
So the preview builds levels only where they may pay (``worth_trying``) and only as the choice asks for them
(``Bf16Drag``, for ``drag.choose_cheaper_drag``), and keeps the one chosen. Only the drag draws on it: the
released frame, and whatever is kept or exported, stays the exact float32 path.

Noise maps: a level takes every noise map of its layers as an input, the model's constant maps unless a frame
feeds its own (a projection's fitted detail). A portrait with fitted detail so drags in bfloat16 too, at the
same level as any other and with its own detail, rather than falling back to a smaller exact level. It costs
1-2 % of a frame against the constant maps folded in (159 vs 155 ms, 64 px of a 1024 px model, one core).
"""

from __future__ import annotations

import copy
import io
import warnings
from collections.abc import Callable, Mapping

import numpy as np
import torch

from ..cpu import cpu_has_native_bf16
from ..edit.latents import seed_ws
from ..images import psnr, tensor_to_images
from ..jobs import CancelToken
from ..model.stylegan2 import Generator, SynthesisNetwork
from .drag import BF16, DragChoice, frame_seconds
from .export.format import level_noise_layers


def worth_trying(G: torch.nn.Module, on_cpu: bool, native: bool | None = None) -> bool:
    """Whether a bfloat16 drag may pay for ``G`` drawn by a backend on this machine's processor (``on_cpu``, not
    a GPU): a StyleGAN2 generator held on the CPU, where the processor computes bfloat16 natively (``native``;
    None asks ``cpu_has_native_bf16``). StyleGAN3 has no smaller level to draw."""
    native = cpu_has_native_bf16() if native is None else native
    return (on_cpu and native and getattr(G, "architecture", None) == "sg2"
            and next(G.parameters()).device.type == "cpu")


class _Level(torch.nn.Module):
    """What is traced: a bfloat16 channels-last copy of the synthesis, stopping at ``resolution``."""

    def __init__(self, synthesis: SynthesisNetwork, resolution: int, layers: list[str]) -> None:
        super().__init__()
        self.synthesis = copy.deepcopy(synthesis).to(torch.bfloat16).to(memory_format=torch.channels_last)
        self.resolution, self.layers = resolution, layers

    def forward(self, ws: torch.Tensor, *maps: torch.Tensor) -> torch.Tensor:
        noise = {name: m.bfloat16() for name, m in zip(self.layers, maps)}
        return self.synthesis(ws.bfloat16(), max_resolution=self.resolution, fused=False, noise=noise).float()


class Bf16Level:
    """``synthesis`` up to ``resolution`` px in bfloat16: called as ``Backend._synthesize`` is, float32 ws
    (N, num_ws, w_dim) and the level's noise maps by layer name (any subset; the rest are the model's constant
    maps) -> float32 (N, C, H, W). Building it traces and freezes the level: seconds, on the caller's thread."""

    def __init__(self, synthesis: SynthesisNetwork, resolution: int) -> None:
        self.resolution = resolution
        self.layers = level_noise_layers(synthesis.noise_shapes(), resolution)
        self._constant = [synthesis.get_buffer(f"{name}.noise_const") for name in self.layers]  # G's, shared
        example = torch.zeros(1, synthesis.num_ws, synthesis.w_dim)
        with torch.inference_mode(), warnings.catch_warnings():
            # what the trace cannot see (shape checks) is fixed for a level; torch.jit says it is deprecated
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            traced = torch.jit.trace(_Level(synthesis, resolution, self.layers).eval(), (example, *self._constant),
                                     check_trace=False)
            # torch.jit keeps what it compiles in one compilation unit for the life of the process, and freezing
            # makes the weights constants of the graph, so a level frozen there is never freed (about 70 MB a
            # 128 px level of a 1024 px model; pytorch/pytorch#96726). Saved and loaded back, the traced module
            # has a compilation unit of its own, freed with the level (a few MB of the trace's types stay).
            saved = io.BytesIO()
            torch.jit.save(traced, saved)
            saved.seek(0)
            self._frozen = torch.jit.freeze(torch.jit.load(saved))  # only the weights the level uses, as constants

    def __call__(self, ws: np.ndarray, noise: Mapping[str, np.ndarray]) -> np.ndarray:
        # a portrait's maps are read-only arrays: copy them (a few hundred kB at these sizes)
        maps = [torch.tensor(noise[name]) if name in noise else const
                for name, const in zip(self.layers, self._constant)]
        with torch.inference_mode():
            return self._frozen(torch.from_numpy(ws), *maps).numpy()


class Bf16Drag:
    """``G``'s bfloat16 drag levels, built as ``choose_cheaper_drag`` asks for them: ``seconds`` and ``psnr``
    are its callables, ``keep`` hands over the chosen level and frees the rest.

    ``exact(ws, level)`` draws the exact uint8 picture of a level (the backend's ``render``); the check compares
    both pictures of a real latent (seed 0's, untruncated, class 0's for a conditional model). The choice goes
    from the smallest level up and stops at the first that fails, so only the level below the one being built
    can still be chosen: older ones are freed as a new one is built. ``token`` may cancel before and after each
    build and between frames.
    """

    def __init__(
        self, G: Generator, levels: Mapping[str, int], exact: Callable[[np.ndarray, str], np.ndarray],
        token: CancelToken | None = None,
    ) -> None:
        self.G, self.levels, self.exact, self.token = G, levels, exact, token
        c = torch.eye(G.c_dim)[:1] if G.c_dim else None
        self.ws = seed_ws(G, [0], c=c).cpu().numpy()
        self.built: dict[str, Bf16Level] = {}

    def level(self, name: str) -> Bf16Level:
        if name not in self.built:
            self._check()
            self.built = dict(list(self.built.items())[-1:])  # the one below may still be chosen, no other
            self.built[name] = Bf16Level(self.G.synthesis, self.levels[name])
            self._check()
        return self.built[name]

    def draw(self, name: str) -> np.ndarray:
        """The uint8 picture of the check's latent at level ``name`` in bfloat16."""
        self._check()
        return tensor_to_images(torch.from_numpy(self.level(name)(self.ws, {})))

    def seconds(self, name: str) -> float:
        return frame_seconds(self.draw)(name)

    def psnr(self, name: str) -> float:
        return psnr(self.draw(name), self.exact(self.ws, name))

    def keep(self, choice: DragChoice) -> Bf16Level | None:
        """The level ``choice`` draws in bfloat16 (None where it is exact); every other built level is freed."""
        kept = self.built.get(choice.level) if choice.path == BF16 else None
        self.built.clear()
        return kept

    def _check(self) -> None:
        if self.token is not None:
            self.token.check()
