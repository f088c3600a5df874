"""World portraits rendered once, kept on disk, and read back in microseconds.

The world renders a few tens of portraits per second per core, so rendering inside the training process
takes half of a 2-core machine. A run with ``world_cache=N`` trains on the first N portraits of its world
stream (the same seeds streaming would draw, so item i is identical either way), rendered once on every
core into ``<user cache>/world/<size>px-seed<seed>/`` in chunks of ``CHUNK`` images. Chunks never depend on N:
a larger cache reuses a smaller one's chunks, and a render killed half-way resumes at the first missing chunk.

A class-conditional world run (``genres``) paints the four genres in turn: image ``i`` is genre
``GENRES[i % 4]`` and that is its class, so the classes are balanced by image index. Its cache lives in
``<size>px-seed<seed>-genres/``, apart from the portraits' folders (whose names stay as they always were).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..atomic import atomic_save, sweep_stale
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..paths import user_cache_dir

CHUNK = 500
WORLD_SEED_STRIDE = 10**9


def world_seed(run_seed: int, index: int) -> int:
    """The world seed of image ``index`` of a run seeded ``run_seed``, far above the small seeds tests use."""
    return (run_seed + 1) * WORLD_SEED_STRIDE + index


def world_classes() -> list[str]:
    """The classes of a conditional world run: the world's genres, in order (class 0 is "portrait")."""
    from ..world import GENRES  # imported on use: only world runs pay for the world

    return list(GENRES)


def world_labels(indices: Sequence[int]) -> list[int]:
    """The class of each world image of a genre run: the genres in turn, by image index."""
    n = len(world_classes())
    return [i % n for i in indices]


def world_images(size: int, run_seed: int, indices: Sequence[int], genres: bool = False) -> np.ndarray:
    """Images ``indices`` of a run's world stream, (n, size, size, 3) uint8: portraits, or with ``genres`` each
    image in the genre of its class (``world_labels``)."""
    from ..world import render_batch

    classes = world_classes()
    genre = [classes[k] for k in world_labels(indices)] if genres else "portrait"
    return render_batch([world_seed(run_seed, i) for i in indices], size, genre)


def world_heads(run_seed: int, indices: Sequence[int]) -> np.ndarray:
    """(n, 3) float32 head x, y, scale of portraits ``indices`` of a run's world stream, from their records (the
    truth, a tenth of a millisecond each): where the face-crop critic crops the reals."""
    from ..world import portrait_head_record

    heads = [portrait_head_record(world_seed(run_seed, i)) for i in indices]
    return np.array([[h["x"], h["y"], h["scale"]] for h in heads], np.float32)


def cache_folder(size: int, run_seed: int, root: Path | None = None, genres: bool = False) -> Path:
    return (root or user_cache_dir() / "world") / f"{size}px-seed{run_seed}{'-genres' if genres else ''}"


def _render_chunk(size: int, run_seed: int, chunk: int, genres: bool) -> np.ndarray:
    start = chunk * CHUNK
    return world_images(size, run_seed, range(start, start + CHUNK), genres)


def _chunk_path(folder: Path, chunk: int) -> Path:
    return folder / f"chunk-{chunk:05d}.npy"


def load_world_cache(
    size: int,
    run_seed: int,
    count: int,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
    root: Path | None = None,
    genres: bool = False,
) -> np.ndarray:
    """The first ``count`` world images of the run's stream, (count, size, size, 3) uint8, rendering what is missing
    (``genres``: the genre run's stream, in its own folder)."""
    if count < 1:
        raise ValueError(f"world_cache must be at least 1 image, not {count}.")
    report, token = progress or no_progress, ensure_token(token)
    folder = cache_folder(size, run_seed, root, genres)
    sweep_stale(folder)  # chunks half-written by a killed render
    chunks = range((count + CHUNK - 1) // CHUNK)
    missing = [c for c in chunks if not _chunk_path(folder, c).is_file()]
    total, done = len(chunks), len(chunks) - len(missing)
    what = f"rendering {count:,} world {'paintings' if genres else 'portraits'} at {size} px into {folder}"
    report(Progress(done, total, what))
    if missing:
        workers = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=min(workers, len(missing))) as pool:
            futures = {c: pool.submit(_render_chunk, size, run_seed, c, genres) for c in missing}
            try:
                for c, future in futures.items():
                    images = future.result()
                    atomic_save(_chunk_path(folder, c), lambda tmp, a=images: _write(tmp, a))
                    done += 1
                    report(Progress(done, total, what))
                    token.check()
            except BaseException:
                for f in futures.values():
                    f.cancel()
                raise
    out = np.empty((count, size, size, 3), np.uint8)
    for c in chunks:
        n = min(CHUNK, count - c * CHUNK)
        out[c * CHUNK : c * CHUNK + n] = _read(_chunk_path(folder, c), size)[:n]
    return out


def _write(path: Path, images: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would append .npy to the temporary name
        np.save(f, images, allow_pickle=False)


def _read(path: Path, size: int) -> np.ndarray:
    """One chunk; a damaged one is deleted (it is only a cache) and reported in one sentence."""
    try:
        part = np.load(path, allow_pickle=False)
        if part.shape == (CHUNK, size, size, 3) and part.dtype == np.uint8:
            return part
    except (OSError, ValueError, EOFError):
        pass
    path.unlink(missing_ok=True)
    raise ValueError(f"{path}: a damaged world cache file; it was removed and is rendered again on the next run.")
