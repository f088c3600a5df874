"""Numeric arrays inside JSON (recipes, saved directions), stored exactly: dtype, shape and base64 bytes."""

from __future__ import annotations

import base64

import numpy as np
import torch

_ARRAY_KINDS = "biuf"  # bool, int, uint, float: plain numbers only, never object arrays from a file


def encode_array(a: np.ndarray | torch.Tensor) -> dict:
    """A JSON-ready dict holding ``a`` exactly: dtype, shape and little-endian bytes in base64.

    Base64 float32 is a third of the size of printed floats and round-trips bit for bit.
    """
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a)
    if a.dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"encode_array handles numeric arrays only, not {a.dtype}")
    data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return {"__ndarray__": base64.b64encode(data).decode("ascii"), "dtype": a.dtype.name, "shape": list(a.shape)}


def decode_array(d: dict) -> np.ndarray:
    """The array ``encode_array`` stored, bit for bit; ValueError if ``d`` is not such a dict."""
    try:
        dtype = np.dtype(d["dtype"])
        shape = tuple(int(n) for n in d["shape"])
        data = base64.b64decode(d["__ndarray__"], validate=True)
        if dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"unsupported dtype {dtype}")
        return np.frombuffer(data, dtype.newbyteorder("<")).reshape(shape).astype(dtype)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an encoded array ({exc})") from exc
