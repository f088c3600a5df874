"""The procedural painting world: deterministic, well-formed ground truth in four genres, dataset writer,
and portraits bit-identical to the ones the shipped models were trained and measured on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine.jobs import Cancelled, CancelToken
from studio.engine.world import (
    BACKGROUNDS,
    COMPOSITIONS,
    GENRE_MASKS,
    GENRES,
    HAIR_COLORS,
    MASK_LABELS,
    WorldSample,
    cityscape,
    genre_list,
    landscape,
    render_batch,
    render_sample,
    sample_attributes,
    still_life,
    write_dataset,
)
from studio.engine.world.attributes import ATTRIBUTE_KEYS, FACE_PARTS
from studio.engine.world.sample import render_image

SMALL = 64


@pytest.fixture(scope="module")
def samples() -> list[WorldSample]:
    return [render_sample(seed, SMALL) for seed in range(12)]


def test_same_seed_same_pixels():
    a, b = render_sample(7, SMALL), render_sample(7, SMALL)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.sketch, b.sketch)
    assert all(np.array_equal(a.masks[k], b.masks[k]) for k in MASK_LABELS)
    assert a.attributes == b.attributes
    assert np.array_equal(render_batch([7], SMALL)[0], a.image)


@pytest.mark.parametrize("size", [32, 128, 256])
def test_shapes_and_dtypes(size):
    s = render_sample(3, size)
    assert s.image.shape == (size, size, 3) and s.image.dtype == np.uint8
    assert s.sketch.shape == (size, size) and s.sketch.dtype == np.uint8
    assert set(s.masks) == set(MASK_LABELS)
    assert all(m.shape == (size, size) and m.dtype == bool for m in s.masks.values())


def test_batch_shape():
    batch = render_batch([0, 1, 2], 32)
    assert batch.shape == (3, 32, 32, 3) and batch.dtype == np.uint8


def test_too_small_is_refused():
    with pytest.raises(ValueError):
        render_sample(0, 16)


def test_attributes_do_not_depend_on_size():
    assert render_sample(5, 32).attributes == render_sample(5, SMALL).attributes == sample_attributes(5)


def test_masks_partition_the_image(samples):
    for s in samples:
        total = sum(m.astype(np.int32) for m in s.masks.values())
        assert (total == 1).all()
        assert np.array_equal(s.label_map == MASK_LABELS["hair"], s.masks["hair"])


def test_every_region_present_in_typical_samples(samples):
    for s in samples:
        for name, m in s.masks.items():
            assert m.any(), (s.attributes["composition"], s.attributes["hair"]["style"], name)
        assert s.masks["face"].mean() > 0.01


def test_sketch_is_mostly_paper_with_some_ink(samples):
    for s in samples:
        ink = (s.sketch < 128).mean()
        assert 0.01 < ink < 0.25
        assert (s.sketch == 255).mean() > 0.6


def test_attributes_are_json_with_documented_keys(samples):
    for s in samples:
        a = s.attributes
        assert json.loads(json.dumps(a)) == a
        assert set(ATTRIBUTE_KEYS) <= set(a)
        assert set(a["head"]) == {"x", "y", "scale", "tilt_deg", "turn"}
        assert 0 <= a["head"]["x"] <= 1 and 0 <= a["head"]["y"] <= 1 and -1 <= a["head"]["turn"] <= 1
        assert a["hair"]["color"] in HAIR_COLORS and len(a["hair"]["rgb"]) == 3
        assert a["background"]["kind"] in BACKGROUNDS
        assert COMPOSITIONS[a["composition_index"]].name == a["composition"]


def test_different_seeds_differ(samples):
    diffs = [np.abs(a.image.astype(int) - b.image.astype(int)).mean() for a, b in zip(samples, samples[1:])]
    assert min(diffs) > 10


def test_every_composition_and_background_is_reachable():
    records = [sample_attributes(seed) for seed in range(200)]
    assert {r["composition"] for r in records} == {c.name for c in COMPOSITIONS}
    assert {r["background"]["kind"] for r in records} == set(BACKGROUNDS)
    assert any(not r["hair"]["natural"] for r in records)


def test_compositions_are_visible_in_the_masks():
    """Head placement and size must show in the pixels, not only in the record."""
    by_class: dict[str, list[int]] = {}
    for seed in range(200):
        by_class.setdefault(sample_attributes(seed)["composition"], []).append(seed)

    def face_stats(name: str) -> tuple[float, float]:
        xs, areas = [], []
        for seed in by_class[name][:3]:
            face = render_sample(seed, SMALL).masks["face"][: SMALL * 2 // 3]  # above the chest
            xs.append(np.nonzero(face)[1].mean() / SMALL)
            areas.append(face.mean())
        return float(np.mean(xs)), float(np.mean(areas))

    left, right = face_stats("left-three-quarter"), face_stats("right-three-quarter")
    close, centre, far = face_stats("close-up"), face_stats("center-frontal"), face_stats("distant")
    assert left[0] < 0.47 < 0.53 < right[0]
    assert close[1] > centre[1] > far[1]


def test_write_dataset(tmp_path):
    seen = []
    out = write_dataset(tmp_path / "world", count=3, size=32, start_seed=10, progress=seen.append).path
    for sub in ("images", "sketches", "masks"):
        assert sorted(p.name for p in (out / sub).iterdir()) == ["000010.png", "000011.png", "000012.png"]
    assert Image.open(out / "images" / "000011.png").size == (32, 32)
    labels = np.asarray(Image.open(out / "masks" / "000011.png"))
    assert labels.dtype == np.uint8 and set(np.unique(labels)) <= set(MASK_LABELS.values())
    assert np.array_equal(labels, render_sample(11, 32).label_map)
    lines = (out / "attributes.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["seed"] for r in records] == [10, 11, 12]
    assert records[1]["composition"] == sample_attributes(11)["composition"]
    assert [p.done for p in seen] == [1, 2, 3] and seen[-1].total == 3


def test_write_dataset_cancels(tmp_path):
    token = CancelToken()

    def cancel_after_two(p):
        if p.done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        write_dataset(tmp_path, count=10, size=32, progress=cancel_after_two, token=token)
    assert len(list((tmp_path / "images").iterdir())) == 2
    # the finished samples keep their records, so adding to the data set later continues after them
    assert [json.loads(line)["seed"] for line in (tmp_path / "attributes.jsonl").read_text().splitlines()] == [0, 1]


def test_unpainted_face_parts_change_only_the_face():
    s = render_sample(4, 128)  # a close-up: features several pixels wide
    whole, record = render_image(4, 128)
    assert np.array_equal(whole, s.image) and "unpainted" not in record
    head = record["head"]
    rows = slice(int((head["y"] - head["scale"]) * 128), int((head["y"] + head["scale"]) * 128) + 1)
    cols = slice(int((head["x"] - head["scale"]) * 128), int((head["x"] + head["scale"]) * 128) + 1)
    inside = np.zeros((128, 128), bool)
    inside[rows, cols] = True
    for part in FACE_PARTS:
        image, rec = render_image(4, 128, [part])
        changed = np.abs(image.astype(int) - whole.astype(int)).max(2) > 0
        assert rec["unpainted"] == [part] and changed.any(), part
        assert not (changed & ~inside).any() and not (changed & ~s.masks["face"]).any(), part
    _, rec = render_image(4, 128, ("mouth", "eye_l", "nose", "eye_r"))
    assert rec["unpainted"] == list(FACE_PARTS)
    with pytest.raises(ValueError, match="ears is not a face part"):
        render_image(4, 64, ["ears"])


# Portraits as they were before the other genres came: the trained default model, the shipped probe and the
# world caches on users' disks were all made from exactly these pixels (tests/data/pinned_portraits.npz).
# Records must match exactly; pixels may differ by a rounding step where another CPU's SIMD maths (numpy's
# exp/pow kernels differ in the last bit between instruction sets) tips a value over a .5 boundary.
PINNED = Path(__file__).resolve().parents[2] / "data" / "pinned_portraits.npz"
PINNED_SAMPLES = [(0, 64), (7, 64), (123, 128), (2024, 32)]


def _assert_close_pixels(got: np.ndarray, pinned: np.ndarray) -> None:
    diff = np.abs(got.astype(int) - pinned.astype(int))
    assert got.shape == pinned.shape and diff.max() <= 2 and (diff > 0).mean() < 0.002


@pytest.mark.parametrize("seed,size", PINNED_SAMPLES)
def test_portraits_match_the_pinned_ones(seed, size):
    pins = np.load(PINNED)
    s = render_sample(seed, size)
    record = {k: v for k, v in s.attributes.items() if k != "genre"}
    assert json.dumps(record, sort_keys=True).encode() == pins[f"{seed}_{size}_record"].tobytes()
    _assert_close_pixels(s.image, pins[f"{seed}_{size}_image"])
    _assert_close_pixels(s.sketch, pins[f"{seed}_{size}_sketch"])
    assert (s.label_map == pins[f"{seed}_{size}_labels"]).mean() > 0.998


def test_portrait_batches_match_the_pinned_ones():
    _assert_close_pixels(render_batch([3, 4, 5], 64), np.load(PINNED)["batch_3_4_5_64"])


# --- the other genres ------------------------------------------------------------------------------------

OTHERS = ("still_life", "landscape", "cityscape")
MODULES = {"still_life": still_life, "landscape": landscape, "cityscape": cityscape}


@pytest.fixture(scope="module")
def genre_samples() -> dict[str, list[WorldSample]]:
    return {g: [render_sample(seed, SMALL, g) for seed in range(10)] for g in OTHERS}


def test_the_four_genres():
    assert GENRES == ("portrait", "still_life", "landscape", "cityscape")
    assert GENRE_MASKS["portrait"] == tuple(MASK_LABELS)
    assert set(GENRE_MASKS) == set(GENRES)
    for g in OTHERS:
        assert GENRE_MASKS[g] == MODULES[g].MASKS


@pytest.mark.parametrize("genre", GENRES)
def test_genre_is_deterministic_and_size_free(genre):
    a, b = render_sample(11, SMALL, genre), render_sample(11, SMALL, genre)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.sketch, b.sketch)
    assert all(np.array_equal(a.masks[k], b.masks[k]) for k in GENRE_MASKS[genre])
    assert a.attributes == b.attributes == sample_attributes(11, genre) == render_sample(11, 32, genre).attributes
    assert a.genre == genre and a.attributes["genre"] == genre
    assert np.array_equal(render_batch([11], SMALL, genre)[0], a.image)


def test_record_genre_comes_first():
    for g in GENRES:
        assert next(iter(sample_attributes(3, g))) == "genre"
    assert sample_attributes(3) == sample_attributes(3, "portrait")


def test_genres_share_no_random_stream():
    images = [render_sample(5, SMALL, g).image.astype(int) for g in GENRES]
    assert min(np.abs(a - b).mean() for i, a in enumerate(images) for b in images[i + 1 :]) > 10


@pytest.mark.parametrize("genre", OTHERS)
def test_genre_ground_truth_is_well_formed(genre, genre_samples):
    for s in genre_samples[genre]:
        assert s.image.shape == (SMALL, SMALL, 3) and s.image.dtype == np.uint8
        assert s.sketch.shape == (SMALL, SMALL) and s.sketch.dtype == np.uint8
        assert tuple(s.masks) == GENRE_MASKS[genre]
        total = sum(m.astype(np.int32) for m in s.masks.values())
        assert (total == 1).all()  # the regions partition the image
        lm = s.label_map
        for i, name in enumerate(GENRE_MASKS[genre]):
            assert np.array_equal(lm == i, s.masks[name])
        assert json.loads(json.dumps(s.attributes)) == s.attributes
        assert set(MODULES[genre].ATTRIBUTE_KEYS) <= set(s.attributes)
        ink = (s.sketch < 128).mean()
        assert 0.01 < ink < 0.25 and (s.sketch == 255).mean() > 0.5
    runs = genre_samples[genre]
    diffs = [np.abs(a.image.astype(int) - b.image.astype(int)).mean() for a, b in zip(runs, runs[1:])]
    assert min(diffs) > 5


@pytest.mark.parametrize("genre", OTHERS)
def test_every_region_shows_up(genre, genre_samples):
    seen = {name for s in genre_samples[genre] for name, m in s.masks.items() if m.any()}
    always = {"still_life": {"background", "table", "vase", "flowers", "foliage"},
              "landscape": {"sky", "hills", "ground"}, "cityscape": {"sky", "buildings", "windows", "street"}}[genre]
    for s in genre_samples[genre]:
        assert all(s.masks[name].mean() > 0.003 for name in always), s.attributes
    if genre != "landscape":  # water comes in half the landscapes, so it is checked by the next test
        assert seen == set(GENRE_MASKS[genre])


def test_main_attributes_are_reachable_and_visible():
    lives = [sample_attributes(seed, "still_life") for seed in range(300)]
    assert {r["flowers"]["color"] for r in lives} == set(still_life.FLOWER_COLORS)
    assert {r["vase"]["position"] for r in lives} == set(still_life.VASE_POSITIONS)
    lands = [sample_attributes(seed, "landscape") for seed in range(300)]
    assert {r["sky"]["kind"] for r in lands} == set(landscape.SKY_KINDS)
    assert {r["season"]["name"] for r in lands} == set(landscape.SEASONS)
    assert {r["water"]["kind"] for r in lands} == set(landscape.WATER_KINDS)
    assert 0.35 < np.mean([r["water"]["present"] for r in lands]) < 0.65
    towns = [sample_attributes(seed, "cityscape") for seed in range(300)]
    assert {r["time"] for r in towns} == set(cityscape.TIMES)

    # The vase stands where the record says; water shows exactly when there is some; night is dark.
    def vase_x(position: str) -> float:
        seeds = [i for i, r in enumerate(lives) if r["vase"]["position"] == position][:3]
        columns = [np.nonzero(render_sample(s, SMALL, "still_life").masks["vase"])[1].mean() for s in seeds]
        return float(np.mean(columns))

    assert vase_x("left") < vase_x("center") - 5 < vase_x("right") - 10
    for seed in range(12):
        s = render_sample(seed, SMALL, "landscape")
        assert s.masks["water"].any() == s.attributes["water"]["present"]
    seeds = {t: [i for i, r in enumerate(towns) if r["time"] == t][:4] for t in cityscape.TIMES}
    mean = {t: np.mean([render_sample(i, SMALL, "cityscape").image.mean() for i in seeds[t]]) for t in cityscape.TIMES}
    assert mean["night"] < mean["dusk"] < mean["day"]


def test_mixed_batches():
    names = ["landscape", "portrait", "cityscape"]
    batch = render_batch([4, 5, 6], 32, names)
    for img, seed, g in zip(batch, [4, 5, 6], names):
        assert np.array_equal(img, render_sample(seed, 32, g).image)
    assert genre_list("all", 6) == list(GENRES) + list(GENRES[:2])
    mixed = render_batch([1, 2, 3, 4], 32, "all")
    assert np.array_equal(mixed[2], render_sample(3, 32, "landscape").image)


def test_bad_genres_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown genre 'seascape'"):
        render_sample(0, 32, "seascape")
    with pytest.raises(ValueError, match="unknown genre"):
        sample_attributes(0, "all")  # one sample has one genre
    with pytest.raises(ValueError, match="2 genres were given for 3 seeds"):
        render_batch([0, 1, 2], 32, ["portrait", "landscape"])


def test_write_dataset_in_all_genres(tmp_path):
    out = write_dataset(tmp_path / "world", count=4, size=32, start_seed=20, genre="all").path
    records = [json.loads(line) for line in (out / "attributes.jsonl").read_text().splitlines()]
    assert [r["genre"] for r in records] == list(GENRES)
    labels = np.asarray(Image.open(out / "masks" / "000022.png"))
    assert np.array_equal(labels, render_sample(22, 32, "landscape").label_map)
