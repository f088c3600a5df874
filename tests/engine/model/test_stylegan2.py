"""The synthesis network's early exits: every level's picture from one pass."""

from __future__ import annotations

import torch

from tests.conftest import make_tiny_pair


@torch.no_grad()
def test_outputs_gives_each_levels_picture_from_one_pass():
    G = make_tiny_pair()[0]
    ws = G.mapping(torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(0)))
    noise = {"b16.conv0": torch.randn(16, 16), "b32.conv1": torch.randn(32, 32)}
    asked = [32, 8, 12, 64, 2]  # 12 px: the 16 px block's picture; beyond the model's 32: the full picture
    got = G.synthesis.outputs(ws, asked, noise=noise)
    assert [tuple(img.shape[-2:]) for img in got] == [(32, 32), (8, 8), (16, 16), (32, 32), (4, 4)]
    for resolution, img in zip(asked, got):
        torch.testing.assert_close(img, G.synthesis(ws, max_resolution=resolution, noise=noise), rtol=0, atol=0)
    torch.testing.assert_close(got[0], G.synthesis(ws, noise=noise), rtol=0, atol=0)
