"""A restricted unpickler for NVIDIA stylegan2-ada-pytorch ``.pkl`` files.

Those pickles embed the Python source of their networks and execute it when unpickled the normal way.
Here nothing from the file is imported or run: only tensors, numbers, strings, containers and a few
inert numpy/torch constructors are rebuilt. Each embedded network becomes a ``PersistentRecord`` holding
its class name and attribute state (parameters, buffers, submodules, constructor arguments); the caller
builds our own modules from those. Any other global in the stream is refused before it is touched.
"""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import torch


class UnsafePickleError(pickle.UnpicklingError):
    """The stream names a global that a checkpoint has no reason to contain."""


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
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def _numpy_scalar(dtype: np.dtype, data: Any = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise UnsafePickleError("a numpy scalar in the file is not a plain number")
    return np.frombuffer(data, dtype=dtype)[0].item()


def _numpy_reconstruct(cls: Any, shape: Any, dtype_code: Any) -> np.ndarray:
    if cls is not np.ndarray:
        raise UnsafePickleError("a numpy array in the file has an unexpected type")
    return np.ndarray.__new__(np.ndarray, shape, dtype_code)


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
    ("numpy", "ndarray"): np.ndarray,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals in ``_ALLOWED``; everything else raises ``UnsafePickleError``."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"it refers to {module}.{name}, which a checkpoint must not contain") from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("it uses pickle persistent ids, which NVIDIA checkpoints never do")


def restricted_load(f: BinaryIO) -> Any:
    """Unpickle ``f`` without importing or running anything named in it."""
    return RestrictedUnpickler(f).load()
