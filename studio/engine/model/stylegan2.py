"""The StyleGAN2 generator (mapping + synthesis) and residual discriminator, in plain PyTorch.

Parameter names follow NVIDIA's stylegan2-ada-pytorch layout (``mapping.fc0``, ``synthesis.b64.conv1``,
``b4.fc``…), so our own checkpoints read like theirs; ``checkpoints.py`` maps rosinality's names onto them.
Any power-of-two resolution from 4 up and any channel table work; nothing needs a custom CUDA kernel.

The modulated convolution has two paths with the same numbers (``fused``): a grouped convolution with
per-sample weights (fast for training), and the non-fused form (scale activations, plain conv, scale by the
demodulation coefficients) whose graph has no batch-dependent weight shapes, so it exports to ONNX with a
dynamic batch.
"""

from __future__ import annotations

import math
from typing import Mapping, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .ops import EqualConv2d, EqualLinear, bias_act, setup_filter, upfirdn2d

NOISE_MODES = ("const", "random", "none")


def default_channels(resolution: int, channel_base: int = 32768, channel_max: int = 512) -> dict[int, int]:
    """The standard channel table: min(channel_base / res, channel_max) at every resolution 4..resolution."""
    return {r: min(channel_base // r, channel_max) for r in resolutions_up_to(resolution)}


def resolutions_up_to(resolution: int) -> list[int]:
    log2 = int(math.log2(resolution))
    if resolution < 4 or 2**log2 != resolution:
        raise ValueError(f"resolution must be a power of two ≥ 4, not {resolution}")
    return [2**i for i in range(2, log2 + 1)]


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """PixelNorm of the latent: divide by its root mean square."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool = True,
    up: int = 1,
    padding: int = 0,
    fused: bool = True,
) -> torch.Tensor:
    """Convolve each sample with ``weight`` scaled per input channel by its styles (and demodulated).

    With ``up=2`` the conv is a stride-2 transposed convolution; the caller applies the FIR blur.
    """
    n = x.shape[0]
    out_ch, in_ch, kh, kw = weight.shape
    dcoefs = None
    if demodulate:
        w2 = weight.square().sum(dim=[2, 3])  # (out, in)
        dcoefs = (styles.square() @ w2.t() + 1e-8).rsqrt()  # (N, out)
    if not fused:
        x = x * styles.reshape(n, in_ch, 1, 1)
        if up > 1:
            x = F.conv_transpose2d(x, weight.transpose(0, 1), stride=up)
        else:
            x = F.conv2d(x, weight, padding=padding)
        return x * dcoefs.reshape(n, out_ch, 1, 1) if dcoefs is not None else x
    w = weight.unsqueeze(0) * styles.reshape(n, 1, in_ch, 1, 1)
    if dcoefs is not None:
        w = w * dcoefs.reshape(n, out_ch, 1, 1, 1)
    x = x.reshape(1, n * in_ch, *x.shape[2:])
    if up > 1:
        w = w.transpose(1, 2).reshape(n * in_ch, out_ch, kh, kw)
        x = F.conv_transpose2d(x, w, stride=up, groups=n)
    else:
        x = F.conv2d(x, w.reshape(n * out_ch, in_ch, kh, kw), padding=padding, groups=n)
    return x.reshape(n, out_ch, *x.shape[2:])


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv (optionally upsampling), noise, bias, leaky ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        up: int = 1,
        conv_clamp: Optional[float] = None,
    ) -> None:
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.register_buffer("resample_filter", setup_filter(), persistent=False)
        self.weight_gain = 1 / math.sqrt(in_channels * 9)
        self.up = up
        self.resolution = resolution
        self.conv_clamp = conv_clamp

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "const", fused: bool = True) -> torch.Tensor:
        styles = self.affine(w)
        x = modulated_conv2d(x, self.weight * self.weight_gain, styles, up=self.up, padding=1, fused=fused)
        if self.up > 1:
            x = upfirdn2d(x, self.resample_filter, pad=(1, 1, 1, 1), gain=self.up**2)
        if noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        elif noise_mode == "random":
            r = self.resolution
            x = x + torch.randn(x.shape[0], 1, r, r, device=x.device, dtype=x.dtype) * self.noise_strength
        elif noise_mode != "none":
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        return bias_act(x, self.bias, "lrelu", clamp=self.conv_clamp)


class ToRGBLayer(nn.Module):
    """Modulated 1x1 conv to RGB without demodulation."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, conv_clamp: Optional[float] = None) -> None:
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1 / math.sqrt(in_channels)
        self.conv_clamp = conv_clamp

    def forward(self, x: torch.Tensor, w: torch.Tensor, fused: bool = True) -> torch.Tensor:
        styles = self.affine(w)
        x = modulated_conv2d(x, self.weight * self.weight_gain, styles, demodulate=False, fused=fused)
        return bias_act(x, self.bias, "linear", clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    """One resolution of the synthesis network: (const | up-conv), conv, ToRGB added to the upsampled skip."""

    def __init__(
        self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
        conv_clamp: Optional[float] = None,
    ) -> None:
        super().__init__()
        self.resolution = resolution
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2, conv_clamp=conv_clamp)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, conv_clamp=conv_clamp)
        self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, conv_clamp=conv_clamp)
        self.num_conv = 1 if in_channels == 0 else 2
        self.register_buffer("resample_filter", setup_filter(), persistent=False)

    def forward(
        self, x: Optional[torch.Tensor], img: Optional[torch.Tensor], ws: torch.Tensor, noise_mode: str, fused: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if x is None:
            x = self.const.unsqueeze(0).repeat(ws.shape[0], 1, 1, 1)
            x = self.conv1(x, ws[:, 0], noise_mode, fused)
        else:
            x = self.conv0(x, ws[:, 0], noise_mode, fused)
            x = self.conv1(x, ws[:, 1], noise_mode, fused)
        if img is not None:
            img = upfirdn2d(img, self.resample_filter, up=2, pad=(2, 1, 2, 1), gain=4)
        y = self.torgb(x, ws[:, self.num_conv], fused)
        return x, (y if img is None else img + y)


class SynthesisNetwork(nn.Module):
    """W+ latents (N, num_ws, w_dim) -> image (N, C, H, W), roughly in [-1, 1]."""

    def __init__(
        self, w_dim: int, resolution: int, channels: Mapping[int, int], img_channels: int = 3,
        conv_clamp: Optional[float] = None,
    ) -> None:
        super().__init__()
        self.w_dim = w_dim
        self.resolution = resolution
        self.img_channels = img_channels
        self.block_resolutions = resolutions_up_to(resolution)
        self.fused_modconv = True
        self.num_ws = 0
        for res in self.block_resolutions:
            in_ch = channels[res // 2] if res > 4 else 0
            block = SynthesisBlock(in_ch, channels[res], w_dim, res, img_channels, conv_clamp)
            setattr(self, f"b{res}", block)
            self.num_ws += block.num_conv
        self.num_ws += 1  # the last ToRGB reads one more w

    def blocks(self) -> list[SynthesisBlock]:
        return [getattr(self, f"b{res}") for res in self.block_resolutions]

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        fused: Optional[bool] = None,
        max_resolution: Optional[int] = None,
    ) -> torch.Tensor:
        """Render ``ws``; with ``max_resolution`` stop early and return that resolution's RGB output."""
        if ws.ndim != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must have shape (N, {self.num_ws}, {self.w_dim}), not {tuple(ws.shape)}")
        fused = self.fused_modconv if fused is None else fused
        x = img = None
        w_idx = 0
        for block in self.blocks():
            x, img = block(x, img, ws[:, w_idx : w_idx + block.num_conv + 1], noise_mode, fused)
            w_idx += block.num_conv
            if max_resolution is not None and block.resolution >= max_resolution:
                break
        return img


class MappingNetwork(nn.Module):
    """z -> PixelNorm -> fully connected layers (lr multiplier) -> w, broadcast to W+, optional truncation."""

    def __init__(
        self, z_dim: int, w_dim: int, num_ws: int, num_layers: int = 8, lr_multiplier: float = 0.01,
        w_avg_beta: float = 0.995,
    ) -> None:
        super().__init__()
        self.z_dim, self.w_dim, self.num_ws, self.num_layers = z_dim, w_dim, num_ws, num_layers
        self.w_avg_beta = w_avg_beta
        for i in range(num_layers):
            fc = EqualLinear(z_dim if i == 0 else w_dim, w_dim, lr_mul=lr_multiplier, activation="lrelu")
            setattr(self, f"fc{i}", fc)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(
        self,
        z: torch.Tensor,
        truncation_psi: float = 1.0,
        truncation_cutoff: Optional[int] = None,
        update_w_avg: bool = False,
    ) -> torch.Tensor:
        x = normalize_2nd_moment(z)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        if update_w_avg:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        x = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            cut = self.num_ws if truncation_cutoff is None else truncation_cutoff
            x = torch.cat([self.w_avg.lerp(x[:, :cut], truncation_psi), x[:, cut:]], dim=1)
        return x


class Generator(nn.Module):
    """StyleGAN2 generator: ``G(z, truncation_psi, noise_mode)``, ``G.mapping``, ``G.synthesis``."""

    def __init__(
        self,
        resolution: int,
        channels: Optional[Mapping[int, int]] = None,
        z_dim: int = 512,
        w_dim: int = 512,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        img_channels: int = 3,
        conv_clamp: Optional[float] = None,
    ) -> None:
        super().__init__()
        channels = dict(channels or default_channels(resolution))
        self.config = dict(
            resolution=resolution, channels={int(k): int(v) for k, v in channels.items()}, z_dim=z_dim,
            w_dim=w_dim, mapping_layers=mapping_layers, mapping_lr_multiplier=mapping_lr_multiplier,
            img_channels=img_channels, conv_clamp=conv_clamp,
        )
        self.z_dim, self.w_dim, self.resolution, self.img_channels = z_dim, w_dim, resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim, resolution, channels, img_channels, conv_clamp)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, mapping_layers, mapping_lr_multiplier)

    @property
    def w_avg(self) -> torch.Tensor:
        return self.mapping.w_avg

    def forward(
        self,
        z: torch.Tensor,
        truncation_psi: float = 1.0,
        truncation_cutoff: Optional[int] = None,
        noise_mode: str = "const",
    ) -> torch.Tensor:
        ws = self.mapping(z, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode)


class DiscriminatorBlock(nn.Module):
    """Residual block: (fromRGB), conv, conv with downsampling, 1x1 downsampling skip; sum scaled by √½."""

    def __init__(
        self, in_channels: int, tmp_channels: int, out_channels: int, img_channels: int,
        conv_clamp: Optional[float] = None,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        if in_channels == 0:
            self.fromrgb = EqualConv2d(img_channels, tmp_channels, 1, conv_clamp=conv_clamp)
        self.conv0 = EqualConv2d(tmp_channels, tmp_channels, 3, conv_clamp=conv_clamp)
        self.conv1 = EqualConv2d(tmp_channels, out_channels, 3, down=2, conv_clamp=conv_clamp)
        self.skip = EqualConv2d(tmp_channels, out_channels, 1, bias=False, activation="linear", down=2)

    def forward(self, x: Optional[torch.Tensor], img: Optional[torch.Tensor]) -> torch.Tensor:
        if self.in_channels == 0:
            x = self.fromrgb(img)
        y = self.skip(x, gain=math.sqrt(0.5))
        x = self.conv0(x)
        x = self.conv1(x, gain=math.sqrt(0.5))
        return y + x


class MinibatchStdLayer(nn.Module):
    """Append the standard deviation across groups of samples as extra feature maps."""

    def __init__(self, group_size: int = 4, num_channels: int = 1) -> None:
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n) if self.group_size else n
        f = self.num_channels
        y = x.reshape(g, -1, f, c // f, h, w)
        y = (y - y.mean(dim=0)).square().mean(dim=0)
        y = (y + 1e-8).sqrt().mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1)
        return torch.cat([x, y.repeat(g, 1, h, w)], dim=1)


class DiscriminatorEpilogue(nn.Module):
    """The 4x4 head: minibatch stddev, conv, fully connected, one logit."""

    def __init__(
        self, in_channels: int, img_channels: int, mbstd_group_size: int = 4, mbstd_num_channels: int = 1,
        conv_clamp: Optional[float] = None,
    ) -> None:
        super().__init__()
        self.mbstd = MinibatchStdLayer(mbstd_group_size, mbstd_num_channels) if mbstd_num_channels else None
        self.conv = EqualConv2d(in_channels + mbstd_num_channels, in_channels, 3, conv_clamp=conv_clamp)
        self.fc = EqualLinear(in_channels * 16, in_channels, activation="lrelu")
        self.out = EqualLinear(in_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        return self.out(self.fc(x.flatten(1)))


class Discriminator(nn.Module):
    """StyleGAN2 residual discriminator: image (N, C, H, W) -> logits (N, 1)."""

    def __init__(
        self,
        resolution: int,
        channels: Optional[Mapping[int, int]] = None,
        img_channels: int = 3,
        mbstd_group_size: int = 4,
        mbstd_num_channels: int = 1,
        conv_clamp: Optional[float] = None,
    ) -> None:
        super().__init__()
        channels = dict(channels or default_channels(resolution))
        self.config = dict(
            resolution=resolution, channels={int(k): int(v) for k, v in channels.items()},
            img_channels=img_channels, mbstd_group_size=mbstd_group_size, mbstd_num_channels=mbstd_num_channels,
            conv_clamp=conv_clamp,
        )
        self.resolution = resolution
        self.block_resolutions = [r for r in reversed(resolutions_up_to(resolution)) if r > 4]
        for res in self.block_resolutions:
            in_ch = 0 if res == resolution else channels[res]
            block = DiscriminatorBlock(in_ch, channels[res], channels[res // 2], img_channels, conv_clamp)
            setattr(self, f"b{res}", block)
        self.b4 = DiscriminatorEpilogue(channels[4], img_channels, mbstd_group_size, mbstd_num_channels, conv_clamp)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = None
        for res in self.block_resolutions:
            x = getattr(self, f"b{res}")(x, img)
        return self.b4(x)
