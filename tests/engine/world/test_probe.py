"""The world probe's mechanics and the measuring functions built on it (the shipped probe's accuracy is in its card)."""

from __future__ import annotations

import numpy as np
import torch

from studio.engine.world import GENRES, render_sample
from studio.engine.world.probe import (
    CLASS_HEADS,
    COMPOSITION_NAMES,
    WorldProbe,
    entropy_bits,
    evaluate,
    frechet_distance,
    genre_figures,
    histogram_overlap,
    load_probe,
    mean_pairwise_distance,
    read_images,
    targets_from_attributes,
    train_probe,
)


def test_probe_learns_world_samples():
    samples = [render_sample(s, 64, g) for g in GENRES for s in range(16)]
    images = np.stack([s.image for s in samples])
    records = [s.attributes for s in samples]
    probe = train_probe(images, records, steps=60, batch=16)
    out = read_images(probe, images)
    assert out.features.shape == (64, 256) and out.head.shape == (64, 5) and out.genre.shape == (64,)
    assert out.composition.max() < len(COMPOSITION_NAMES) and set(out.classes) == set(CLASS_HEADS)
    fig = evaluate(probe, images, records)
    assert fig["genre_acc"] > 1 / len(GENRES)  # better than chance on what it saw
    assert {"composition_acc", "hair_acc", "flower_acc", "vase_acc", "sky_acc", "water_acc", "season_acc",
            "time_acc", "head_x_mae"} <= set(fig)


def test_each_head_learns_only_from_its_genre():
    records = [render_sample(0, 32, g).attributes for g in GENRES]
    t = targets_from_attributes(records)
    assert t["genre"].tolist() == [0, 1, 2, 3] and t["portrait"].tolist() == [True, False, False, False]
    for name, (genre, _names, _) in CLASS_HEADS.items():
        mine = [g == genre for g in GENRES]
        assert [(v >= 0) for v in t[name].tolist()] == mine, name
    old = {k: v for k, v in records[0].items() if k != "genre"}  # a record written before genres: a portrait
    assert targets_from_attributes([old])["genre"].tolist() == [0]
    assert "genre_acc" in evaluate(WorldProbe(), np.stack([render_sample(1, 32).image]), [old])


def test_genre_figures():
    probe = WorldProbe().eval()
    world = {g: np.stack([render_sample(s, 32, g).image for s in range(6)]) for g in ("portrait", "cityscape")}
    images = np.concatenate([world["portrait"], world["cityscape"]])
    intended = ["portrait"] * 6 + ["cityscape"] * 6
    rows = genre_figures(probe, images, intended, world, world)
    assert list(rows) == ["portrait", "cityscape", "all"]
    assert rows["cityscape"]["samples"] == 6 and rows["all"]["samples"] == 12
    assert rows["portrait"]["frechet"] == rows["portrait"]["floor"] and rows["portrait"]["diversity"] == 1.0
    read = read_images(probe, images).genre
    assert rows["all"]["genre_share"] == np.mean(read == np.array([0] * 6 + [3] * 6))
    assert genre_figures(probe, world["cityscape"], "cityscape", world)["cityscape"]["samples"] == 6


def test_shipped_probe_reads_the_genre():
    probe = load_probe()
    samples = [render_sample(s, 64, g) for g in GENRES for s in range(5_000_000, 5_000_008)]
    read = read_images(probe, np.stack([s.image for s in samples]))
    assert (read.genre == np.repeat(np.arange(len(GENRES)), 8)).mean() >= 0.95


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
