"""One process per GPU under ``torchrun``: read RANK / WORLD_SIZE / LOCAL_RANK, pick the device, reduce.

Without those variables (or with WORLD_SIZE=1) everything here is a no-op, so the trainer has one code path.
"""

from __future__ import annotations

import inspect
import os
import warnings
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass
class Ranks:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # this trainer started the process group, so it ends it

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1


def setup(device: str) -> tuple[Ranks, torch.device]:
    """Join the torchrun job if there is one (nccl on CUDA, gloo on CPU) and return this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    ranks = Ranks(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", ranks.local_rank)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if ranks.active and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo", rank=ranks.rank, world_size=world)
        ranks.owns_group = True
    return ranks, dev


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` in DistributedDataParallel, without buffer syncs: the trainer averages the one buffer that
    changes (w_avg) itself; grads live in DDP's buckets, which saves a copy per step."""
    # torch 2.13 renamed broadcast_buffers (which also skipped the init sync; ours start identical anyway)
    renamed = "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
    no_sync = "forward_sync_buffers" if renamed else "broadcast_buffers"
    ids = [device.index] if device.type == "cuda" else None
    # D's 1-row output weight gets an equally valid but differently strided grad; torch warns, nothing is wrong
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    return DistributedDataParallel(module, device_ids=ids, gradient_as_bucket_view=True, **{no_sync: False})


def teardown(ranks: Ranks) -> None:
    if ranks.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def mean_(t: torch.Tensor, ranks: Ranks) -> torch.Tensor:
    """Average ``t`` over ranks in place."""
    if ranks.active:
        dist.all_reduce(t)
        t.div_(ranks.world_size)
    return t


def gather(obj: Any, ranks: Ranks) -> list:
    """Every rank's ``obj``, in rank order (pickled; for small things such as RNG states)."""
    if not ranks.active:
        return [obj]
    out = [None] * ranks.world_size
    dist.all_gather_object(out, obj)
    return out


def from_main(obj: Any, ranks: Ranks) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not ranks.active:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(ranks: Ranks) -> None:
    if ranks.active:
        dist.barrier()
