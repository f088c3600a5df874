"""The StyleGAN3 generator (alias-free: T and R configs) in plain PyTorch, no custom CUDA ops.

Maths and parameter names as NVIDIA's ``training/networks_stylegan3.py`` (``synthesis.input.freqs``,
``synthesis.L3_52_512.weight``, ``mapping.fc1.bias``…), so their snapshots load tensor for tensor. The mapping
network is StyleGAN2's (the same maths; NVIDIA's SG3 configs use two layers and track ``w_avg`` with β 0.998),
and so is the discriminator of their snapshots (``stylegan2.Discriminator``).

Synthesis: Fourier features of a 2-D position, rotated and translated by an affine of the first w (and by an
optional user transform), then ``num_layers`` modulated convolutions whose leaky ReLUs run between low-pass
filters at twice the sampling rate (``ops.filtered_lrelu``), then a 1x1 ToRGB. Each layer's cutoff,
stop-band and sampling rate follow a geometric progression from ``first_cutoff`` to the image's Nyquist
frequency (``layer_table``); the last ``num_critical`` layers are critically sampled (cutoff = s/2). The T
config uses 3x3 convolutions and separable Kaiser filters; R uses 1x1 convolutions, radially symmetric
down-sampling filters and twice the channels.

Where StyleGAN2's interface has parts SG3 lacks, the equivalents are: no noise (``noise_shapes()`` is empty
and a noise map is refused), no intermediate RGB (``max_resolution`` returns the full picture area-averaged
down to that size), and a layer's "resolution" is its sampling rate (``LayerGeometry.sampling_rate``; the
layers' pixel sizes include a margin of ``margin_size`` pixels on each side).

Two differences from NVIDIA's numbers, both far below the parity tolerance: the modulated convolution scales
the activations instead of building per-sample weights (a graph with no batch-dependent weight shapes), and
it normalises each sample's styles alone where NVIDIA uses the mean over the batch (a scale that the
demodulation removes; a picture does not depend on what else is in its batch).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .lowpass import design_lowpass
from .ops import EqualLinear, bias_act, filtered_lrelu
from .stylegan2 import NOISE_MODES, MappingNetwork


@dataclass(frozen=True)
class LayerGeometry:
    """One row of the layer table: what layer ``index`` outputs (row 0 is also the Fourier input's)."""

    index: int
    channels: int  # feature maps (the last row: the image's channels)
    size: int  # output size in pixels, a margin of margin_size on each side included (the last two: the image)
    sampling_rate: int  # s: samples per unit of image width; the layer's "resolution"
    cutoff: float  # f_c: the top of the pass band
    stopband: float  # f_t: the bottom of the stop band
    half_width: float  # f_h: half the transition band, max(f_t, s/2) - f_c


def layer_table(
    resolution: int,  # output image size
    img_channels: int = 3,  # colour channels of the output
    channel_base: int = 32768,  # channels = min(channel_base / 2 / cutoff, channel_max)
    channel_max: int = 512,  # most channels in any layer
    num_layers: int = 14,  # synthesis layers, not counting the Fourier input and ToRGB
    num_critical: int = 2,  # critically sampled layers at the end
    first_cutoff: float = 2,  # f_c of the first layer
    first_stopband: float = 2**2.1,  # minimum f_t of the first layer
    last_stopband_rel: float = 2**0.3,  # minimum f_t of the last layer, relative to its cutoff
    margin_size: int = 10,  # extra pixels on each side of the intermediate layers
) -> list[LayerGeometry]:
    """The ``num_layers + 1`` rows (the last is ToRGB) as NVIDIA's ``SynthesisNetwork`` computes them."""
    if num_layers <= num_critical:
        raise ValueError(f"num_layers ({num_layers}) must exceed num_critical ({num_critical})")
    last_cutoff = resolution / 2
    last_stopband = last_cutoff * last_stopband_rel
    exponents = np.minimum(np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** exponents
    stopbands = first_stopband * (last_stopband / first_stopband) ** exponents
    sampling_rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, resolution))))
    half_widths = np.maximum(stopbands, sampling_rates / 2) - cutoffs
    sizes = sampling_rates + margin_size * 2
    sizes[-2:] = resolution
    channels = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max))
    channels[-1] = img_channels
    return [
        LayerGeometry(i, int(channels[i]), int(sizes[i]), int(sampling_rates[i]), float(cutoffs[i]),
                      float(stopbands[i]), float(half_widths[i]))
        for i in range(num_layers + 1)
    ]


def input_transform(translate: tuple[float, float] = (0.0, 0.0), rotate: float = 0.0) -> torch.Tensor:
    """The (3, 3) matrix ``synthesis(transform=)`` takes to move the picture by ``translate`` (x, y, in image
    widths; +x right, +y down) and turn it by ``rotate`` degrees (counter-clockwise on screen).

    The network takes the inverse of the picture's motion (NVIDIA's ``gen_images.make_transform``, inverted).
    """
    a = math.radians(rotate)
    m = np.array([[math.cos(a), math.sin(a), translate[0]], [-math.sin(a), math.cos(a), translate[1]], [0, 0, 1]])
    return torch.as_tensor(np.linalg.inv(m), dtype=torch.float32)


def modulated_conv2d(
    x: torch.Tensor,  # activations (N, I, H, W)
    weight: torch.Tensor,  # (O, I, k, k)
    styles: torch.Tensor,  # (N, I)
    demodulate: bool = True,  # normalise each output channel to unit expected variance
    padding: int = 0,
    input_gain: torch.Tensor | None = None,  # a scale of every input channel: a scalar or (I,)
) -> torch.Tensor:
    """StyleGAN3's modulated convolution: weights and styles pre-normalised when demodulating, then each sample's
    input channels scaled by its styles (and ``input_gain``), a plain convolution, and the demodulation."""
    n, in_ch = styles.shape
    out_ch = weight.shape[0]
    assert x.shape[:2] == (n, in_ch) and weight.shape[1] == in_ch, (x.shape, weight.shape, styles.shape)
    dcoefs = None
    if demodulate:
        weight = weight * weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()
        styles = styles * styles.square().mean(dim=1, keepdim=True).rsqrt()
        dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).t() + 1e-8).rsqrt()  # (N, O)
    if input_gain is not None:
        styles = styles * input_gain
    x = F.conv2d(x * styles.reshape(n, in_ch, 1, 1), weight, padding=padding)
    return x if dcoefs is None else x * dcoefs.reshape(n, out_ch, 1, 1)


class SynthesisInput(nn.Module):
    """Fourier features: sinusoids of random frequencies within ``bandwidth``, turned and shifted by the first w.

    ``transform`` (a buffer, identity unless the snapshot set one) is the user's inverse transform of the
    picture; ``forward`` takes another for one call (``input_transform``).
    """

    def __init__(
        self,
        w_dim: int,  # intermediate latent (W) dimensionality
        channels: int,  # features
        size: int,  # output size in pixels
        sampling_rate: float,  # output sampling rate
        bandwidth: float,  # the frequencies' radius (the first layer's cutoff)
    ) -> None:
        super().__init__()
        self.w_dim, self.channels, self.size = w_dim, channels, size
        self.sampling_rate, self.bandwidth = sampling_rate, bandwidth
        freqs = torch.randn(channels, 2)
        radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
        freqs = freqs / (radii * radii.square().exp().pow(0.25)) * bandwidth
        self.weight = nn.Parameter(torch.randn(channels, channels))
        self.affine = EqualLinear(w_dim, 4)
        with torch.no_grad():  # starts as the identity: no rotation, no translation
            self.affine.weight.zero_()
            self.affine.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
        self.register_buffer("transform", torch.eye(3))
        self.register_buffer("freqs", freqs)
        self.register_buffer("phases", torch.rand(channels) - 0.5)

    def forward(self, w: torch.Tensor, transform: torch.Tensor | None = None) -> torch.Tensor:
        """w (N, w_dim), transform (3, 3) or (N, 3, 3) or None (the buffer) -> features (N, C, size, size)."""
        n = w.shape[0]
        assert w.shape == (n, self.w_dim), w.shape
        user = self.transform if transform is None else transform.to(w.device, w.dtype)
        user = user.unsqueeze(0) if user.ndim == 2 else user
        assert user.shape[-2:] == (3, 3) and user.shape[0] in (1, n), user.shape
        t = self.affine(w)  # (cos, sin, tx, ty) of the learned rotation and translation, before normalising
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        eye = torch.eye(3, device=w.device, dtype=w.dtype).repeat(n, 1, 1)
        m_r, m_t = eye.clone(), eye.clone()  # inverse rotation and translation with respect to the picture
        m_r[:, 0, 0], m_r[:, 0, 1], m_r[:, 1, 0], m_r[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        m_t[:, 0, 2], m_t[:, 1, 2] = -t[:, 2], -t[:, 3]
        transforms = m_r @ m_t @ user  # rotate the picture, then translate it, then the user's transform

        phases = self.phases.unsqueeze(0) + (self.freqs.unsqueeze(0) @ transforms[:, :2, 2:]).squeeze(2)
        freqs = self.freqs.unsqueeze(0) @ transforms[:, :2, :2]  # (N, C, 2)
        # Fade out frequencies a user transform pushed past the band (towards the Nyquist rate).
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)

        # Pixel centres in units of the picture's width (the picture spans [-0.5, 0.5] inside the margin).
        coords = (torch.arange(self.size, device=w.device, dtype=w.dtype) + 0.5 - self.size / 2) / self.sampling_rate
        grid = torch.stack(torch.meshgrid(coords, coords, indexing="xy"), dim=-1)  # (H, W, xy)
        x = torch.einsum("hwk,nck->nhwc", grid, freqs) + phases[:, None, None, :]
        x = torch.sin(x * (2 * math.pi)) * amplitudes[:, None, None, :]
        x = x @ (self.weight / math.sqrt(self.channels)).t()
        x = x.permute(0, 3, 1, 2)
        assert x.shape == (n, self.channels, self.size, self.size), x.shape
        return x


class SynthesisLayer(nn.Module):
    """Modulated conv, then bias, up-sampling, leaky ReLU, clamp and down-sampling (``filtered_lrelu``);
    the ToRGB layer (``is_torgb``) is a 1x1 modulated conv without demodulation, bias and clamp only."""

    def __init__(
        self,
        w_dim: int,  # intermediate latent (W) dimensionality
        prev: LayerGeometry,  # the input's row of the layer table
        this: LayerGeometry,  # the output's row
        is_torgb: bool,  # the final ToRGB layer
        is_critically_sampled: bool,  # cutoff at s/2: separable down-sampling filter even in the R config
        conv_kernel: int = 3,  # convolution size (1 in the R config); ToRGB is always 1x1
        filter_size: int = 6,  # low-pass taps per factor of resampling
        lrelu_upsampling: int = 2,  # the leaky ReLU's sampling rate relative to the layer's
        use_radial_filters: bool = False,  # radially symmetric down-sampling filters (R config)
        conv_clamp: float | None = 256,  # clamp the output to ±conv_clamp, None = no clamp
    ) -> None:
        super().__init__()
        self.is_torgb, self.is_critically_sampled = is_torgb, is_critically_sampled
        self.in_channels, self.out_channels = prev.channels, this.channels
        self.in_size, self.out_size = prev.size, this.size
        self.sampling_rate = this.sampling_rate
        self.conv_kernel = 1 if is_torgb else conv_kernel
        self.conv_clamp = conv_clamp
        self.affine = EqualLinear(w_dim, prev.channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(this.channels, prev.channels, self.conv_kernel, self.conv_kernel))
        self.bias = nn.Parameter(torch.zeros(this.channels))
        # The running mean square of this layer's input during training; its inverse root scales the input.
        self.register_buffer("magnitude_ema", torch.ones([]))

        tmp_rate = max(prev.sampling_rate, this.sampling_rate) * (1 if is_torgb else lrelu_upsampling)
        self.up_factor = int(round(tmp_rate / prev.sampling_rate))
        self.down_factor = int(round(tmp_rate / this.sampling_rate))
        assert prev.sampling_rate * self.up_factor == tmp_rate and this.sampling_rate * self.down_factor == tmp_rate
        up_taps = filter_size * self.up_factor if self.up_factor > 1 and not is_torgb else 1
        down_taps = filter_size * self.down_factor if self.down_factor > 1 and not is_torgb else 1
        self.down_radial = use_radial_filters and not is_critically_sampled
        # Derived from the table, so not saved (the reader checks a snapshot's filters against these).
        self.register_buffer("up_filter", design_lowpass(up_taps, prev.cutoff, prev.half_width * 2, tmp_rate),
                             persistent=False)
        self.register_buffer("down_filter", design_lowpass(down_taps, this.cutoff, this.half_width * 2, tmp_rate,
                                                           radial=self.down_radial), persistent=False)
        # Padding so that the output has out_size pixels, with the samples placed symmetrically (paper, App. C.3).
        pad_total = (this.size - 1) * self.down_factor + 1
        pad_total -= (prev.size + self.conv_kernel - 1) * self.up_factor
        pad_total += up_taps + down_taps - 2
        pad_lo = (pad_total + self.up_factor) // 2
        self.padding = (pad_lo, pad_total - pad_lo, pad_lo, pad_total - pad_lo)
        assert not is_torgb or self.padding == (0, 0, 0, 0), self.padding

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """x (N, in_channels, in_size, in_size), w (N, w_dim) -> (N, out_channels, out_size, out_size)."""
        n = x.shape[0]
        assert x.shape == (n, self.in_channels, self.in_size, self.in_size), x.shape
        assert w.shape[0] == n and w.ndim == 2, w.shape
        styles = self.affine(w)
        if self.is_torgb:
            styles = styles * (1 / math.sqrt(self.in_channels * self.conv_kernel**2))
        x = modulated_conv2d(x, self.weight, styles, demodulate=not self.is_torgb, padding=self.conv_kernel - 1,
                             input_gain=self.magnitude_ema.rsqrt())
        if self.is_torgb:
            x = bias_act(x, self.bias, "linear", clamp=self.conv_clamp)
        else:
            x = filtered_lrelu(x, self.up_filter, self.down_filter, self.bias, self.up_factor, self.down_factor,
                               self.padding, clamp=self.conv_clamp)
        assert x.shape == (n, self.out_channels, self.out_size, self.out_size), x.shape
        return x


class SynthesisNetwork(nn.Module):
    """W+ latents (N, num_ws, w_dim) -> image (N, C, H, W): the Fourier input reads ws[:, 0], layer i ws[:, i + 1]."""

    def __init__(
        self,
        w_dim: int,  # intermediate latent (W) dimensionality
        resolution: int,  # output image size
        img_channels: int = 3,  # colour channels
        channel_base: int = 32768,  # see layer_table
        channel_max: int = 512,
        num_layers: int = 14,
        num_critical: int = 2,
        first_cutoff: float = 2,
        first_stopband: float = 2**2.1,
        last_stopband_rel: float = 2**0.3,
        margin_size: int = 10,
        output_scale: float = 0.25,  # the image is the last layer's output times this
        conv_kernel: int = 3,  # see SynthesisLayer
        filter_size: int = 6,
        lrelu_upsampling: int = 2,
        use_radial_filters: bool = False,
        conv_clamp: float | None = 256,
    ) -> None:
        super().__init__()
        self.w_dim, self.resolution, self.img_channels = w_dim, resolution, img_channels
        self.num_ws = num_layers + 2
        self.output_scale = output_scale
        self.table = layer_table(resolution, img_channels, channel_base, channel_max, num_layers, num_critical,
                                 first_cutoff, first_stopband, last_stopband_rel, margin_size)
        first = self.table[0]
        self.input = SynthesisInput(w_dim, first.channels, first.size, first.sampling_rate, first.cutoff)
        self.layer_names = []
        for row in self.table:
            layer = SynthesisLayer(
                w_dim, self.table[max(row.index - 1, 0)], row, is_torgb=row.index == num_layers,
                is_critically_sampled=row.index >= num_layers - num_critical, conv_kernel=conv_kernel,
                filter_size=filter_size, lrelu_upsampling=lrelu_upsampling, use_radial_filters=use_radial_filters,
                conv_clamp=conv_clamp,
            )
            name = f"L{row.index}_{row.size}_{row.channels}"
            setattr(self, name, layer)
            self.layer_names.append(name)

    def layers(self) -> list[SynthesisLayer]:
        """The synthesis layers in order, ToRGB last (StyleGAN2's ``blocks()`` by resolution has no SG3 twin)."""
        return [getattr(self, name) for name in self.layer_names]

    def noise_shapes(self) -> dict[str, tuple[int, int]]:
        """StyleGAN3 has no noise inputs: an empty table, so code that fits or shows noise maps finds none."""
        return {}

    def check_noise(self, noise: dict[str, torch.Tensor]) -> None:
        """ValueError for the first map in ``noise``: none fits a network without noise."""
        for name in noise:
            raise ValueError(f"the noise map {name!r} does not fit this model: a StyleGAN3 network has no noise")

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        fused: bool | None = None,
        max_resolution: int | None = None,
        noise: dict[str, torch.Tensor] | None = None,
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Render ``ws`` (N, num_ws, w_dim). ``transform``: the input's user transform for this call (3, 3) or
        (N, 3, 3), as ``input_transform`` makes; None keeps the network's own.

        StyleGAN2's arguments keep their meaning where SG3 has one: ``noise_mode`` is checked but changes nothing
        (no noise), ``noise`` must be empty, ``fused`` is ignored (one convolution form), and ``max_resolution``
        below the image's size returns the picture area-averaged to that size (no early exit).
        """
        return self.outputs(ws, [max_resolution or self.resolution], noise_mode, fused, noise, transform)[0]

    def outputs(
        self,
        ws: torch.Tensor,
        resolutions: Sequence[int],
        noise_mode: str = "const",
        fused: bool | None = None,
        noise: dict[str, torch.Tensor] | None = None,
        transform: torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """The picture at each of ``resolutions`` from one pass, each what ``forward(max_resolution=r)`` returns,
        as StyleGAN2's ``outputs``; without early exits every one costs the full picture."""
        if ws.ndim != 3 or ws.shape[1] != self.num_ws or ws.shape[2] != self.w_dim:
            raise ValueError(f"ws must have shape (N, {self.num_ws}, {self.w_dim}), not {tuple(ws.shape)}")
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        self.check_noise(noise or {})
        ws = ws.to(torch.float32).unbind(dim=1)
        x = self.input(ws[0], transform)
        for layer, w in zip(self.layers(), ws[1:]):
            x = layer(x, w)
        x = x * self.output_scale
        assert x.shape[1:] == (self.img_channels, self.resolution, self.resolution), x.shape
        return [F.interpolate(x, size=(r, r), mode="area") if r < self.resolution else x for r in resolutions]


def magnitude_ema_beta(batch: int) -> float:
    """The decay per training step of the layers' ``magnitude_ema`` for ``batch`` images a step: NVIDIA's
    (``train.py``), a half-life of 20k images."""
    return 0.5 ** (batch / 20_000)


@contextmanager
def tracking_magnitudes(synthesis: SynthesisNetwork, beta: float) -> Iterator[None]:
    """While inside, each call of ``synthesis`` moves every layer's ``magnitude_ema`` towards the mean square of
    that layer's input by 1 − ``beta``: NVIDIA's ``update_emas=True``, which their loss sets where G renders the
    fakes of D's step. Outside, the buffers are constants of the network."""

    def update(layer: SynthesisLayer, args: tuple[torch.Tensor, ...]) -> None:
        with torch.no_grad():
            layer.magnitude_ema.copy_(args[0].detach().float().square().mean().lerp(layer.magnitude_ema, beta))

    handles = [layer.register_forward_pre_hook(update) for layer in synthesis.layers()]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


class Generator(nn.Module):
    """StyleGAN3 generator: ``G(z, c, truncation_psi)``, ``G.mapping``, ``G.synthesis`` as StyleGAN2's ``Generator``.

    ``config`` holds the constructor's arguments (what our checkpoints store); ``architecture`` names the
    configuration: ``sg3-r`` with radial filters, else ``sg3-t``.
    """

    def __init__(
        self,
        resolution: int,  # output image size
        z_dim: int = 512,  # input latent (Z) dimensionality
        w_dim: int = 512,  # intermediate latent (W) dimensionality
        mapping_layers: int = 2,  # mapping depth (NVIDIA's SG3 default)
        mapping_lr_multiplier: float = 0.01,
        img_channels: int = 3,
        channel_base: int = 32768,  # the layer table's arguments (layer_table)
        channel_max: int = 512,
        num_layers: int = 14,
        num_critical: int = 2,
        first_cutoff: float = 2,
        first_stopband: float = 2**2.1,
        last_stopband_rel: float = 2**0.3,
        margin_size: int = 10,
        output_scale: float = 0.25,
        conv_kernel: int = 3,  # the layers' arguments (SynthesisLayer): T = 3, R = 1
        filter_size: int = 6,
        lrelu_upsampling: int = 2,
        use_radial_filters: bool = False,  # T = False, R = True
        conv_clamp: float | None = 256,
        c_dim: int = 0,  # class-conditional: label inputs of the mapping (classes, one-hot); 0 = unconditional
    ) -> None:
        super().__init__()
        synthesis_config = dict(
            img_channels=img_channels, channel_base=channel_base, channel_max=channel_max, num_layers=num_layers,
            num_critical=num_critical, first_cutoff=first_cutoff, first_stopband=first_stopband,
            last_stopband_rel=last_stopband_rel, margin_size=margin_size, output_scale=output_scale,
            conv_kernel=conv_kernel, filter_size=filter_size, lrelu_upsampling=lrelu_upsampling,
            use_radial_filters=use_radial_filters, conv_clamp=conv_clamp,
        )
        self.config = dict(resolution=resolution, z_dim=z_dim, w_dim=w_dim, mapping_layers=mapping_layers,
                           mapping_lr_multiplier=mapping_lr_multiplier, **synthesis_config)
        if c_dim:
            self.config["c_dim"] = c_dim
        self.architecture = "sg3-r" if use_radial_filters else "sg3-t"
        self.z_dim, self.w_dim, self.resolution, self.img_channels = z_dim, w_dim, resolution, img_channels
        self.c_dim = c_dim
        self.synthesis = SynthesisNetwork(w_dim, resolution, **synthesis_config)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, mapping_layers, mapping_lr_multiplier,
                                      w_avg_beta=0.998, c_dim=c_dim)

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
        transform: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """z (N, z_dim), c (N, c_dim) one-hot labels or None (unconditional) -> images (N, C, H, W)."""
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode, transform=transform)
