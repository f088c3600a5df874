"""The pix2pix networks behind learned sketch extractors: PhotoSketch's ResnetGenerator and a PatchGAN critic.

``ResnetGenerator`` keeps the exact module layout of pix2pix / PhotoSketch (``model.1.weight``,
``model.10.conv_block.6.weight``…, BatchNorm, reflect padding, bias only on the last conv, tanh), so
PhotoSketch's ``latest_net_G.pth`` loads into it unchanged; smaller ``ngf`` / ``n_blocks`` give our
CPU-sized world extractor with the same code.
"""

from __future__ import annotations

import torch
from torch import nn


class ResnetBlock(nn.Module):
    """pad, conv, BN, ReLU, Dropout(0), pad, conv, BN, plus the input (indices as in pix2pix's conv_block)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=False), nn.BatchNorm2d(dim), nn.ReLU(True),
            nn.Dropout(0.0),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=False), nn.BatchNorm2d(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """Image (N, in, H, W) in [-1, 1] -> (N, out, H, W) in [-1, 1]; two stride-2 downs, residual blocks, two ups."""

    def __init__(self, in_channels: int = 3, out_channels: int = 1, ngf: int = 64, n_blocks: int = 9) -> None:
        super().__init__()
        self.config = dict(in_channels=in_channels, out_channels=out_channels, ngf=ngf, n_blocks=n_blocks)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        ]
        for mult in (1, 2):
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(ngf * mult * 2), nn.ReLU(True)]
        layers += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
        for mult in (4, 2):
            layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1,
                                          bias=False),
                       nn.BatchNorm2d(ngf * mult // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def resnet_config_from_state_dict(sd: dict[str, torch.Tensor]) -> dict[str, int]:
    """ngf, block count and channel counts of a pix2pix ResnetGenerator state dict (KeyError if not one)."""
    first, last = sd["model.1.weight"], None
    n_blocks = 0
    while f"model.{10 + n_blocks}.conv_block.1.weight" in sd:
        n_blocks += 1
    last = sd[f"model.{10 + n_blocks + 7}.weight"]
    return dict(in_channels=first.shape[1], out_channels=last.shape[0], ngf=first.shape[0], n_blocks=n_blocks)


class PatchDiscriminator(nn.Module):
    """pix2pix's 70x70 PatchGAN: judges overlapping patches of the (painting, sketch) pair, one logit each."""

    def __init__(self, in_channels: int = 4, ndf: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        ch = ndf
        for n in range(1, n_layers + 1):
            out = ndf * min(2**n, 8)
            layers += [nn.Conv2d(ch, out, 4, 2 if n < n_layers else 1, 1, bias=False), nn.BatchNorm2d(out),
                       nn.LeakyReLU(0.2, True)]
            ch = out
        layers += [nn.Conv2d(ch, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
