"""PCA directions (GANSpace) and the user's saved directions: maths, cache, storage."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.engine.edit import directions as D
from studio.engine.jobs import Cancelled, CancelToken


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GAN_STUDIO_DATA", str(tmp_path / "data"))


def test_pca_components_are_orthonormal_and_sorted(tiny_pair):
    G, _ = tiny_pair
    dirs = D.compute_pca(G, samples=2000, components=5)
    comps = np.stack([d.vector for d in dirs])
    assert comps.shape == (5, G.w_dim)
    np.testing.assert_allclose(comps @ comps.T, np.eye(5), atol=1e-4)
    stdevs = [d.scale for d in dirs]
    assert stdevs == sorted(stdevs, reverse=True) and stdevs[0] > 0
    assert [d.name for d in dirs] == ["PC1", "PC2", "PC3", "PC4", "PC5"]


def test_pca_stdev_matches_projection_of_samples(tiny_pair):
    G, _ = tiny_pair
    first = D.compute_pca(G, samples=4000, components=1)[0]
    with torch.no_grad():
        w = G.mapping(torch.randn(4000, G.z_dim, generator=torch.Generator().manual_seed(1)))[:, 0].numpy()
    proj = (w - w.mean(0)) @ first.vector
    assert proj.std() == pytest.approx(first.scale, rel=0.1)


def test_offset_moves_only_the_chosen_layers(tiny_pair):
    G, _ = tiny_pair
    d = D.compute_pca(G, samples=500, components=2)[0]
    off = d.offset(2.0, G.num_ws, "coarse")
    assert off.shape == (G.num_ws, G.w_dim)
    moved = [i for i in range(G.num_ws) if off[i].abs().sum() > 0]
    assert moved == [0, 1, 2, 3]
    torch.testing.assert_close(off[0], torch.from_numpy(d.vector) * 2.0 * d.scale)


def test_pca_is_cached_per_model_hash(tiny_pair, monkeypatch):
    G, _ = tiny_pair
    assert not D._pca_cache_path("abc", 500, 3).is_file()
    first = D.pca_directions(G, "abc", samples=500, components=3)
    assert D._pca_cache_path("abc", 500, 3).is_file()
    monkeypatch.setattr(D, "compute_pca", lambda *a, **k: pytest.fail("recomputed despite the cache"))
    again = D.pca_directions(G, "abc", samples=500, components=3)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.vector, b.vector)
        assert a.scale == pytest.approx(b.scale)


def test_damaged_cache_is_recomputed(tiny_pair):
    G, _ = tiny_pair
    D.pca_directions(G, "abc", samples=300, components=2)
    path = D._pca_cache_path("abc", 300, 2)
    path.write_bytes(b"not an npz")
    assert len(D.pca_directions(G, "abc", samples=300, components=2)) == 2


def test_pca_cancels_between_batches(tiny_pair):
    G, _ = tiny_pair
    token = CancelToken()
    reports = []

    def progress(p):
        reports.append(p)
        token.cancel()

    with pytest.raises(Cancelled):
        D.pca_directions(G, "abc", samples=3000, components=2, progress=progress, token=token)
    assert len(reports) == 1 and not D._pca_cache_path("abc", 3000, 2).is_file()


def test_saved_directions_round_trip_per_model():
    w_plus = np.random.RandomState(0).randn(8, 64).astype(np.float32)
    D.save_direction("m1", "smile", w_plus, layers="middle")
    D.save_direction("m1", "age", torch.ones(64))
    D.save_direction("m1", "smile", w_plus * 2, layers="fine")  # replaces, keeps one
    saved = D.saved_directions("m1")
    assert [d.name for d in saved] == ["age", "smile"]
    np.testing.assert_array_equal(saved[1].vector, w_plus * 2)
    assert saved[1].layers == "fine" and saved[1].kind == "saved"
    assert D.saved_directions("m2") == []


def test_saved_direction_names_and_shapes_are_checked():
    with pytest.raises(ValueError):
        D.save_direction("m1", "PC3", np.zeros(64))
    with pytest.raises(ValueError):
        D.save_direction("m1", "nan", np.full(64, np.nan))


def test_damaged_saved_file_reads_as_none(tmp_path):
    path = D._saved_path("m1")
    path.parent.mkdir(parents=True)
    path.write_text("{broken")
    assert D.saved_directions("m1") == []


def test_env_overrides_dirs(tmp_path):
    from studio.engine import paths

    assert paths.user_cache_dir() == tmp_path / "cache"
    assert paths.user_data_dir() == tmp_path / "data"


def test_w_plus_direction_with_wrong_layer_count_is_refused():
    d = D.Direction("x", np.zeros((3, 64), np.float32), kind="saved")
    with pytest.raises(ValueError):
        d.offset(1.0, 8)


def test_the_card_names_pca_directions_and_sets_their_layers():
    pcs = [D.Direction(f"PC{i}", np.ones(8, np.float32), 1.0) for i in (1, 2, 3, 4)]
    saved = D.Direction("blond", np.ones(8, np.float32), kind="saved")
    card = {"pca_names": {"PC1": "head turn", "PC2": "hair colour", "PC3": "  ", "blond": "x", "PC4": "tilt"},
            "pca_layers": {"PC1": "coarse", "PC2": "middle+fine", "PC4": "12-14"}}
    named = D.named_by_card([*pcs, saved], card, num_ws=10)
    assert [d.title for d in named] == ["PC1 · head turn", "PC2 · hair colour", "PC3", "PC4", "blond"]
    assert [d.layers for d in named] == ["coarse", "middle+fine", "all", "all", "all"]  # PC4's layers do not fit
    assert [d.name for d in named[:2]] == ["PC1", "PC2"]  # recipes keep using the PC number
    assert D.named_by_card(pcs, {"pca_names": ["head turn"]}, 10)[0].title == "PC1"  # a damaged card names nothing


def test_a_conditional_models_components_vary_within_the_classes(tiny_cond_pair):
    G, _ = tiny_cond_pair
    w, labels = D.sample_w(G, 900)
    assert labels.tolist()[:4] == [0, 1, 2, 0] and torch.bincount(labels).tolist() == [300, 300, 300]
    within = D.compute_pca(G, samples=900, components=3)
    overall = D.principal_directions(w, 3)

    def between_share(found) -> float:
        proj = (w - w.mean(0)) @ torch.from_numpy(np.stack([d.vector for d in found])).double().T
        means = torch.stack([proj[labels == k].mean(0) for k in range(3)])
        return float((means.var(0, unbiased=False) / proj.var(0, unbiased=False)).mean())

    # PCA over all classes spends its first components on the gaps between classes; within-class PCA does not
    assert between_share(overall) > 0.5 and between_share(within) < between_share(overall) / 2
    comps = np.stack([d.vector for d in within])
    np.testing.assert_allclose(comps @ comps.T, np.eye(3), atol=1e-4)
    centred = torch.cat([w[labels == k] - w[labels == k].mean(0) for k in range(3)])
    spread = (centred @ torch.from_numpy(comps[0]).double()).std().item()
    assert within[0].scale == pytest.approx(spread, rel=1e-2)  # one unit is one within-class sd
