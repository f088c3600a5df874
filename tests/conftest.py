"""Shared fixtures: tiny models (32 px, few channels) built in-process so every test runs fast."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import torch

# Tiny models gain nothing from intra-op threads, and Qt/renderer worker threads run beside them: one
# torch thread keeps the suite fast and free of oversubscription on CI's two cores.
torch.set_num_threads(1)

from studio.engine import Discriminator, Generator  # noqa: E402 - after the thread setting

TINY_CHANNELS = {4: 32, 8: 32, 16: 16, 32: 16, 64: 8}


def make_tiny_pair(
    seed: int = 0, resolution: int = 32, z_dim: int = 64, c_dim: int = 0
) -> tuple[Generator, Discriminator]:
    """A random tiny G/D with non-zero biases and noise strengths, so no tensor is trivially unused.

    ``c_dim`` > 0 makes both class-conditional (D's label mapping two layers deep, like G's)."""
    torch.manual_seed(seed)
    channels = {r: c for r, c in TINY_CHANNELS.items() if r <= resolution}
    G = Generator(resolution, channels, z_dim=z_dim, w_dim=z_dim, mapping_layers=2, c_dim=c_dim)
    D = Discriminator(resolution, channels, c_dim=c_dim, mapping_layers=2)
    with torch.no_grad():
        for name, p in list(G.named_parameters()) + list(D.named_parameters()):
            if name.endswith("bias") or name.endswith("noise_strength"):
                p.add_(torch.randn_like(p) * 0.1)
        G.mapping.w_avg.copy_(torch.randn(z_dim) * 0.1)
    return G.eval(), D.eval()


# Tiny StyleGAN3 configurations (16 px, four layers of which two critically sampled): T, and R with its 1x1
# convolutions, radial filters and doubled channels.
TINY_SG3 = {
    "t": dict(channel_base=512, channel_max=32, num_layers=4),
    "r": dict(channel_base=1024, channel_max=64, num_layers=4, conv_kernel=1, use_radial_filters=True),
}


def fill_sg3(G: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Set every tensor of a StyleGAN3 G from ``seed``, by name in sorted order, so that NVIDIA's network with the
    same names gets the same numbers (the README's parity run filled theirs with this and recorded its outputs).

    Frequencies stay inside the input's band, magnitudes positive, biases small, the mapping's tensors stored
    over its learning-rate multiplier; the input's affine is random too, so its learned rotation and translation
    are exercised."""
    gen = torch.Generator().manual_seed(seed)
    bandwidth = G.synthesis.input.bandwidth
    with torch.no_grad():
        for name, t in sorted(G.state_dict().items()):
            if name.endswith(("up_filter", "down_filter")):  # derived from the layer table (NVIDIA saves them)
                continue
            if name.endswith("transform"):
                value = torch.eye(3)
            elif name.endswith("freqs"):
                value = (torch.rand(t.shape, generator=gen) - 0.5) * bandwidth
            elif name.endswith(("phases", "w_avg")):
                value = torch.rand(t.shape, generator=gen) - 0.5
            elif name.endswith("magnitude_ema"):
                value = torch.rand(t.shape, generator=gen) + 0.5
            elif name.endswith("bias"):
                value = torch.randn(t.shape, generator=gen) * 0.1 + (1.0 if "affine" in name else 0.0)
            else:
                value = torch.randn(t.shape, generator=gen)
            if name.startswith("mapping.fc"):  # stored / lr multiplier (0.01), as NVIDIA initialises them
                value = value / 0.01
            t.copy_(value)
    return G


def make_tiny_sg3(config: str = "t", seed: int = 0):
    """A tiny StyleGAN3 G (16 px, z = w = 32) filled by ``fill_sg3``, with the StyleGAN2 D its snapshots carry."""
    from studio.engine.model.stylegan3 import Generator as SG3Generator

    G = fill_sg3(SG3Generator(16, z_dim=32, w_dim=32, **TINY_SG3[config]), seed)
    torch.manual_seed(seed)
    D = Discriminator(16, {4: 32, 8: 32, 16: 16}, mapping_layers=2)
    return G.eval(), D.eval()


@pytest.fixture(params=["t", "r"])
def tiny_sg3(request):
    """A tiny StyleGAN3 G/D pair, once as T and once as R."""
    return make_tiny_sg3(request.param)


@pytest.fixture
def tiny_pair() -> tuple[Generator, Discriminator]:
    return make_tiny_pair()


@pytest.fixture
def tiny_cond_pair() -> tuple[Generator, Discriminator]:
    """A tiny class-conditional G/D with three classes."""
    return make_tiny_pair(c_dim=3)


def write_sketch_folder(folder, size: int) -> None:
    """``folder`` with one ``size`` px sketch in it: a dark stroke on white paper."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True)
    img = np.full((size, size), 255, np.uint8)
    img[size // 4 : size * 3 // 4, size * 7 // 16 : size * 9 // 16] = 0
    Image.fromarray(img).save(folder / "s.png")


def write_pictures(folder, count: int = 6) -> None:
    """``count`` world portraits (32 px PNGs, one 48x40 JPEG in a subfolder) and one damaged file."""
    from PIL import Image

    from studio.engine.world import render_sample

    (folder / "more").mkdir(parents=True)
    for i in range(count - 1):
        Image.fromarray(render_sample(100 + i, 32).image).save(folder / f"p{i}.png")
    Image.fromarray(render_sample(99, 48).image[:40]).save(folder / "more" / "wide.jpg")
    (folder / "broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("not a picture")
