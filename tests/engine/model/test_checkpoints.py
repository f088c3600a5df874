"""Every format loads to the same pictures; every bad file gets one clear CheckpointError and runs nothing."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from studio.engine import CheckpointError, load_model, save_model
from studio.engine.edit.latents import z_from_seeds
from tests.formats import write_nvidia, write_rosinality


def _same_pictures(a, b, tol=1e-5):
    z = z_from_seeds(range(3), a.G.z_dim)
    for psi in (1.0, 0.7):
        torch.testing.assert_close(a.G.mapping(z, truncation_psi=psi), b.G.mapping(z, truncation_psi=psi),
                                   atol=tol, rtol=tol)
        torch.testing.assert_close(a.G(z, truncation_psi=psi), b.G(z, truncation_psi=psi), atol=tol, rtol=tol)
    img = a.G(z)
    if a.D is not None:
        torch.testing.assert_close(a.D(img), b.D(img), atol=tol, rtol=tol)


@pytest.fixture
def studio_file(tmp_path, tiny_pair):
    G, D = tiny_pair
    return save_model(tmp_path / "tiny.safetensors", G, D, card={"training": {"steps": 0}})


def test_studio_round_trip(studio_file, tiny_pair):
    m = load_model(studio_file)
    G, D = tiny_pair
    assert m.format == "studio" and m.G.num_ws == 8 and m.G.resolution == 32
    assert m.card["training"] == {"steps": 0} and m.card["architecture"]["generator"]["resolution"] == 32
    z = z_from_seeds([1, 2], 64)
    torch.testing.assert_close(m.G(z, truncation_psi=0.5), G(z, truncation_psi=0.5), rtol=0, atol=0)
    torch.testing.assert_close(m.D(G(z)), D(G(z)), rtol=0, atol=0)
    torch.testing.assert_close(m.G.w_avg, G.w_avg, rtol=0, atol=0)


def test_rosinality_layout_matches_studio(tmp_path, studio_file, tiny_pair):
    G, D = tiny_pair
    ros = load_model(write_rosinality(tmp_path / "ros.pt", G, D))
    assert ros.format == "rosinality" and ros.contents == ["g_ema", "d", "latent_avg"]
    _same_pictures(ros, load_model(studio_file))


def test_rosinality_training_layout_with_args_loads(tmp_path, tiny_pair):
    import argparse

    G, D = tiny_pair
    path = write_rosinality(tmp_path / "train.pt", G, D)
    ckpt = torch.load(path, weights_only=True)
    ckpt.update(g=ckpt["g_ema"], args=argparse.Namespace(size=32, n_mlp=2), g_optim={}, d_optim={})
    torch.save(ckpt, path)
    m = load_model(path)
    assert "args" in m.contents and m.D is not None


def test_rosinality_without_latent_avg_estimates_it(tmp_path, tiny_pair):
    G, _ = tiny_pair
    m = load_model(write_rosinality(tmp_path / "g.pt", G, latent_avg=False))
    assert m.D is None and "estimated" in m.card["w_avg"]
    z = torch.randn(2000, 64, generator=torch.Generator().manual_seed(5))
    assert (m.G.w_avg - G.mapping(z)[:, 0].mean(0)).norm() < 0.2 * G.mapping(z)[:, 0].std(0).norm()


def test_nvidia_layout_matches_studio(tmp_path, studio_file, tiny_pair):
    G, D = tiny_pair
    nv = load_model(write_nvidia(tmp_path / "snap.pkl", G, D))
    assert nv.format == "nvidia" and {"G_ema", "G", "D"} <= set(nv.contents)
    _same_pictures(nv, load_model(studio_file))


def test_nvidia_g_ema_only(tmp_path, tiny_pair):
    G, _ = tiny_pair
    m = load_model(write_nvidia(tmp_path / "g.pkl", G, None, include_g=False))
    assert m.D is None and m.contents == ["G_ema", "training_set_kwargs"]


def test_convert_keeps_pictures(tmp_path, tiny_pair):
    G, D = tiny_pair
    nv = load_model(write_nvidia(tmp_path / "snap.pkl", G, D))
    out = save_model(tmp_path / "conv.safetensors", nv.G, nv.D)
    _same_pictures(nv, load_model(out), tol=0)


# --- bad input ---------------------------------------------------------------------------------------------


class _Payload:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


@pytest.mark.parametrize("wrap", [lambda p: p, lambda p: {"G_ema": p}, lambda p: {"G_ema": None, "x": [p]}])
def test_hostile_pickle_never_runs(tmp_path, wrap):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(wrap(_Payload(marker))))
    with pytest.raises(CheckpointError, match=r"evil\.pkl: refused.*system"):
        load_model(path)
    assert not marker.exists()


def test_hostile_torch_file_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"g_ema": _Payload(marker)}, path)
    with pytest.raises(CheckpointError, match=r"evil\.pt"):
        load_model(path)
    assert not marker.exists()


def test_hostile_pickle_with_pt_suffix_in_zip(tmp_path):
    """A classic pickle hidden behind a .pt name is still read with weights_only and refused."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil2.pt"
    path.write_bytes(pickle.dumps({"g_ema": _Payload(marker)}))
    with pytest.raises(CheckpointError, match=r"evil2\.pt"):
        load_model(path)
    assert not marker.exists()


def _truncated(tmp_path, src, name):
    data = src.read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_files(tmp_path, studio_file, tiny_pair):
    G, D = tiny_pair
    files = [
        _truncated(tmp_path, studio_file, "cut.safetensors"),
        _truncated(tmp_path, write_rosinality(tmp_path / "r.pt", G, D), "cut.pt"),
        _truncated(tmp_path, write_nvidia(tmp_path / "n.pkl", G, D), "cut.pkl"),
    ]
    for path in files:
        with pytest.raises(CheckpointError, match=path.name):
            load_model(path)


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.pt", b"", "empty"),
        ("garbage.pkl", os.urandom(4096), "garbage.pkl"),
        ("garbage.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}", "garbage.safetensors"),
        ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "unsupported file type"),
        ("list.pkl", pickle.dumps([1, 2, 3]), "not a stylegan2-ada"),
    ],
)
def test_garbage_files(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=message):
        load_model(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_model(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="folder"):
        load_model(tmp_path)


def test_other_architecture(tmp_path):
    path = tmp_path / "resnet.pt"
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Linear(8, 2)).state_dict(), path)
    with pytest.raises(CheckpointError, match="not a rosinality StyleGAN2 checkpoint"):
        load_model(path)


def test_wrong_shapes_name_the_tensor(tmp_path, tiny_pair):
    G, D = tiny_pair
    path = write_rosinality(tmp_path / "bad.pt", G, D)
    ckpt = torch.load(path, weights_only=True)
    ckpt["g_ema"]["conv1.conv.modulation.weight"] = torch.zeros(5, 5)
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match=r"bad\.pt: tensor synthesis\.b4\.conv1\.affine\.weight has shape"):
        load_model(path)


def test_plain_safetensors_is_not_a_model(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "weights.safetensors"
    save_file({"a": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="not a GAN Studio model"):
        load_model(path)


def test_nan_weights_are_refused(tmp_path, tiny_pair):
    G, D = tiny_pair
    with torch.no_grad():
        G.synthesis.b8.conv0.weight[0, 0, 0, 0] = float("nan")
    path = save_model(tmp_path / "nan.safetensors", G, D)
    with pytest.raises(CheckpointError, match="NaN"):
        load_model(path)


def test_saved_files_get_ordinary_permissions(studio_file):
    """Atomic writes go through a private temp file; the result must still be readable like any file."""
    mask = os.umask(0)
    os.umask(mask)
    assert studio_file.stat().st_mode & 0o777 == 0o666 & ~mask


def test_half_storage_halves_the_file_and_loads_as_float32(tmp_path, tiny_pair):
    G, D = tiny_pair
    full = save_model(tmp_path / "full.safetensors", G, D)
    half = save_model(tmp_path / "half.safetensors", G, D, half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    m = load_model(half)
    for name, t in m.G.state_dict().items():
        assert t.dtype == torch.float32, name
        torch.testing.assert_close(t, G.state_dict()[name], rtol=1e-3, atol=1e-3)


def test_shipped_model_names_stand_for_their_files(monkeypatch, tmp_path):
    from studio.engine.model import checkpoints

    genres = checkpoints.GENRES_MODEL
    assert checkpoints.model_files("genres") == [genres, genres.with_suffix(".json")]
    monkeypatch.setitem(checkpoints.SHIPPED_MODELS, "genres", tmp_path / "genres.safetensors")
    with pytest.raises(CheckpointError, match="genres.safetensors: the genres model is missing"):
        load_model("genres")
