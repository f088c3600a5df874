"""`studio train --init MODEL --data DIR` on a small folder: few-shot defaults printed, options given kept."""

from __future__ import annotations

import torch

from studio.cli import main
from studio.engine import load_model, save_model
from studio.engine.train import list_checkpoints, load_checkpoint
from tests.conftest import write_pictures


def test_small_folder_gets_few_shot_defaults_except_what_was_given(tmp_path, tiny_pair, capsys):
    torch.set_num_threads(1)
    model = save_model(tmp_path / "m.safetensors", *tiny_pair)
    write_pictures(tmp_path / "pics")
    out = tmp_path / "run"
    argv = ["train", "--preset", "tiny32", "--init", str(model), "--data", str(tmp_path / "pics"), "--out", str(out),
            "--steps", "2", "--batch", "4", "--workers", "0", "--augment", "none"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "6 pictures: few-shot settings (for folders under 5,000 pictures)." in printed
    assert "Kept your augment='none'" in printed and "Mirror images on" in printed
    cfg = load_checkpoint(list_checkpoints(out)[-1])["config"]
    assert (cfg["augment"], cfg["xflip"], cfg["lr"], cfg["init"]) == ("none", True, 0.0025, str(model))
    assert load_model(out / "model.safetensors").G.resolution == 32
    assert main(argv + ["--resume", "auto", "--steps", "3"]) == 0  # resuming: nothing new is decided or printed
    assert "few-shot" not in capsys.readouterr().out


def test_train_on_a_folder_another_run_holds_is_refused_in_one_line(tmp_path, capsys):
    import os

    from studio.engine.locks import lock_run

    out = tmp_path / "run"
    with lock_run(out / ".lock", out):  # the other run (the lock is per open file, so this process counts)
        assert main(["train", "--preset", "tiny32", "--out", str(out), "--steps", "1", "--workers", "0"]) == 2
        err = capsys.readouterr().err
        assert err == (f"studio train: {out} is in use by another GAN Studio run (process {os.getpid()}); let it "
                       "finish or stop it, or choose another output.\n")
        assert sorted(p.name for p in out.iterdir()) == [".lock"]  # nothing of the refused run was written
