"""Style mixing on StyleGAN3: coarse, middle and fine by the sampling rates of the layers W+ drives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.edit.directions import Direction
from studio.engine.edit.latents import group_notes, layer_groups, layer_indices, w_sampling_rates
from studio.engine.edit.mixing import mixing_grid
from studio.engine.edit.portrait import GroupMix, Latent, Mixing, Portrait
from studio.engine.model.stylegan3 import Generator as SG3Generator
from studio.engine.model.stylegan3 import layer_table
from tests.conftest import TINY_SG3, fill_sg3


def _rates(resolution, base, cmax):
    table = layer_table(resolution, 3, base, cmax)
    return [table[0].sampling_rate, *(row.sampling_rate for row in table)]  # the input's, then each layer's


@pytest.mark.parametrize(("key", "sizes"), [((1024, 32768, 512), (3, 3, 10)), ((256, 65536, 1024), (4, 4, 8))])
def test_groups_of_the_released_architectures(key, sizes):
    rates = _rates(*key)
    groups = layer_groups(len(rates), rates)
    assert tuple(len(groups[name]) for name in ("coarse", "middle", "fine")) == sizes
    assert sorted(sum(groups.values(), [])) == list(range(len(rates)))  # every W+ entry in one group
    assert {rates[i] for i in groups["coarse"]} == {16} and {rates[i] for i in groups["middle"]} == {32, 64}
    assert layer_indices("middle+fine", len(rates), rates) == groups["middle"] + groups["fine"]
    with pytest.raises(ValueError, match="3 sampling rates for 16 W\\+ entries"):
        layer_groups(16, rates[:3])


def test_mixing_follows_the_rates(tiny_sg3, G):
    H, _ = tiny_sg3
    assert w_sampling_rates(H) == (16,) * H.num_ws and w_sampling_rates(G) is None
    # A 16 px StyleGAN3 samples every layer at 16: all coarse, nothing middle or fine.
    assert layer_groups(H.num_ws, w_sampling_rates(H)) == {"coarse": list(range(6)), "middle": [], "fine": []}
    mix = Mixing(Latent(seed=2), (GroupMix(True, 1.0), GroupMix(), GroupMix()))
    mixed = Portrait.from_seed(1, psi=1.0).with_mixing(mix)
    torch.testing.assert_close(mixed.ws(H), Portrait.from_seed(2, psi=1.0).ws(H))
    with pytest.raises(ValueError, match="select no styles in this 16 px model"):
        mixing_grid(H, [1], [2], "fine")


def test_a_slider_on_a_group_follows_the_rates(tiny_sg3):
    H, _ = tiny_sg3
    d = Direction("PC1", np.ones(H.w_dim, np.float32), 1.0)
    # By StyleGAN2's resolutions six W+ entries would make coarse 0-3; by the rates all six are coarse (16).
    assert d.offset(1.0, H.num_ws, "coarse").abs().sum(dim=1).nonzero().flatten().tolist() == [0, 1, 2, 3]
    moved = Portrait.from_seed(1, psi=1.0).with_slider("PC1", 2.0, "coarse")
    delta = moved.ws(H, {"PC1": d}) - Portrait.from_seed(1, psi=1.0).ws(H)
    torch.testing.assert_close(delta[0], torch.full((H.num_ws, H.w_dim), 2.0))


def test_group_notes_say_what_each_group_holds(G):
    # A 32 px StyleGAN3 (the tiny T's settings) has coarse (rate 16) and middle (rate 32) layers, no fine ones.
    H = fill_sg3(SG3Generator(32, z_dim=32, w_dim=32, **TINY_SG3["t"]))
    assert group_notes(H) == {"coarse": "W+ 0–1 · sampling rate 16 · 36 px",
                              "middle": "W+ 2–5 · sampling rate 32 · 32–52 px", "fine": ""}
    assert group_notes(G) == {"coarse": "W+ 0–3 · 4–8 px", "middle": "W+ 4–7 · 16–32 px", "fine": ""}  # 32 px SG2
