"""The face probe: its targets from records, training on a few portraits, its figures, and the shipped probe
telling world faces with their features from faces without."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.world.attributes import FACE_PARTS
from studio.engine.world.face_crop import FACE_SIZE, world_faces
from studio.engine.world.face_probe import (
    EYE_COLOR_NAMES,
    FaceProbe,
    evaluate_faces,
    face_figures,
    face_targets,
    load_face_probe,
    mottle,
    read_faces,
    train_face_probe,
)
from studio.engine.world.sample import render_image

ALL = ("eye_l", "eye_r", "nose", "mouth")


@pytest.fixture(scope="module")
def portraits() -> tuple[np.ndarray, list[dict]]:
    parts = [(), ("eye_l",), ("eye_l", "eye_r"), ALL]
    rendered = [render_image(s, 64, parts[s % 4]) for s in range(12)]
    return np.stack([r[0] for r in rendered]), [r[1] for r in rendered]


def test_targets_follow_the_unpainted_parts(portraits):
    _, records = portraits
    t = face_targets(records[:4])
    assert t["parts"].tolist() == [[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]
    colour = EYE_COLOR_NAMES.index(records[1]["eyes"]["color"])
    assert t["eye_color"][1] == colour and t["eye_color"][2] < 0 and t["eye_color"][3] < 0  # no eye, no colour
    assert t["mouth"].tolist() == [True, True, True, False]


def test_face_probe_trains_reads_and_measures(portraits):
    images, records = portraits
    crops = world_faces(images, records)
    a = train_face_probe(images, records, steps=8, batch=4, seed=1)
    b = train_face_probe(images, records, steps=8, batch=4, seed=1)
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    r = read_faces(a, crops)
    assert r.features.shape == (12, 128) and r.parts.shape == (12, len(FACE_PARTS))
    assert ((r.parts >= 0) & (r.parts <= 1)).all() and r.formed.dtype == bool
    assert r.eye_color.max() < len(EYE_COLOR_NAMES) and r.turn.shape == (12,)
    figures = evaluate_faces(a, crops, records)
    assert {"eye_l_acc", "mouth_acc", "formed_share_complete", "formed_share_incomplete", "eye_color_acc",
            "face_shape_acc", "smile_mae", "turn_mae"} <= set(figures)
    same = face_figures(r, r)
    assert abs(same["face_frechet"]) < 1e-3 and same["formed"] == r.formed.mean()
    with pytest.raises(ValueError, match="32 px"):
        read_faces(a, torch.zeros(1, 3, 64, 64))


def test_shipped_face_probe_tells_formed_faces():
    """World portraits it never saw read as formed faces; the same portraits without features read as not."""
    seeds = range(5_000_000, 5_000_012)
    whole = [render_image(s, 64) for s in seeds]
    blank = [render_image(s, 64, ALL) for s in seeds]
    probe = load_face_probe()
    formed = read_faces(probe, world_faces(np.stack([r[0] for r in whole]), [r[1] for r in whole])).formed
    featureless = read_faces(probe, world_faces(np.stack([r[0] for r in blank]), [r[1] for r in blank]))
    assert formed.mean() >= 0.75 and not featureless.formed.any()
    assert (featureless.parts < 0.5).mean() >= 0.9


def test_mottle_adds_blotches_of_a_bounded_strength():
    x = torch.zeros(64, 3, FACE_SIZE, FACE_SIZE)
    assert torch.equal(mottle(x, torch.Generator().manual_seed(0), most=0.0), x)
    noisy = mottle(x, torch.Generator().manual_seed(0), most=0.1)
    spread = noisy.flatten(1).std(1)
    assert noisy.shape == x.shape and 0 < spread.mean() < 0.15 and spread.max() > 2 * spread.min()  # strength varies


def test_face_probe_takes_face_crops():
    assert FaceProbe().eval()(torch.zeros(2, 3, FACE_SIZE, FACE_SIZE))["features"].shape == (2, 128)
