"""Training images as a pure function of the step: the batch of step ``s`` on rank ``r`` never depends on
what ran before, so a resumed run reads exactly what an uninterrupted one would, and loading can happen in
any number of DataLoader worker processes ahead of the GPU.

Global image index ``i = s * batch + r * per_rank + k``. A folder, and a world cache of N pre-rendered
portraits, are read in a fresh permutation per epoch (seeded by ``(seed, epoch)``; with ``xflip`` a folder
doubles into originals and mirrors); the streamed world renders ``world_seed(seed, i)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..images import ImageError, fit_image, load_image
from .world_cache import world_seed

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})


@dataclass
class FolderScan:
    """The readable images of a folder (relative paths, sorted) and how many image files were not."""

    root: Path
    files: list[str]
    skipped: int


class _ReadCheck(Dataset):
    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> bool:
        try:
            load_image(self.paths[i])
            return True
        except ImageError:
            return False


def scan_folder(root: str | Path, workers: int = 0) -> FolderScan:
    """Find image files under ``root`` recursively and decode each once, so unreadable ones are skipped up front.

    Raises ValueError when the folder is missing or holds no readable image.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: no such folder of training images.")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    loader = DataLoader(_ReadCheck(paths), batch_size=None, num_workers=workers, generator=torch.Generator())
    ok = [p for p, good in zip(paths, loader) if good]
    if not ok:
        unreadable = f" ({len(paths)} image files could not be read)" if paths else ""
        raise ValueError(f"{root}: the folder has no readable images{unreadable}.")
    return FolderScan(root, [p.relative_to(root).as_posix() for p in ok], len(paths) - len(ok))


class StepBatches(Dataset):
    """Map-style dataset whose item ``step`` is this rank's uint8 batch (n, 3, R, R) of that step.

    The data is ``folder``, else ``world_cache`` (pre-rendered world images, N x S x S x 3), else the world streamed.
    """

    def __init__(
        self, resolution: int, batch: int, rank: int, world_size: int, seed: int,
        folder: Optional[FolderScan] = None, xflip: bool = False, world_cache: Optional[np.ndarray] = None,
    ) -> None:
        self.resolution, self.batch, self.seed, self.folder, self.xflip = resolution, batch, seed, folder, xflip
        self.world_cache = world_cache
        self.per_rank = batch // world_size
        self.offset = rank * self.per_rank
        self._epoch, self._perm = -1, np.empty(0, np.int64)

    def __len__(self) -> int:  # steps are unbounded; the sampler says which ones to load
        return 2**62

    def __getitem__(self, step: int) -> torch.Tensor:
        start = step * self.batch + self.offset
        indices = range(start, start + self.per_rank)
        if self.folder is not None:
            imgs = [self._folder_image(i) for i in indices]
        else:
            if self.world_cache is not None:
                rendered = self.world_cache[[self._permuted(i, len(self.world_cache)) for i in indices]]
            else:
                from ..world import render_batch  # imported lazily: only world runs pay for it

                rendered = render_batch([world_seed(self.seed, i) for i in indices], world_size(self.resolution))
            imgs = [im if im.shape[0] == self.resolution else fit_image(im, self.resolution) for im in rendered]
        return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous()

    def _permuted(self, index: int, n: int) -> int:
        """Where global image ``index`` falls in a data set of ``n`` items read in a new order every epoch."""
        epoch, k = divmod(index, n)
        if epoch != self._epoch:
            self._epoch, self._perm = epoch, np.random.default_rng([self.seed, epoch]).permutation(n)
        return int(self._perm[k])

    def _folder_image(self, index: int) -> np.ndarray:
        files = self.folder.files
        j = self._permuted(index, len(files) * (2 if self.xflip else 1))
        name = files[j % len(files)]
        try:
            img = fit_image(load_image(self.folder.root / name), self.resolution)
        except ImageError as e:  # readable at the scan, changed since: say so rather than train on a gap
            raise ValueError(f"{e} (it was readable when training started)") from None
        return img[:, ::-1] if j >= len(files) else img


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)  # decoding is numpy/Pillow work; torch threads would only fight the trainer


def batch_loader(dataset: StepBatches, start: int, stop: int, workers: int, pin: bool) -> DataLoader:
    """Yield ``dataset[start] .. dataset[stop - 1]`` in order, loaded by ``workers`` processes ahead of use."""
    return DataLoader(
        dataset, batch_size=None, sampler=range(start, stop), num_workers=workers, pin_memory=pin,
        prefetch_factor=4 if workers else None, worker_init_fn=_worker_init if workers else None,
        generator=torch.Generator(),  # DataLoader draws a base seed; keep it off the global RNG we checkpoint
    )


def world_size(resolution: int) -> int:
    """The size the world is rendered at for a run of ``resolution`` px (the world draws 32 px and up)."""
    return max(resolution, 32)


def describe(scan: Optional[FolderScan], world_cache: int = 0) -> str:
    if scan is None and world_cache:
        return f"world: the first {world_cache:,} procedural painted portraits of the run's seed, pre-rendered"
    if scan is None:
        return "world: procedural painted portraits, streamed (studio.engine.world)"
    skipped = f", {scan.skipped} unreadable files skipped" if scan.skipped else ""
    return f"folder {scan.root}: {len(scan.files)} images{skipped}"
