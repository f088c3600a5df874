"""Training images as a pure function of the step: the batch of step ``s`` on rank ``r`` never depends on
what ran before, so a resumed run reads exactly what an uninterrupted one would, and loading can happen in
any number of DataLoader worker processes ahead of the GPU.

Global image index ``i = s * batch + r * per_rank + k``. A folder, and a world cache of N pre-rendered
portraits, are read in a fresh permutation per epoch (seeded by ``(seed, epoch)``; with ``xflip`` a folder
doubles into originals and mirrors); the streamed world renders ``world_seed(seed, i)``.

Class labels (conditional runs) come from the folder: its first-level sub-folders are the classes, in sorted
order of their names, and an image's class is the sub-folder it lies in, however deep. A conditional world run
(``genres``) paints the world's four genres in turn: image ``i`` is of class ``i % 4`` (``world_cache.world_labels``),
so a streamed batch of a multiple of four holds every genre equally, and a cached one draws from a balanced set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..images import ImageError, fit_image, load_fitted, load_image
from .world_cache import world_heads, world_images, world_labels

SKIPPED_NAMED = 5  # unreadable files the run's description names; the rest are counted
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})


@dataclass
class FolderScan:
    """The readable images of a folder (relative paths, sorted), how many image files were not (``unreadable``
    says which and why: from this scan, as a resumed run knows only the count), and the class names (its
    first-level sub-folders, sorted) when it was scanned for conditional training."""

    root: Path
    files: list[str]
    skipped: int
    classes: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def label(self, name: str) -> int:
        """The class index of file ``name`` (a relative path): the position of its first folder in ``classes``."""
        return self.classes.index(name.split("/", 1)[0])


class _ReadCheck(Dataset):
    """Decodes each file (reduced: only readability matters) and returns why it cannot be read, or None."""

    def __init__(self, paths: Sequence[Path], resolution: int) -> None:
        self.paths, self.resolution = paths, resolution

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> str | None:
        try:
            load_image(self.paths[i], reduce_to=self.resolution)
            return None
        except ImageError as e:
            return str(e)


def scan_folder(root: str | Path, workers: int = 0, classes: bool = False, resolution: int = 256) -> FolderScan:
    """Find image files under ``root`` recursively and decode each once (reduced to ``resolution``), so unreadable
    ones are skipped up front (and named: see ``describe``).

    With ``classes`` the first-level sub-folders holding readable images are the classes. Raises ValueError when
    the folder is missing or holds no readable image, or (``classes``) holds images outside the class
    sub-folders or fewer than two classes.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: no such folder of training images.")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    loader = DataLoader(_ReadCheck(paths, resolution), batch_size=None, num_workers=workers,
                        generator=torch.Generator())
    problems = list(loader)
    ok = [p for p, problem in zip(paths, problems) if problem is None]
    unreadable = [problem for problem in problems if problem is not None]
    if not ok:
        detail = f" ({len(paths)} image files could not be read; the first: {unreadable[0]})" if paths else ""
        raise ValueError(f"{root}: the folder has no readable images{detail}.")
    files = [p.relative_to(root).as_posix() for p in ok]
    if not classes:
        return FolderScan(root, files, len(unreadable), unreadable=unreadable)
    outside = [f for f in files if "/" not in f]
    if outside:
        many = f"{len(outside)} images lie" if len(outside) > 1 else "an image lies"
        raise ValueError(f"{root}: {many} outside the class sub-folders (e.g. {outside[0]}); for class-conditional "
                         "training every image must be inside a sub-folder named after its class.")
    names = sorted({f.split("/", 1)[0] for f in files})
    if len(names) < 2:
        raise ValueError(f"{root}: class-conditional training needs at least two class sub-folders with images; "
                         f"this folder has one ({names[0]}).")
    return FolderScan(root, files, len(unreadable), names, unreadable)


class StepBatches(Dataset):
    """Map-style dataset whose item ``step`` is this rank's uint8 batch (n, 3, R, R) of that step, with its class
    indices (n,) int64 when the data has classes (a folder's, or the world's genres with ``genres``), else None,
    and with ``heads`` (world portraits only) their recorded heads (n, 3) x, y, scale, else None.

    The data is ``folder``, else ``world_cache`` (pre-rendered world images, N x S x S x 3), else the world streamed.
    """

    def __init__(
        self, resolution: int, batch: int, rank: int, world_size: int, seed: int,
        folder: FolderScan | None = None, xflip: bool = False, world_cache: np.ndarray | None = None,
        genres: bool = False, heads: bool = False,
    ) -> None:
        if heads and (folder is not None or genres):
            raise ValueError("only the world's portraits record their heads.")
        self.resolution, self.batch, self.seed, self.folder, self.xflip = resolution, batch, seed, folder, xflip
        self.world_cache, self.genres, self.heads = world_cache, genres, heads
        self.per_rank = batch // world_size
        self.offset = rank * self.per_rank
        self._epoch, self._perm = -1, np.empty(0, np.int64)

    def __len__(self) -> int:  # steps are unbounded; the sampler says which ones to load
        return 2**62

    def __getitem__(self, step: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        start = step * self.batch + self.offset
        indices = range(start, start + self.per_rank)
        labels = heads = None
        if self.folder is not None:
            picks = [self._folder_pick(i) for i in indices]
            imgs = [self._folder_image(name, flip) for name, flip in picks]
            if self.folder.classes:
                labels = torch.tensor([self.folder.label(name) for name, _ in picks], dtype=torch.int64)
        else:
            if self.world_cache is not None:
                items = [self._permuted(i, len(self.world_cache)) for i in indices]
                rendered = self.world_cache[items]
            else:
                items = list(indices)
                rendered = world_images(world_size(self.resolution), self.seed, items, self.genres)
            imgs = [im if im.shape[0] == self.resolution else fit_image(im, self.resolution) for im in rendered]
            if self.genres:
                labels = torch.tensor(world_labels(items), dtype=torch.int64)
            if self.heads:
                heads = torch.from_numpy(world_heads(self.seed, items))
        return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous(), labels, heads

    def _permuted(self, index: int, n: int) -> int:
        """Where global image ``index`` falls in a data set of ``n`` items read in a new order every epoch."""
        epoch, k = divmod(index, n)
        if epoch != self._epoch:
            self._epoch, self._perm = epoch, np.random.default_rng([self.seed, epoch]).permutation(n)
        return int(self._perm[k])

    def _folder_pick(self, index: int) -> tuple[str, bool]:
        """The file global image ``index`` reads, and whether it is mirrored."""
        files = self.folder.files
        j = self._permuted(index, len(files) * (2 if self.xflip else 1))
        return files[j % len(files)], j >= len(files)

    def _folder_image(self, name: str, flip: bool) -> np.ndarray:
        try:
            img = load_fitted(self.folder.root / name, self.resolution)
        except ImageError as e:  # readable at the scan, changed since: say so rather than train on a gap
            raise ValueError(f"{e} (it was readable when training started)") from None
        return img[:, ::-1] if flip else img


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


def describe(scan: FolderScan | None, world_cache: int = 0, genres: Sequence[str] = ()) -> str:
    """The data in one line, for the log and the model card (``genres``: a conditional world run's classes)."""
    what = f"paintings in {len(genres)} genres ({', '.join(genres)})" if genres else "painted portraits"
    if scan is None and world_cache:
        return f"world: the first {world_cache:,} procedural {what} of the run's seed, pre-rendered"
    if scan is None:
        return f"world: procedural {what}, streamed (studio.engine.world)"
    skipped = f", {scan.skipped} unreadable files skipped" if scan.skipped else ""
    if scan.unreadable:
        named = "; ".join(scan.unreadable[:SKIPPED_NAMED])
        more = f"; and {len(scan.unreadable) - SKIPPED_NAMED} more" if len(scan.unreadable) > SKIPPED_NAMED else ""
        skipped = f", {scan.skipped} unreadable files skipped ({named}{more})"
    classes = f" in {len(scan.classes)} classes ({', '.join(scan.classes)})" if scan.classes else ""
    return f"folder {scan.root}: {len(scan.files)} images{classes}{skipped}"
