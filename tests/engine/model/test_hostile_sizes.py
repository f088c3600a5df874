"""Files that declare more than they hold are refused before the memory is taken: a tensor or array cannot
hold more bytes than its file, and a network cannot need more weights than its file stores."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from studio.engine import CheckpointError, load_model, save_model
from studio.engine.model.safe_pickle import torch_load


class _Call:
    """Pickles as ``func(*args)``, the way a hostile file would spell it."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _declaring(data: bytes, real: int, claimed: int) -> bytes:
    """``data`` with every pickled integer ``real`` (a tensor's element count) replaced by ``claimed``."""
    old, new = (b"J" + struct.pack("<i", n) for n in (real, claimed))
    assert old in data
    return data.replace(old, new)


_RECONSTRUCT = np.zeros(1).__reduce__()[0]  # numpy's own array rebuilder, whatever module numpy keeps it in


_MILLION = b"J" + struct.pack("<i", 10**6)


@pytest.mark.parametrize("data", [
    pickle.dumps({"G_ema": _Call(_RECONSTRUCT, np.ndarray, (10**6, 10**6), b"b")}, protocol=4),
    # {"G_ema": numpy.ndarray.__new__(numpy.ndarray, (10**6, 10**6))}, by the NEWOBJ opcode
    b"\x80\x04}\x8c\x05G_emacnumpy\nndarray\n" + _MILLION + _MILLION + b"\x86\x85\x81s.",
], ids=["reconstruct", "newobj"])
def test_a_tiny_pickle_declaring_a_huge_array_is_refused(tmp_path, data):
    path = tmp_path / "huge.pkl"
    path.write_bytes(data)
    assert path.stat().st_size < 200
    with pytest.raises(CheckpointError, match=r"huge\.pkl: refused to load: it (declares 953,674 MB of arrays, more "
                                              r"than its \d+ bytes could hold|builds a numpy array directly)"):
        load_model(path)


def test_a_tensor_storage_declaring_more_than_the_pickle_holds_is_refused(tmp_path):
    path = tmp_path / "storage.pkl"
    path.write_bytes(_declaring(pickle.dumps({"G_ema": torch.zeros(123457)}), 123457, 10**9))
    with pytest.raises(CheckpointError, match=r"storage\.pkl: refused to load: it declares 3,815 MB of arrays, more "
                                              r"than its 4\d\d,\d\d\d bytes could hold; nothing from the file was run"):
        load_model(path)


def test_a_legacy_torch_file_declaring_a_huge_storage_is_refused(tmp_path):
    buf = io.BytesIO()
    torch.save({"g_ema": {"style.1.weight": torch.zeros(123457)}}, buf, _use_new_zipfile_serialization=False)
    path = tmp_path / "legacy.pt"
    path.write_bytes(_declaring(buf.getvalue(), 123457, 10**9))
    with pytest.raises(CheckpointError, match=r"legacy\.pt: refused to load: it declares 3,815 MB of arrays"):
        load_model(path)
    ok = tmp_path / "ok.pt"
    ok.write_bytes(buf.getvalue())  # the same file, honest: read as before (and refused as no generator)
    assert torch_load(ok)["g_ema"]["style.1.weight"].shape == (123457,)


def test_a_compressed_torch_file_that_unpacks_past_its_size_is_refused(tmp_path):
    buf = io.BytesIO()
    torch.save({"g_ema": {"style.1.weight": torch.zeros(4_000_000, dtype=torch.uint8)}}, buf)
    path = tmp_path / "bomb.pt"
    with zipfile.ZipFile(buf) as plain, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as packed:
        for info in plain.infolist():
            packed.writestr(info.filename, plain.read(info))
    assert path.stat().st_size < 40_000
    with pytest.raises(CheckpointError, match=r"bomb\.pt: refused to load: it declares 4 MB of arrays, more than its"):
        load_model(path)


def test_a_model_whose_architecture_needs_more_than_its_weights_is_refused(tmp_path, tiny_pair):
    G, D = tiny_pair
    honest = save_model(tmp_path / "honest.safetensors", G, D)
    with safe_open(str(honest), framework="pt") as f:
        meta = f.metadata()
    meta["generator"] = json.dumps({**json.loads(meta["generator"]), "z_dim": 8192, "w_dim": 8192})
    path = tmp_path / "claims.safetensors"
    save_file(load_file(str(honest)), str(path), metadata=meta)
    with pytest.raises(CheckpointError, match=r"claims\.safetensors: its architecture needs more weights than the "
                                              r"file holds \(over \d+ MB\); the file is damaged or not what it claims"):
        load_model(path)
    layers = {**json.loads(meta["generator"]), "z_dim": G.z_dim, "w_dim": G.w_dim, "mapping_layers": 10**9}
    save_file(load_file(str(honest)), str(path), metadata={**meta, "generator": json.dumps(layers)})
    with pytest.raises(CheckpointError, match="needs more weights than the file holds"):
        load_model(path)
