"""Sketch extractors F: shape, range, gradients reaching the input, PhotoSketch's key layout, augmentation."""

from __future__ import annotations

import pytest
import torch

from studio.engine.customize import (
    WORLD_EXTRACTOR,
    ExtractorTrainConfig,
    SketchExtractorError,
    augment_sketches,
    load_extractor,
    parse_policy,
    train_extractor,
)
from studio.engine.customize.extractors import load_world_extractor
from studio.engine.customize.pix2pix import ResnetGenerator


def _check(F, size: int = 32) -> None:
    x = (torch.rand(2, 3, size, size) * 2 - 1).requires_grad_(True)
    y = F(x)
    assert y.shape == (2, 1, size, size)
    assert y.min() >= -1 and y.max() <= 1
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in F.parameters())


def test_default_extractor_shape_range_gradient():
    _check(load_extractor("default"))


def test_default_extractor_draws_an_edge_as_ink_and_flat_paper_as_white():
    img = -torch.ones(1, 3, 64, 64)
    img[..., 32:] = 1  # a black/white boundary down the middle
    y = load_extractor("default")(img)[0, 0]
    assert y[:, 30:34].min() < -0.5  # ink on the boundary
    assert y[:, :20].min() > 0.9 and y[:, 44:].min() > 0.9  # paper elsewhere


@pytest.mark.skipif(not WORLD_EXTRACTOR.exists(), reason="world extractor weights not shipped in this checkout")
def test_world_extractor_loads_and_resizes():
    F = load_extractor("world")
    _check(F, 32)
    assert F.work_size == 128


def _official_layout_state_dict(ngf: int, n_blocks: int) -> dict[str, torch.Tensor]:
    """A state dict spelled out key by key the way pix2pix's ResnetGenerator (PhotoSketch) saves it."""
    sd: dict[str, torch.Tensor] = {}

    def bn(i, c, tracked=True):
        sd.update({f"{i}.weight": torch.rand(c), f"{i}.bias": torch.zeros(c), f"{i}.running_mean": torch.zeros(c),
                   f"{i}.running_var": torch.ones(c)})
        if tracked:
            sd[f"{i}.num_batches_tracked"] = torch.tensor(0)

    sd["model.1.weight"] = torch.randn(ngf, 3, 7, 7) * 0.02
    bn("model.2", ngf, tracked=False)  # pre-0.4.1 checkpoints lack the counters
    sd["model.4.weight"] = torch.randn(ngf * 2, ngf, 3, 3) * 0.02
    sd["model.7.weight"] = torch.randn(ngf * 4, ngf * 2, 3, 3) * 0.02
    bn("model.5", ngf * 2)
    bn("model.8", ngf * 4)
    for b in range(n_blocks):
        p = f"model.{10 + b}.conv_block"
        sd[f"{p}.1.weight"] = torch.randn(ngf * 4, ngf * 4, 3, 3) * 0.02
        sd[f"{p}.6.weight"] = torch.randn(ngf * 4, ngf * 4, 3, 3) * 0.02
        bn(f"{p}.2", ngf * 4)
        bn(f"{p}.7", ngf * 4)
    up = 10 + n_blocks
    sd[f"model.{up}.weight"] = torch.randn(ngf * 4, ngf * 2, 3, 3) * 0.02
    bn(f"model.{up + 1}", ngf * 2)
    sd[f"model.{up + 3}.weight"] = torch.randn(ngf * 2, ngf, 3, 3) * 0.02
    bn(f"model.{up + 4}", ngf)
    sd[f"model.{up + 7}.weight"], sd[f"model.{up + 7}.bias"] = torch.randn(1, ngf, 7, 7) * 0.02, torch.zeros(1)
    return sd


def test_photosketch_official_key_layout_loads(tmp_path):
    # PhotoSketch is ngf 64; the key names do not depend on ngf, so a narrow copy keeps the test fast
    sd = _official_layout_state_dict(ngf=8, n_blocks=9)
    ours = set(ResnetGenerator(ngf=8).state_dict())
    assert set(sd) <= ours and {k for k in ours - set(sd)} == {"model.2.num_batches_tracked"}
    path = tmp_path / "latest_net_G.pth"
    torch.save(sd, path)
    F = load_extractor(f"photosketch:{path}")
    assert F.net.config == dict(in_channels=3, out_channels=1, ngf=8, n_blocks=9)
    assert torch.equal(F.net.model[1].weight, sd["model.1.weight"])
    assert torch.equal(F.net.model[10].conv_block[6].weight, sd["model.10.conv_block.6.weight"])
    x = (torch.rand(1, 3, 32, 32) * 2 - 1).requires_grad_(True)
    F(x).sum().backward()
    assert x.grad.abs().sum() > 0


def test_photosketch_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.pth"
    with pytest.raises(SketchExtractorError, match="nope.pth"):
        load_extractor(f"photosketch:{missing}")
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv.weight": torch.zeros(1)}, wrong)
    with pytest.raises(SketchExtractorError, match="wrong.pth.*ResnetGenerator"):
        load_extractor(f"photosketch:{wrong}")
    with pytest.raises(SketchExtractorError, match="unknown sketch extractor"):
        load_extractor("pencil")


def test_augmentation_keeps_range_and_gradient_and_pads_with_paper():
    x = torch.ones(4, 1, 32, 32)
    x[..., 14:18, :] = -1
    x.requires_grad_(True)
    gen = torch.Generator().manual_seed(0)
    y = augment_sketches(x, parse_policy("translation,scale,width,blur"), gen)
    assert y.shape == x.shape and y.min() >= -1 - 1e-6 and y.max() <= 1 + 1e-6
    y.sum().backward()
    assert x.grad.abs().sum() > 0
    shifted = augment_sketches(torch.ones(2, 1, 16, 16), ("translation",), gen)
    assert torch.equal(shifted, torch.ones(2, 1, 16, 16))  # blank paper stays blank paper
    with pytest.raises(ValueError, match="unknown sketch augmentation"):
        parse_policy("rotate")


def test_blur_keeps_the_ink_and_spreads_it():
    x = torch.ones(1, 1, 32, 32)
    x[..., 16, 4:28] = -1  # one 1 px line
    y = augment_sketches(x, ("blur",), torch.Generator())
    assert torch.allclose((1 - y).sum(), (1 - x).sum(), rtol=0.02)  # the line's ink is kept
    assert y[..., 16, 16] > -0.9 and y[..., 14, 16] < 0.99  # only spread across rows near it
    assert torch.equal(augment_sketches(torch.ones(1, 1, 32, 32), ("blur",), torch.Generator()),
                       torch.ones(1, 1, 32, 32))


def test_train_extractor_writes_a_loadable_world_extractor(tmp_path):
    reports = []
    cfg = ExtractorTrainConfig(pairs=3, size=32, crop=32, ngf=4, n_blocks=1, ndf=8, steps=2, preview_every=1)
    out = train_extractor(tmp_path / "ext.safetensors", cfg, progress=reports.append)
    trained = [p for p in reports if p.message.startswith("training")]
    assert [p.done for p in trained] == [1, 2] and all(p.preview is not None for p in trained)
    F = load_world_extractor(out)
    assert F.work_size == 32 and (tmp_path / "ext.json").exists()
    _check(F, 64)
