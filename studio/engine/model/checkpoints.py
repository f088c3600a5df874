"""``load_model()``: the one door a model comes in by; any supported file in, one ``LoadedModel`` out.

Formats, each read by its own module:
- ours: ``.safetensors`` with the architecture in its metadata, plus a JSON model card beside it
  (``safetensors_io``, which also writes it: ``save_model``).
- rosinality/stylegan2-pytorch ``.pt`` (``foreign.rosinality``).
- NVIDIA stylegan2-ada-pytorch and NVlabs/stylegan3 ``.pkl`` (``foreign.nvidia``, ``foreign.nvidia_sg3``,
  through ``safe_pickle``: nothing in it runs).
The suffix picks the reader, else the file's first bytes. Anything else, or a damaged file, raises
``CheckpointError`` naming the file and the problem. The shipped models are opened by name too.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors import SafetensorError

from ..errors import first_line
from ..paths import PathLike, shipped
from .foreign.nvidia import read_nvidia
from .foreign.rosinality import read_rosinality
from .loaded import LoadedModel
from .reading import CheckpointError
from .safe_pickle import UnsafePickleError
from .safetensors_io import card_path, read_studio

MODELS_DIR = shipped("models")
DEFAULT_MODEL = MODELS_DIR / "default.safetensors"
GENRES_MODEL = MODELS_DIR / "genres.safetensors"  # class-conditional: the world's four genres
SHIPPED_MODELS = {"default": DEFAULT_MODEL, "genres": GENRES_MODEL}  # names that stand for a shipped model file


def load_model(path: PathLike | str, device: str | torch.device = "cpu") -> LoadedModel:
    """Load any supported checkpoint (or a shipped model's name: ``"default"``, ``"genres"``) in eval mode on
    ``device``."""
    if str(path) in SHIPPED_MODELS:
        shipped_path = SHIPPED_MODELS[str(path)]
        if not shipped_path.exists():
            raise CheckpointError(f"{shipped_path}: the {path} model is missing from this installation.")
        path = shipped_path
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such file.")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file.")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: the file is empty.")
    reader = _reader_for(path)
    try:
        model = reader(path)
    except CheckpointError:
        raise
    except UnsafePickleError as e:
        raise CheckpointError(f"{path}: refused to load: {e}; nothing from the file was run.") from None
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, SafetensorError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: the file is damaged or truncated ({first_line(e)}).") from None
    except (RuntimeError, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError) as e:
        raise CheckpointError(f"{path}: not a readable StyleGAN checkpoint ({first_line(e)}).") from None
    model.G.eval().requires_grad_(False).to(device)
    if model.D is not None:
        model.D.eval().requires_grad_(False).to(device)
    return model


def _reader_for(path: Path) -> Callable[[Path], LoadedModel]:
    with open(path, "rb") as f:
        head = f.read(16)
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return read_studio
    if suffix == ".pkl":
        return read_nvidia
    if suffix in (".pt", ".pth", ".ckpt"):
        return read_rosinality
    if head.startswith(b"PK\x03\x04"):
        return read_rosinality
    if head[:1] == b"\x80":
        return read_nvidia
    raise CheckpointError(
        f"{path}: unsupported file type {suffix or '(none)'}; open a .pt, .pkl or .safetensors checkpoint."
    )


def model_files(path: PathLike | str) -> list[Path]:
    """The files a model is read from (a shipped model's name too): the checkpoint, and a GAN Studio model's card
    beside it; an output must never replace them."""
    path = SHIPPED_MODELS.get(str(path), Path(path))
    return [path, card_path(path)] if path.suffix.lower() == ".safetensors" else [path]

