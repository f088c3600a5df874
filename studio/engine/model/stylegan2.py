"""The StyleGAN2 generator (mapping + synthesis) and residual discriminator, in plain PyTorch.

Parameter names follow NVIDIA's stylegan2-ada-pytorch layout (``mapping.fc0``, ``synthesis.b64.conv1``,
``b4.fc``…), so our own checkpoints read like theirs; ``foreign/rosinality.py`` maps rosinality's names onto them.
Any power-of-two resolution from 4 up and any channel table work; nothing needs a custom CUDA kernel.

The modulated convolution has two paths with the same numbers (``fused``): a grouped convolution with
per-sample weights (fast for training), and the non-fused form (scale activations, plain conv, scale by the
demodulation coefficients) whose graph has no batch-dependent weight shapes, so it exports to ONNX with a
dynamic batch.

Class-conditional models (``c_dim > 0``) follow NVIDIA's stylegan2-ada-pytorch: the label ``c`` (N, c_dim), one-hot
for classes, is embedded by a fully connected layer, normalised like z and concatenated after it in the mapping;
the discriminator maps ``c`` with its own label mapping network to ``cmap`` and projects its epilogue's output
onto it (the projection discriminator of Miyato & Koyama 2018). ``c=None`` is the only valid label of an
unconditional model, whose parameters and numbers are those of the plain StyleGAN2 above.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .architecture import NOISE_MODES, default_channels, resolutions_up_to
from .ops import EqualConv2d, EqualLinear, bias_act, setup_filter, upfirdn2d


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


# Why a StyleGAN2 model refuses a transform (the renderers of both kinds say it in the same words).
NO_TRANSFORM = "translate and rotate move a StyleGAN3 picture through its Fourier input; this model is StyleGAN2"


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv (optionally upsampling), noise, bias, leaky ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        up: int = 1,
        conv_clamp: float | None = None,
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

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "const", fused: bool = True,
        noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``noise`` (H, W): a map to add in place of ``noise_const`` (a projection's detail), const mode only."""
        styles = self.affine(w)
        x = modulated_conv2d(x, self.weight * self.weight_gain, styles, up=self.up, padding=1, fused=fused)
        if self.up > 1:
            x = upfirdn2d(x, self.resample_filter, pad=(1, 1, 1, 1), gain=self.up**2)
        if noise is not None and noise_mode != "const":
            raise ValueError(
                f"noise maps replace the constant noise; they cannot be used with noise_mode {noise_mode!r}"
            )
        if noise_mode == "const":
            x = x + (self.noise_const if noise is None else noise) * self.noise_strength
        elif noise_mode == "random":
            r = self.resolution
            x = x + torch.randn(x.shape[0], 1, r, r, device=x.device, dtype=x.dtype) * self.noise_strength
        elif noise_mode != "none":
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        return bias_act(x, self.bias, "lrelu", clamp=self.conv_clamp)


class ToRGBLayer(nn.Module):
    """Modulated 1x1 conv to RGB without demodulation."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, conv_clamp: float | None = None) -> None:
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
        conv_clamp: float | None = None,
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
        self, x: torch.Tensor | None, img: torch.Tensor | None, ws: torch.Tensor, noise_mode: str, fused: bool,
        noise: Mapping[str, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``noise``: maps replacing the constant noise of ``conv0`` / ``conv1`` (keys are those names)."""
        noise = noise or {}
        if x is None:
            x = self.const.unsqueeze(0).repeat(ws.shape[0], 1, 1, 1)
            x = self.conv1(x, ws[:, 0], noise_mode, fused, noise.get("conv1"))
        else:
            x = self.conv0(x, ws[:, 0], noise_mode, fused, noise.get("conv0"))
            x = self.conv1(x, ws[:, 1], noise_mode, fused, noise.get("conv1"))
        if img is not None:
            img = upfirdn2d(img, self.resample_filter, up=2, pad=(2, 1, 2, 1), gain=4)
        y = self.torgb(x, ws[:, self.num_conv], fused)
        return x, (y if img is None else img + y)


class SynthesisNetwork(nn.Module):
    """W+ latents (N, num_ws, w_dim) -> image (N, C, H, W), roughly in [-1, 1]."""

    def __init__(
        self, w_dim: int, resolution: int, channels: Mapping[int, int], img_channels: int = 3,
        conv_clamp: float | None = None,
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

    def noise_shapes(self) -> dict[str, tuple[int, int]]:
        """Every layer's noise map, name (``b32.conv0``) -> (H, W), from coarse to fine."""
        return {name: tuple(m.noise_const.shape) for name, m in self.named_modules() if isinstance(m, SynthesisLayer)}

    def check_noise(self, noise: Mapping[str, torch.Tensor]) -> None:
        """ValueError naming the first map in ``noise`` that is not one of this network's (name and shape)."""
        shapes = self.noise_shapes()
        for name, t in noise.items():
            if shapes.get(name) != tuple(t.shape):
                raise ValueError(f"the noise map {name!r} of shape {tuple(t.shape)} does not fit this model")

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        fused: bool | None = None,
        max_resolution: int | None = None,
        noise: Mapping[str, torch.Tensor] | None = None,
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Render ``ws``; with ``max_resolution`` stop early and return that resolution's RGB output.

        ``noise``: maps (H, W) by layer name (``noise_shapes``) that replace those layers' constant noise, shared
        by the whole batch: the detail a projection fitted. Layers not named keep their ``noise_const``.
        ``transform``: StyleGAN3's input transform (translate, rotate), which StyleGAN2 has not: None only.
        """
        if transform is not None:
            raise ValueError(NO_TRANSFORM)
        return self.outputs(ws, [max_resolution or self.resolution], noise_mode, fused, noise)[0]

    def outputs(
        self,
        ws: torch.Tensor,
        resolutions: Sequence[int],
        noise_mode: str = "const",
        fused: bool | None = None,
        noise: Mapping[str, torch.Tensor] | None = None,
    ) -> list[torch.Tensor]:
        """The RGB output at each of ``resolutions`` from one pass, each what ``forward(max_resolution=r)``
        returns: the skip output after the first block of at least ``r`` px (the last block's beyond them)."""
        if ws.ndim != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must have shape (N, {self.num_ws}, {self.w_dim}), not {tuple(ws.shape)}")
        fused = self.fused_modconv if fused is None else fused
        by_block: dict[str, dict[str, torch.Tensor]] = {}
        if noise:
            self.check_noise(noise)
            for name, t in noise.items():
                block, layer = name.split(".")
                by_block.setdefault(block, {})[layer] = t
        pending, done = sorted(set(resolutions)), {}
        x = img = None
        w_idx = 0
        for block in self.blocks():
            block_noise = by_block.get(f"b{block.resolution}", {})
            x, img = block(x, img, ws[:, w_idx : w_idx + block.num_conv + 1], noise_mode, fused, block_noise)
            w_idx += block.num_conv
            while pending and block.resolution >= pending[0]:
                done[pending.pop(0)] = img
            if not pending:
                break
        done.update((r, img) for r in pending)
        return [done[r] for r in resolutions]


def check_labels(c: torch.Tensor | None, c_dim: int, n: int, who: str) -> None:
    """Raise ValueError unless ``c`` fits a network with ``c_dim`` label inputs and a batch of ``n``."""
    if c_dim == 0:
        if c is not None:
            raise ValueError(f"this {who} is unconditional: it takes no class labels (c must be None).")
        return
    if c is None:
        raise ValueError(f"this {who} is class-conditional: pass c, one-hot class labels of shape (N, {c_dim}).")
    if not isinstance(c, torch.Tensor) or c.ndim != 2 or c.shape[1] != c_dim or c.shape[0] != n:
        shape = tuple(c.shape) if isinstance(c, torch.Tensor) else type(c).__name__
        raise ValueError(f"c must have shape ({n}, {c_dim}) to match the batch, not {shape}.")


class MappingNetwork(nn.Module):
    """(z, c) -> PixelNorm(z) ⊕ PixelNorm(embed(c)) -> fully connected layers (lr multiplier) -> w.

    w is broadcast to W+ and truncated towards ``w_avg`` when ``num_ws`` is set. The discriminator's label
    head is the same network without z, broadcast or average (``z_dim=0, num_ws=None, w_avg_beta=None``), as
    in NVIDIA's code.

    Truncation has one centre per model: ``w_avg`` is tracked over the labels training draws, i.e. over all
    classes, as NVIDIA computes it. A per-class centre (the mean of ``mapping(z, c)`` over z for one class)
    would help strong truncation of a conditional model: with one shared centre, ψ → 0 pulls every class
    towards the same average picture, while a class's own centre keeps truncated samples inside their class.
    """

    def __init__(
        self, z_dim: int, w_dim: int, num_ws: int | None, num_layers: int = 8, lr_multiplier: float = 0.01,
        w_avg_beta: float | None = 0.995, c_dim: int = 0,
    ) -> None:
        super().__init__()
        self.z_dim, self.w_dim, self.num_ws, self.num_layers = z_dim, w_dim, num_ws, num_layers
        self.w_avg_beta = w_avg_beta
        # c_dim: label inputs (the number of classes for one-hot labels), 0 = unconditional. The label is
        # embedded to w_dim features (a plain FC, lr multiplier 1, NVIDIA's default embed_features), so fc0
        # reads z_dim + w_dim features: z's first, the label's after them.
        self.c_dim = c_dim
        if z_dim + c_dim == 0:
            raise ValueError("a mapping network needs a latent (z_dim > 0) or labels (c_dim > 0).")
        if c_dim:
            self.embed = EqualLinear(c_dim, w_dim)
        in_features = z_dim + (w_dim if c_dim else 0)
        for i in range(num_layers):
            fc = EqualLinear(in_features if i == 0 else w_dim, w_dim, lr_mul=lr_multiplier, activation="lrelu")
            setattr(self, f"fc{i}", fc)
        if num_ws is not None and w_avg_beta is not None:
            self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(
        self,
        z: torch.Tensor | None,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        update_w_avg: bool = False,
    ) -> torch.Tensor:
        """z (N, z_dim) and c (N, c_dim) or None -> w (N, w_dim), or W+ (N, num_ws, w_dim) when broadcasting."""
        parts = []
        if self.z_dim:
            if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.z_dim:
                shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
                raise ValueError(f"z must have shape (N, {self.z_dim}), not {shape}.")
            parts.append(normalize_2nd_moment(z))
        n = parts[0].shape[0] if parts else (c.shape[0] if isinstance(c, torch.Tensor) else 0)
        check_labels(c, self.c_dim, n, "generator" if self.z_dim else "label mapping")
        if self.c_dim:
            parts.append(normalize_2nd_moment(self.embed(c.to(torch.float32))))
        x = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        if update_w_avg:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if self.num_ws is None:
            return x
        x = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            cut = self.num_ws if truncation_cutoff is None else truncation_cutoff
            x = torch.cat([self.w_avg.lerp(x[:, :cut], truncation_psi), x[:, cut:]], dim=1)
        return x


class Generator(nn.Module):
    """StyleGAN2 generator: ``G(z, c, truncation_psi, noise_mode)``, ``G.mapping``, ``G.synthesis``."""

    architecture = "sg2"  # the name our checkpoints store (StyleGAN3's are sg3-t and sg3-r)

    def __init__(
        self,
        resolution: int,
        channels: Mapping[int, int] | None = None,
        z_dim: int = 512,
        w_dim: int = 512,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        img_channels: int = 3,
        conv_clamp: float | None = None,
        c_dim: int = 0,  # class-conditional: label inputs of the mapping (classes, one-hot); 0 = unconditional
    ) -> None:
        super().__init__()
        channels = dict(channels or default_channels(resolution))
        self.config = dict(
            resolution=resolution, channels={int(k): int(v) for k, v in channels.items()}, z_dim=z_dim,
            w_dim=w_dim, mapping_layers=mapping_layers, mapping_lr_multiplier=mapping_lr_multiplier,
            img_channels=img_channels, conv_clamp=conv_clamp,
        )
        if c_dim:  # only conditional models name it, so unconditional configs (and what is keyed on them) stay
            self.config["c_dim"] = c_dim
        self.z_dim, self.w_dim, self.resolution, self.img_channels = z_dim, w_dim, resolution, img_channels
        self.c_dim = c_dim
        self.synthesis = SynthesisNetwork(w_dim, resolution, channels, img_channels, conv_clamp)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, mapping_layers, mapping_lr_multiplier, c_dim=c_dim)

    @property
    def w_avg(self) -> torch.Tensor:
        return self.mapping.w_avg

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "const",
    ) -> torch.Tensor:
        """z (N, z_dim), c (N, c_dim) one-hot labels or None (unconditional) -> images (N, C, H, W)."""
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode)


class DiscriminatorBlock(nn.Module):
    """Residual block: (fromRGB), conv, conv with downsampling, 1x1 downsampling skip; sum scaled by √½."""

    def __init__(
        self, in_channels: int, tmp_channels: int, out_channels: int, img_channels: int,
        conv_clamp: float | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        if in_channels == 0:
            self.fromrgb = EqualConv2d(img_channels, tmp_channels, 1, conv_clamp=conv_clamp)
        self.conv0 = EqualConv2d(tmp_channels, tmp_channels, 3, conv_clamp=conv_clamp)
        self.conv1 = EqualConv2d(tmp_channels, out_channels, 3, down=2, conv_clamp=conv_clamp)
        self.skip = EqualConv2d(tmp_channels, out_channels, 1, bias=False, activation="linear", down=2)

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None) -> torch.Tensor:
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
    """The 4x4 head: minibatch stddev, conv, fully connected, then one logit or its projection on ``cmap``."""

    def __init__(
        self, in_channels: int, img_channels: int, mbstd_group_size: int = 4, mbstd_num_channels: int = 1,
        conv_clamp: float | None = None,
        cmap_dim: int = 0,  # conditional: width of the mapped label the output is projected onto; 0 = one logit
    ) -> None:
        super().__init__()
        self.cmap_dim = cmap_dim
        self.mbstd = MinibatchStdLayer(mbstd_group_size, mbstd_num_channels) if mbstd_num_channels else None
        self.conv = EqualConv2d(in_channels + mbstd_num_channels, in_channels, 3, conv_clamp=conv_clamp)
        self.fc = EqualLinear(in_channels * 16, in_channels, activation="lrelu")
        self.out = EqualLinear(in_channels, cmap_dim or 1)

    def forward(self, x: torch.Tensor, cmap: torch.Tensor | None = None) -> torch.Tensor:
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        x = self.out(self.fc(x.flatten(1)))
        if self.cmap_dim:
            x = (x * cmap).sum(dim=1, keepdim=True) * (1 / math.sqrt(self.cmap_dim))
        return x


class Discriminator(nn.Module):
    """StyleGAN2 residual discriminator: image (N, C, H, W) and labels c (N, c_dim) or None -> logits (N, 1)."""

    def __init__(
        self,
        resolution: int,
        channels: Mapping[int, int] | None = None,
        img_channels: int = 3,
        mbstd_group_size: int = 4,
        mbstd_num_channels: int = 1,
        conv_clamp: float | None = None,
        c_dim: int = 0,  # class-conditional: label inputs (classes, one-hot); 0 = unconditional
        cmap_dim: int | None = None,  # width of the mapped label; None = channels at 4 px (NVIDIA's default)
        mapping_layers: int = 8,  # depth of the label mapping network (NVIDIA's D uses the default 8)
        mapping_lr_multiplier: float = 0.01,  # its learning-rate multiplier, as the generator's mapping
    ) -> None:
        super().__init__()
        channels = dict(channels or default_channels(resolution))
        self.config = dict(
            resolution=resolution, channels={int(k): int(v) for k, v in channels.items()},
            img_channels=img_channels, mbstd_group_size=mbstd_group_size, mbstd_num_channels=mbstd_num_channels,
            conv_clamp=conv_clamp,
        )
        cmap_dim = (cmap_dim or channels[4]) if c_dim else 0
        if c_dim:  # only conditional models name these, so unconditional configs stay as they were
            self.config.update(c_dim=c_dim, cmap_dim=cmap_dim, mapping_layers=mapping_layers,
                               mapping_lr_multiplier=mapping_lr_multiplier)
        self.resolution, self.c_dim = resolution, c_dim
        self.block_resolutions = [r for r in reversed(resolutions_up_to(resolution)) if r > 4]
        for res in self.block_resolutions:
            in_ch = 0 if res == resolution else channels[res]
            block = DiscriminatorBlock(in_ch, channels[res], channels[res // 2], img_channels, conv_clamp)
            setattr(self, f"b{res}", block)
        if c_dim:
            self.mapping = MappingNetwork(0, cmap_dim, None, mapping_layers, mapping_lr_multiplier, None, c_dim=c_dim)
        self.b4 = DiscriminatorEpilogue(
            channels[4], img_channels, mbstd_group_size, mbstd_num_channels, conv_clamp, cmap_dim
        )

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(c, self.c_dim, img.shape[0], "discriminator")
        x = None
        for res in self.block_resolutions:
            x = getattr(self, f"b{res}")(x, img)
        return self.b4(x, self.mapping(None, c) if self.c_dim else None)
