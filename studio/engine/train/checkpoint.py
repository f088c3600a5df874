"""Checkpoints of long runs: one ``torch.save`` file of tensors and plain Python values, so it loads with
``weights_only=True`` (nothing in it can run code), stamped with its kind and version, written atomically.

``save_state``/``load_state`` are the one implementation, shared with the sketch customization
(customize/checkpoint.py). Training keeps ``<out>/checkpoints/ckpt-<step>.pt``, only the newest ``keep`` of them;
``resume="auto"`` picks the newest one that reads.
"""

from __future__ import annotations

import pickle
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic import atomic_stream, os_error_reason
from ..errors import first_line
from ..model.safe_pickle import torch_load

FORMAT = "gan-studio-train"
VERSION = 1
_NAME = re.compile(r"ckpt-(\d+)\.pt")


def checkpoint_dir(out_dir: str | Path) -> Path:
    return Path(out_dir) / "checkpoints"


def checkpoint_path(out_dir: str | Path, step: int) -> Path:
    return checkpoint_dir(out_dir) / f"ckpt-{step:08d}.pt"


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """The run's checkpoints, oldest first."""
    folder = checkpoint_dir(out_dir)
    found = [(int(m.group(1)), p) for p in folder.glob("ckpt-*.pt") if (m := _NAME.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def resolve_resume(
    resume: str | Path | None, out_dir: str | Path
) -> tuple[Path | None, dict | None, list[str]]:
    """The checkpoint to resume, its state and notes for the user: ``None`` -> start fresh; a path -> that file;
    ``"auto"`` -> the newest checkpoint in ``out_dir`` that reads (a damaged newer one, say cut short by a full
    disk or a kill mid-copy, is skipped with a note), or a fresh start if there are none."""
    if resume is None:
        return None, None, []
    if str(resume) != "auto":
        path = Path(resume)
        if not path.is_file():
            raise ValueError(f"{path}: no such training checkpoint.")
        return path, load_checkpoint(path), []
    found = list_checkpoints(out_dir)
    notes = []
    for path in reversed(found):
        try:
            state = load_checkpoint(path)
        except ValueError as e:
            notes.append(f"warning: skipped {path.name}, {str(e).removeprefix(f'{path}: ').rstrip('.')}")
            continue
        return path, state, notes
    if found:
        raise ValueError(f"{checkpoint_dir(out_dir)}: none of its {len(found)} checkpoints can be read; move the "
                         "folder away to start afresh.")
    return None, None, notes


def save_state(path: Path, state: dict, kind: str = FORMAT, version: int = VERSION) -> Path:
    """Write ``state`` atomically as a checkpoint of ``kind`` (a torn write never replaces a good file)."""
    atomic_stream(path, lambda f: torch.save({"format": kind, "version": version, **state}, f))
    return path


def load_state(path: Path, kind: str = FORMAT, version: int = VERSION, what: str = "training checkpoint",
               error: type[ValueError] = ValueError) -> dict:
    """Read a checkpoint of ``kind`` (weights only, on the CPU); any problem is one ``error`` sentence."""
    try:
        with open(path, "rb") as f:  # torch.save writes a zip; anything else (text, say) is no checkpoint of ours
            if not b"PK\x03\x04".startswith(f.read(4)):
                raise pickle.UnpicklingError("it is not a PyTorch file")
        state = torch_load(path)
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, RuntimeError, OSError) as e:
        raise error(f"{path}: not a readable {what} ({_unreadable_because(e)}).") from None
    if not isinstance(state, dict) or state.get("format") != kind:
        raise error(f"{path}: not a GAN Studio {what} (model files cannot be resumed).")
    if state.get("version") != version:
        raise error(f"{path}: {what} version {state.get('version')} is not supported.")
    return state


def save_checkpoint(out_dir: str | Path, step: int, state: dict, keep: int) -> Path:
    """Write ``state`` as the checkpoint of ``step``, then delete all but the newest ``keep``."""
    path = save_state(checkpoint_path(out_dir, step), state)
    for old in list_checkpoints(out_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def _unreadable_because(e: BaseException) -> str:
    """Why torch could not read a file, in words that never stop mid-sentence."""
    if isinstance(e, OSError):
        return os_error_reason(e)
    if isinstance(e, (EOFError, zipfile.BadZipFile)) or "zip archive" in str(e) or "central directory" in str(e):
        return "the file is damaged or cut short, as an interrupted save leaves it"
    first = first_line(e, limit=161)
    return first if str(e).strip() and len(first) <= 160 else f"torch reports a {type(e).__name__}"


def load_checkpoint(path: Path) -> dict:
    """Read a training checkpoint (weights only, on the CPU); any problem is one ValueError sentence."""
    return load_state(path)


def rng_state(device: torch.device) -> dict[str, Any]:
    """This process's torch (CPU and CUDA), numpy and Python RNG states as checkpoint-safe values."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, py_state, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(gauss)],
        "python": [version, list(py_state), py_gauss],
    }


def set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and state["cuda"] is not None:
        torch.cuda.set_rng_state(state["cuda"], device)
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, py_state, py_gauss = state["python"]
    random.setstate((version, tuple(py_state), py_gauss))


def seed_everything(seed: int, rank: int) -> None:
    """Seed every RNG of this process from ``(seed, rank)``: ranks draw different noise, runs repeat exactly."""
    s = int(np.random.SeedSequence([seed, rank]).generate_state(1)[0])
    torch.manual_seed(s)
    np.random.seed(s)
    random.seed(s)


def checkpoint_step(path: Path) -> int:
    """The step a checkpoint was saved at, read from its name."""
    return int(_NAME.fullmatch(path.name).group(1))
