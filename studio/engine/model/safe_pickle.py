"""Pickles from anywhere, read without running anything and within the memory the file could need.

NVIDIA stylegan2-ada-pytorch ``.pkl`` files embed the Python source of their networks and execute it when
unpickled the normal way. ``restricted_load`` imports and runs nothing from the file: only tensors, numbers,
strings, containers and a few inert numpy/torch constructors are rebuilt. Each embedded network becomes a
``PersistentRecord`` holding its class name and attribute state (parameters, buffers, submodules, constructor
arguments); the caller builds our own modules from those. Any other global in the stream is refused before it
is touched.

Sizes are checked before anything is allocated: an array or tensor cannot hold more bytes than the file has,
so a file of a few bytes that declares a terabyte array is refused rather than tried. ``torch_load`` applies
the same rule to ``torch.load(weights_only=True)``, which runs no code but trusts the sizes a file declares: a
legacy-format file (torch before 1.6, as rosinality's published checkpoints, and every storage inside an
NVIDIA pickle) allocates each storage at its declared size before reading it, and a zip-format one may be
compressed, so kilobytes could unpack to gigabytes.
"""

from __future__ import annotations

import functools
import io
import math
import os
import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch


class UnsafePickleError(pickle.UnpicklingError):
    """The stream names a global that a checkpoint has no reason to contain, or declares more data than it
    holds."""


@dataclass
class PersistentRecord:
    """What an NVIDIA ``persistent_class`` object becomes: its class name and attribute dict, nothing run."""

    class_name: str
    state: dict = field(default_factory=dict)

    def attr(self, name: str, default: Any = None) -> Any:
        """An attribute of the network, else its constructor argument of that name, else ``default``."""
        if name in self.state:
            return self.state[name]
        return (self.state.get("_init_kwargs") or {}).get(name, default)

    def children(self) -> dict[str, PersistentRecord]:
        return {k: v for k, v in (self.state.get("_modules") or {}).items() if isinstance(v, PersistentRecord)}

    def tensors(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """All parameters and buffers below this record, by dotted name."""
        out: dict[str, torch.Tensor] = {}
        for group in ("_parameters", "_buffers"):
            for name, t in (self.state.get(group) or {}).items():
                if isinstance(t, torch.Tensor):
                    out[prefix + name] = t.detach()
        for name, child in self.children().items():
            out.update(child.tensors(f"{prefix}{name}."))
        return out

    def find(self, class_name: str) -> list[PersistentRecord]:
        found = [self] if self.class_name == class_name else []
        for child in self.children().values():
            found += child.find(class_name)
        return found


class _EasyDict(dict):
    """Stand-in for dnnlib.util.EasyDict: a plain dict that accepts pickle's attribute state."""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.update(state)


def _reconstruct_persistent_obj(meta: dict) -> PersistentRecord:
    if not isinstance(meta, dict) or meta.get("type") != "class":
        raise UnsafePickleError("a persistent object in the file is not a plain class record")
    state = meta.get("state") or {}
    return PersistentRecord(str(meta.get("class_name")), dict(state))


def _load_storage_from_bytes(data: bytes) -> Any:
    f = io.BytesIO(data)
    check_declared_sizes(f, len(data))
    return torch.load(f, map_location="cpu", weights_only=True)


def _numpy_scalar(dtype: np.dtype, data: Any = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise UnsafePickleError("a numpy scalar in the file is not a plain number")
    return np.frombuffer(data, dtype=dtype)[0].item()


class _NDArrayName:
    """What the name ``numpy.ndarray`` stands for in a pickle: the argument numpy's ``_reconstruct`` expects,
    never a class that the stream may call (that would allocate whatever shape it asks for)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise UnsafePickleError("it builds a numpy array directly, which numpy's own pickles never do")


def _numpy_reconstruct(cls: Any, shape: Any, dtype_code: Any, limit: int) -> np.ndarray:
    if cls is not _NDArrayName:
        raise UnsafePickleError("a numpy array in the file has an unexpected type")
    dtype = np.dtype(dtype_code)
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise UnsafePickleError("a numpy array in the file has a shape that is not whole numbers")
    _check_size(math.prod(shape) * dtype.itemsize, limit)
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _parameter(data: torch.Tensor, requires_grad: bool = False, *_: Any) -> torch.Tensor:
    return data


_ALLOWED: dict[tuple[str, str], Any] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
    ("dnnlib.util", "EasyDict"): _EasyDict,
    ("dnnlib", "EasyDict"): _EasyDict,
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _parameter,
    ("torch.storage", "_load_from_bytes"): _load_storage_from_bytes,
    ("torch", "device"): torch.device,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): _NDArrayName,
}
_SIZE_CHECKED = {_numpy_reconstruct}  # given the file's size as ``limit``


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals in ``_ALLOWED``; everything else raises ``UnsafePickleError``. ``limit``: the
    bytes the file holds, which no array in it can exceed."""

    def __init__(self, f: BinaryIO, limit: int) -> None:
        super().__init__(f)
        self.limit = limit

    def find_class(self, module: str, name: str) -> Any:
        try:
            found = _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"it refers to {module}.{name}, which a checkpoint must not contain") from None
        return functools.partial(found, limit=self.limit) if found in _SIZE_CHECKED else found

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("it uses pickle persistent ids, which NVIDIA checkpoints never do")


def restricted_load(f: BinaryIO) -> Any:
    """Unpickle the file ``f`` without importing or running anything named in it."""
    try:
        return RestrictedUnpickler(f, os.fstat(f.fileno()).st_size).load()
    except MemoryError:  # a length in the stream: pickle allocates it before reading
        raise UnsafePickleError("it declares more data than this computer's memory can hold") from None


# --- torch files -----------------------------------------------------------------------------------------


def torch_load(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU, after ``check_declared_sizes``."""
    with open(path, "rb") as f:
        check_declared_sizes(f, os.fstat(f.fileno()).st_size)
        return torch.load(f, map_location="cpu", weights_only=True)


def check_declared_sizes(f: BinaryIO, size: int) -> None:
    """Refuse a torch file (``size`` bytes) whose tensors would take more memory than it holds: a zip whose
    entries unpack to more than the file, or a legacy file whose pickle declares larger storages."""
    start = f.tell()
    try:
        if f.read(4) == b"PK\x03\x04":
            f.seek(start)
            with zipfile.ZipFile(f) as z:
                _check_size(sum(info.file_size for info in z.infolist()), size)
            return
        f.seek(start)
        scanner = _StorageScanner(f)
        for _ in range(4):  # magic number, protocol, system info, then the pickle that declares the storages
            scanner.load()
        _check_size(sum(scanner.storages.values()), size)
    except (UnsafePickleError, zipfile.BadZipFile, EOFError):  # refused, or cut short: as they are
        raise
    except MemoryError:
        raise UnsafePickleError("it declares more data than this computer's memory can hold") from None
    except Exception:  # noqa: BLE001 - the scanner builds nothing: any failure means a malformed stream
        raise pickle.UnpicklingError("not a PyTorch file") from None
    finally:
        f.seek(start)


def _check_size(declared: int, limit: int) -> None:
    if declared > limit:
        raise UnsafePickleError(f"it declares {_bytes(declared)} of arrays, more than its {_bytes(limit)} could hold")


def _bytes(n: int) -> str:
    return f"{n:,} bytes" if n < 1 << 20 else f"{n / (1 << 20):,.0f} MB"


class _Inert:
    """What every global in a scanned pickle becomes: accepts any arguments and state, runs nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Inert:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass


class _StorageScanner(pickle.Unpickler):
    """Reads a legacy torch pickle for the storages it declares ({key: bytes}); builds nothing."""

    def __init__(self, f: BinaryIO) -> None:
        super().__init__(f)
        self.storages: dict[Any, int] = {}

    def find_class(self, module: str, name: str) -> type:
        return type(name, (_Inert,), {})

    def persistent_load(self, pid: Any) -> Any:
        # ("storage", storage type, key, location, element count[, view]): torch allocates the count at once
        if isinstance(pid, tuple) and len(pid) >= 5 and isinstance(pid[4], int):
            itemsize = _STORAGE_ITEMSIZE.get(getattr(pid[1], "__name__", ""), 1)
            self.storages[str(pid[2])] = max(pid[4], 0) * itemsize
        return None


# torch's legacy storage types ("FloatStorage") and the bytes of one element (unknown ones count as 1)
_STORAGE_ITEMSIZE = {
    f"{name}Storage": size for name, size in (
        ("Double", 8), ("Float", 4), ("Half", 2), ("BFloat16", 2), ("Long", 8), ("Int", 4), ("Short", 2),
        ("Char", 1), ("Byte", 1), ("Bool", 1), ("ComplexFloat", 8), ("ComplexDouble", 16),
    )
}
