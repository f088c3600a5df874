"""The preview's export cache: one export folder per model, keyed by its weights hash, in the user cache; the
``CACHE_KEEP`` most recently used are kept, and the temporary folders of killed exports are swept."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from ...atomic import sweep_stale
from ...jobs import CancelToken, ProgressFn
from ...model.loaded import LoadedModel
from ...paths import PathLike, user_cache_dir
from .format import INFO_FILE, ExportError, ExportInfo, is_export_folder
from .writer import OPSET, export_onnx

# The preview cache keeps the exports of this many models, the most recently used: each is 8-30 MB.
CACHE_KEEP = 4


def default_cache_root() -> Path:
    """The exports' folder in the user cache (``$GAN_STUDIO_CACHE/onnx`` in tests)."""
    return user_cache_dir() / "onnx"


def cached_export(
    model: LoadedModel,
    cache_root: PathLike | None = None,
    opset: int = OPSET,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> Path:
    """The export folder of ``model`` in the cache (keyed by its weights hash), exporting it the first time.

    A folder written by another format version, another opset, or for a generator with the same weights but
    another architecture (conv clamp, say) is exported again rather than trusted.
    """
    root = Path(cache_root or default_cache_root())
    found = find_export(model, root, opset)
    if found is not None:
        return found
    sweep_stale(root)  # the temporary folders of exports that were killed
    path = root / model.weights_hash
    export_onnx(model, path, opset=opset, progress=progress, token=token)
    trim_cache(root, keep=CACHE_KEEP)
    return path


def find_export(model: LoadedModel, cache_root: PathLike | None = None, opset: int = OPSET) -> Path | None:
    """The export folder of ``model`` if the cache already holds a usable one (this format, ``opset``, the same
    architecture), else None; a quick look, which a window does before deciding to export."""
    path = Path(cache_root or default_cache_root()) / model.weights_hash
    try:
        info = ExportInfo.read(path)
    except ExportError:
        return None
    if (info.opset, info.architecture) != (opset, model.G.architecture) or (
        info.generator != json.loads(json.dumps(model.G.config))
    ):
        return None
    with contextlib.suppress(OSError):  # used now: the folder's time is what trimming sorts by
        os.utime(path)
    return path


def trim_cache(root: PathLike, keep: int = CACHE_KEEP) -> list[Path]:
    """Delete all but the ``keep`` most recently used exports in the cache ``root``; returns what was deleted.

    Only folders holding nothing but export files are considered, so nothing else in the folder is touched.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    exports = []
    for folder in root.iterdir():
        if folder.is_dir() and not folder.name.startswith(".") and is_export_folder(folder):
            exports.append((folder.stat().st_mtime if (folder / INFO_FILE).exists() else 0.0, folder))
    exports.sort(reverse=True)
    stale = [folder for _, folder in exports[keep:]]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return stale
