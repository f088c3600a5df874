"""Two CPU processes with the gloo backend train one run in DistributedDataParallel and stay in sync (with the
face-crop critic on, so its D_face is kept in sync too)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import torch
import torch.multiprocessing as mp

from studio.engine.train import Trainer, list_checkpoints, load_checkpoint, preset


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world_size: int, port: int, out: str) -> None:
    """One torchrun-style rank: the environment torchrun would set, a short run, then its state for the test."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world_size),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    cfg = preset(
        "tiny32", out_dir=out, batch=8, steps=4, checkpoint_every=2, sample_every=2, workers=0, r1_interval=2,
        pl_weight=2.0, pl_interval=2, augment="ada", ada_kimg=0.02, ada_target=-1.0, face_critic=1.0,
    )
    trainer = Trainer(cfg)
    lock = (Path(out) / ".lock").read_text()  # rank 0 locked the folder before the ranks' first exchange
    trainer.run()
    state = {"pid": os.getpid(), "lock": lock,
        "G": trainer.G.state_dict(), "G_ema": trainer.G_ema.state_dict(), "D": trainer.D.state_dict(),
        "D_face": trainer.face.D.state_dict(),
        "pl_mean": trainer.loss.pl_mean, "p": trainer.augment.p, "batch": trainer.dataset.per_rank,
    }
    torch.save(state, Path(out).parent / f"rank{rank}.pt")


def test_two_gloo_ranks_stay_in_sync(tmp_path):
    out = tmp_path / "run"
    mp.spawn(_rank_main, args=(2, _free_port(), str(out)), nprocs=2, join=True)

    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["batch"] == r1["batch"] == 4  # the global batch of 8, split
    for part in ("G", "G_ema", "D", "D_face"):
        for name, t in r0[part].items():
            assert torch.equal(t, r1[part][name]), f"{part}.{name} differs between ranks"
    assert torch.equal(r0["pl_mean"], r1["pl_mean"]) and r0["p"] == r1["p"] > 0

    ckpt = load_checkpoint(list_checkpoints(out)[-1])  # only rank 0 writes, with both ranks' RNG states
    assert ckpt["step"] == 4 and ckpt["images_seen"] == 32 and len(ckpt["rng"]) == 2
    assert not torch.equal(ckpt["rng"][0]["torch"], ckpt["rng"][1]["torch"])
    assert (out / "model.safetensors").is_file() and len(list((out / "samples").iterdir())) == 2
    assert r0["lock"] == r1["lock"] == f"{r0['pid']}\n" and not (out / ".lock").exists()  # rank 0 held it
