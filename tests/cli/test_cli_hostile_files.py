"""Hostile and damaged files given to the command line: one line naming the file, nothing allocated or run."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from studio.cli import main
from studio.engine import save_model
from studio.engine.train import list_checkpoints
from tests.conftest import make_tiny_pair, write_sketch_folder


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


@pytest.fixture
def huge_pkl(tmp_path):
    """A pickle of a hundred-odd bytes that declares a 931 GB numpy array."""
    reconstruct = np.zeros(1).__reduce__()[0]

    class Array:
        def __reduce__(self):
            return reconstruct, (np.ndarray, (10**6, 10**6), b"b")

    path = tmp_path / "huge.pkl"
    path.write_bytes(pickle.dumps({"G_ema": Array()}, protocol=4))
    return path


def test_info_and_train_init_refuse_a_tiny_pickle_declaring_a_huge_array(huge_pkl, tmp_path, capsys):
    assert main(["info", str(huge_pkl)]) == 2
    assert _one_line(capsys).startswith(f"studio info: {huge_pkl}: refused to load: it declares 953,674 MB of arrays")
    assert main(["train", "--preset", "tiny32", "--init", str(huge_pkl), "--out", str(tmp_path / "run")]) == 2
    assert _one_line(capsys).startswith(f"studio train: {huge_pkl}: refused to load: it declares 953,674 MB")


def test_train_resume_auto_skips_a_text_file_named_as_a_checkpoint(tmp_path, capsys):
    torch.set_num_threads(1)
    out = tmp_path / "run"
    argv = ["train", "--preset", "tiny32", "--out", str(out), "--steps", "1", "--batch", "4", "--workers", "0",
            "--augment", "none"]
    assert main(argv) == 0
    (out / "checkpoints" / "ckpt-00000005.pt").write_text("hello, I am not a checkpoint\n")
    capsys.readouterr()
    assert main([*argv, "--resume", "auto", "--steps", "2"]) == 0
    assert ("warning: skipped ckpt-00000005.pt, not a readable training checkpoint (it is not a PyTorch file); "
            f"resuming {out / 'checkpoints' / 'ckpt-00000001.pt'} at step 1") in capsys.readouterr().out
    assert [p.name for p in list_checkpoints(out)] == ["ckpt-00000001.pt", "ckpt-00000002.pt", "ckpt-00000005.pt"]


def test_customize_resume_from_a_text_checkpoint_is_one_sentence(tmp_path, capsys):
    model = save_model(tmp_path / "m.safetensors", *make_tiny_pair())
    write_sketch_folder(tmp_path / "sketches", 32)
    out = tmp_path / "custom.safetensors"
    (tmp_path / "custom.customize.pt").write_text("hello, I am not a checkpoint\n")
    assert main(["customize", "--model", str(model), "--sketches", str(tmp_path / "sketches"), "--world",
                 "--steps", "1", "--out", str(out), "--resume"]) == 2
    assert _one_line(capsys) == (f"studio customize: {tmp_path / 'custom.customize.pt'}: not a readable "
                                 "customization checkpoint (it is not a PyTorch file).")
    assert not out.exists()
