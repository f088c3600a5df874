"""Building blocks of StyleGAN2 and StyleGAN3 in plain PyTorch: FIR resampling, bias + activation, the
filtered leaky ReLU, equalized-lr layers.

Everything here is written with standard torch ops only (no custom CUDA kernels), so it runs on any
device and exports to ONNX. The numerics follow the reference implementations: a filter normalised to
sum 1 (times up² when upsampling), zero-insertion upsampling, leaky ReLU 0.2 with gain √2, optional clamp.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)


def setup_filter(taps: Sequence[float] = (1, 3, 3, 1)) -> torch.Tensor:
    """The separable 2-D FIR filter of a 1-D tap list, normalised to sum 1."""
    k = torch.as_tensor(taps, dtype=torch.float32)
    k = k[:, None] * k[None, :]
    return k / k.sum()


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int = 1,
    down: int = 1,
    pad: tuple[int, int, int, int] = (0, 0, 0, 0),
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by zero insertion, pad (x0, x1, y0, y1), convolve with ``f`` per channel, downsample.

    ``f`` is a 2-D filter, a 1-D one applied along both axes (separable: rows, then columns), or None (no
    filtering, padding and resampling only). ``gain`` scales the whole 2-D response in each case.
    """
    n, c, h, w = x.shape
    if up > 1:
        x = x.reshape(-1, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(-1, c, h * up, w * up)
    x0, x1, y0, y1 = pad
    x = F.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    if min(pad) < 0:
        x = x[:, :, max(-y0, 0) : x.shape[2] - max(-y1, 0), max(-x0, 0) : x.shape[3] - max(-x1, 0)]
    # Down-sampling keeps every ``down``-th output, so the convolutions stride rather than compute the rest.
    if f is None:
        return (x * gain if gain != 1 else x)[:, :, ::down, ::down]
    if f.ndim == 1:
        k = (f * math.sqrt(gain)).flip(0).to(x.dtype)
        x = F.conv2d(x, k[None, None, None, :].repeat(c, 1, 1, 1), stride=(1, down), groups=c)
        return F.conv2d(x, k[None, None, :, None].repeat(c, 1, 1, 1), stride=(down, 1), groups=c)
    weight = (f * gain).flip([0, 1])[None, None].to(x.dtype).repeat(c, 1, 1, 1)
    return F.conv2d(x, weight, stride=down, groups=c)


def bias_act(
    x: torch.Tensor,
    b: torch.Tensor | None,
    act: str = "lrelu",
    gain: float | None = None,
    clamp: float | None = None,
    dim: int = 1,
) -> torch.Tensor:
    """Add a bias along ``dim``, apply 'lrelu' (slope 0.2) or 'linear', scale by gain, clamp."""
    if b is not None:
        shape = [1] * x.ndim
        shape[dim] = -1
        x = x + b.reshape(shape).to(x.dtype)
    if act == "lrelu":
        x = F.leaky_relu(x, 0.2)
        gain = LRELU_GAIN if gain is None else gain
    elif act != "linear":
        raise ValueError(f"unknown activation {act!r}")
    if gain is not None and gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


def filtered_lrelu(
    x: torch.Tensor,
    fu: torch.Tensor | None,  # up-sampling low-pass filter (1-D separable, 2-D, or None)
    fd: torch.Tensor | None,  # down-sampling low-pass filter (1-D separable, 2-D radial, or None)
    b: torch.Tensor,  # bias (C,), added before up-sampling
    up: int,  # up-sampling factor to the leaky ReLU's sampling rate
    down: int,  # down-sampling factor from it to the output's
    pad: tuple[int, int, int, int],  # padding (x0, x1, y0, y1) applied with the up-sampling
    clamp: float | None = None,  # clamp after the activation, None = none
) -> torch.Tensor:
    """StyleGAN3's alias-free leaky ReLU: bias, up-sample, leaky ReLU (0.2, gain √2) and clamp, down-sample.

    The non-linearity runs at a higher sampling rate between two low-pass filters, so the frequencies it
    creates above the output's band are removed instead of folding back as aliases (Karras et al. 2021, §3.2).
    Numbers as NVIDIA's reference ``filtered_lrelu`` (the ``impl='ref'`` path).
    """
    x = bias_act(x, b, "linear")
    x = upfirdn2d(x, fu, up=up, pad=pad, gain=up**2)
    x = bias_act(x, None, "lrelu", clamp=clamp)
    return upfirdn2d(x, fd, down=down)


class EqualLinear(nn.Module):
    """Fully connected layer with equalized learning rate: weights stored as N(0,1)/lr_mul, scaled at run time."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activation: str = "linear",
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.bias_gain = lr_mul
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.weight_gain
        b = self.bias * self.bias_gain if self.bias is not None else None
        if self.activation == "linear":
            return F.linear(x, w, b)
        return bias_act(F.linear(x, w), b, self.activation)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[1]} -> {self.weight.shape[0]}, activation={self.activation}"


class EqualConv2d(nn.Module):
    """Conv layer with equalized learning rate, optional FIR downsampling by 2, bias, activation, clamp.

    Downsampling blurs first (pad 2 for 3x3, pad 1 for 1x1) and then convolves with stride 2, which is what
    both reference implementations compute for the discriminator.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        activation: str = "lrelu",
        down: int = 1,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)
        self.activation = activation
        self.down = down
        self.conv_clamp = conv_clamp
        self.kernel_size = kernel_size
        self.register_buffer("resample_filter", setup_filter(), persistent=False)

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        w = self.weight * self.weight_gain
        k = self.kernel_size
        if self.down > 1:
            p = (self.resample_filter.shape[0] - self.down + (k - 1) + 1) // 2
            x = upfirdn2d(x, self.resample_filter, pad=(p, p, p, p))
            x = F.conv2d(x, w, stride=self.down)
        else:
            x = F.conv2d(x, w, padding=k // 2)
        act_gain = (LRELU_GAIN if self.activation == "lrelu" else 1.0) * gain
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, self.activation, gain=act_gain, clamp=clamp)
