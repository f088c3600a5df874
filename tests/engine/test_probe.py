"""The world probe's mechanics and the measuring functions built on it (the shipped probe's accuracy is in its card)."""

from __future__ import annotations

import numpy as np
import torch

from studio.engine.world import render_sample
from studio.engine.world.probe import (
    COMPOSITION_NAMES,
    WorldProbe,
    entropy_bits,
    evaluate,
    frechet_distance,
    histogram_overlap,
    mean_pairwise_distance,
    read_images,
    train_probe,
)


def test_probe_learns_world_samples():
    samples = [render_sample(s, 64) for s in range(48)]
    images = np.stack([s.image for s in samples])
    records = [s.attributes for s in samples]
    probe = train_probe(images, records, steps=60, batch=16)
    out = read_images(probe, images)
    assert out.features.shape == (48, 256) and out.head.shape == (48, 5)
    assert out.composition.max() < len(COMPOSITION_NAMES)
    fig = evaluate(probe, images, records)
    assert fig["composition_acc"] > 1 / len(COMPOSITION_NAMES)  # better than chance on what it saw


def test_probe_accepts_any_size_tensor():
    probe = WorldProbe().eval()
    for size in (32, 128):
        assert probe(torch.zeros(2, 3, size, size))["features"].shape == (2, 256)


def test_frechet_distance_properties():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(500, 8)), rng.normal(size=(500, 8))
    assert frechet_distance(a, a) < 1e-6
    assert frechet_distance(a, b) < 0.5
    assert frechet_distance(a, b + 3) > 8 * 9 * 0.9  # mean shift of 3 in 8 dims -> ~72


def test_overlap_diversity_entropy():
    assert histogram_overlap(np.array([0, 1, 2]), np.array([0, 1, 2]), 3) == 1.0
    assert histogram_overlap(np.array([0, 0]), np.array([1, 1]), 2) == 0.0
    same = np.zeros((10, 4), np.float32)
    assert mean_pairwise_distance(same) == 0.0
    assert entropy_bits(np.array([0, 1, 2, 3]), 4) == 2.0
    assert entropy_bits(np.array([1, 1]), 4) == 0.0
