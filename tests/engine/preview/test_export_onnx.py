"""ONNX export of the preview graphs: files, parity with torch, refusal of bad graphs, the cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import numpy_helper

from studio.engine.jobs import Cancelled, CancelToken
from studio.engine.model.loaded import LoadedModel
from studio.engine.preview.export import parity
from studio.engine.preview.export.cache import CACHE_KEEP, cached_export, default_cache_root, trim_cache
from studio.engine.preview.export.format import (
    FORMAT_VERSION,
    LEVELS,
    ExportError,
    ExportInfo,
    check_export_folder,
    level_noise_layers,
    level_resolutions,
    noise_input,
)
from studio.engine.preview.export.parity import PARITY_TOLERANCE, check_synthesis, relative_error
from studio.engine.preview.export.writer import OPSET, check_opset, export_onnx, max_opset
from tests.conftest import make_tiny_pair


def tiny_model() -> LoadedModel:
    G, D = make_tiny_pair()
    return LoadedModel(G, D, None, "studio", {"name": "tiny"})


def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole session, so this module and test_runtime export the tiny model only once."""
    return tmp_path_factory.getbasetemp() / "onnx-cache"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedModel, Path]:
    model = tiny_model()
    return model, cached_export(model, cache_root=shared_cache(tmp_path_factory))


def test_export_writes_every_graph_and_its_description(exported):
    model, path = exported
    info = ExportInfo.read(path)
    assert info.weights_hash == model.weights_hash and path.name == model.weights_hash
    assert (info.resolution, info.num_ws, info.w_dim, info.z_dim) == (32, model.G.num_ws, 64, 64)
    assert info.levels == {"full": 32, "16px": 16, "8px": 8} == level_resolutions(32)
    # absolute sizes, the largest three below the model's: a big model's drag runs its cheap head only
    assert level_resolutions(1024) == {"full": 1024, "256px": 256, "128px": 128, "64px": 64, "32px": 32}
    assert level_resolutions(256) == {"full": 256, "128px": 128, "64px": 64, "32px": 32}
    assert level_resolutions(128) == {"full": 128, "64px": 64, "32px": 32, "16px": 16}
    assert level_resolutions(8) == {"full": 8}
    # StyleGAN3 has no early exit: full only, at any size
    assert level_resolutions(1024, "sg3-t") == {"full": 1024} and level_resolutions(256, "sg3-r") == {"full": 256}
    assert info.opset >= 17
    assert set(info.parity) == {"mapping", *info.levels} and max(info.parity.values()) <= PARITY_TOLERANCE
    described = json.loads((path / "model.json").read_text())
    assert sorted(described["files"]) == sorted(p.name for p in path.glob("*.onnx"))
    assert sorted(p.name for p in path.iterdir()) == sorted([*described["files"], "model.json"])
    assert described["format_version"] == FORMAT_VERSION == 6 and described["architecture"] == "sg2"
    assert info.noise_shapes == model.G.synthesis.noise_shapes()  # coarse to fine, despite sort_keys
    assert described["source"]["generator"] == json.loads(json.dumps(model.G.config))
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "temporary folders were left behind"


def test_graphs_have_the_documented_names_and_a_dynamic_batch(exported):
    model, path = exported
    mapping = onnx.load(str(path / "mapping.onnx"))
    assert [i.name for i in mapping.graph.input] == ["z", "psi"]
    assert [o.name for o in mapping.graph.output] == ["ws"]
    shapes = model.G.synthesis.noise_shapes()
    for name, px in ExportInfo.read(path).levels.items():
        graph = onnx.load(str(path / LEVELS[name])).graph
        layers = level_noise_layers(shapes, px)
        assert layers == [k for k, (h, w) in shapes.items() if h <= px] and "b4.conv1" in layers
        assert [i.name for i in graph.input] == ["ws", *(f"noise_{k.replace('.', '_')}" for k in layers)]
        assert [o.name for o in graph.output] == ["img"]
        in_dims = graph.input[0].type.tensor_type.shape.dim
        out_dims = graph.output[0].type.tensor_type.shape.dim
        assert in_dims[0].dim_param and in_dims[0].dim_param == out_dims[0].dim_param
        assert [d.dim_value for d in out_dims[1:]] == [3, px, px]
        defaults = {t.name: numpy_helper.to_array(t) for t in graph.initializer if t.name.startswith("noise_")}
        assert list(defaults) == [noise_input(k) for k in layers]
        for layer, graph_input in zip(layers, graph.input[1:]):  # fixed (H, W): one map for the whole batch
            dims = graph_input.type.tensor_type.shape.dim
            assert [(d.dim_param, d.dim_value) for d in dims] == [("", n) for n in shapes[layer]]
            assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
            default = defaults[graph_input.name]  # the model's constant map
            assert default.dtype == np.float32
            assert np.array_equal(default, model.G.synthesis.get_submodule(layer).noise_const.numpy())
    assert noise_input("b32.conv0") == "noise_b32_conv0"


@torch.no_grad()
def test_synthesis_runs_on_ws_alone_and_a_fed_map_overrides_its_default(exported):
    """Any ONNX tool runs synthesis.onnx on ``ws`` alone (issue #27): onnxruntime with its default options lists
    only ``ws`` as required, renders the model's constant noise, and takes maps fed for the noise inputs."""
    model, path = exported
    G = model.G
    graph = onnx.load(str(path / "synthesis.onnx"))
    onnx.checker.check_model(graph)
    assert graph.ir_version >= 4  # below 4 an initializer named as an input is no default
    options = ort.SessionOptions()
    options.log_severity_level = 3  # onnxruntime warns that overridable initializers are not folded
    session = ort.InferenceSession(str(path / "synthesis.onnx"), options, providers=["CPUExecutionProvider"])
    shapes = G.synthesis.noise_shapes()
    assert [i.name for i in session.get_inputs()] == ["ws"]
    assert sorted(i.name for i in session.get_overridable_initializers()) == sorted(map(noise_input, shapes))
    ws = G.mapping(torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(7)))
    own = session.run(None, {"ws": ws.numpy()})[0]
    assert relative_error(own, G.synthesis(ws, noise_mode="const").numpy()) <= PARITY_TOLERANCE
    rng = torch.Generator().manual_seed(8)
    maps = {name: torch.randn(shape, generator=rng) * 3 for name, shape in shapes.items()}
    fed = session.run(None, {"ws": ws.numpy(), **{noise_input(k): m.numpy() for k, m in maps.items()}})[0]
    assert relative_error(fed, G.synthesis(ws, noise_mode="const", noise=maps).numpy()) <= PARITY_TOLERANCE
    assert np.abs(fed - own).max() > 0.1  # the maps were really used
    one = {"b16.conv1": maps["b16.conv1"]}  # one map fed, the others their defaults
    fed = session.run(None, {"ws": ws.numpy(), "noise_b16_conv1": one["b16.conv1"].numpy()})[0]
    assert relative_error(fed, G.synthesis(ws, noise_mode="const", noise=one).numpy()) <= PARITY_TOLERANCE


def _levels(folder: Path) -> dict[str, tuple[Path, int]]:
    """What check_synthesis takes: level -> (graph file, resolution)."""
    return {name: (folder / LEVELS[name], res) for name, res in ExportInfo.read(folder).levels.items()}


def _damaged(path: Path, folder: Path, file: str, damage) -> Path:
    """A copy of the export at ``path`` in ``folder`` whose graph ``file`` ``damage`` (graph -> None) changed."""
    shutil.copytree(path, folder)
    graph = onnx.load(str(folder / file))
    damage(graph.graph)
    onnx.save(graph, str(folder / file))
    return folder


def _noisy_weights(graph: onnx.GraphProto) -> None:
    biggest = max(graph.initializer, key=lambda t: np.prod(t.dims))
    weights = numpy_helper.to_array(biggest)
    noisy = weights + np.random.default_rng(0).standard_normal(weights.shape).astype(weights.dtype) * weights.std()
    biggest.CopyFrom(numpy_helper.from_array(noisy, biggest.name))


def test_the_parity_check_passes_good_graphs_and_refuses_a_wrong_one_at_batch_1(exported, tmp_path, monkeypatch):
    """Batch 1 comes first and is enough to refuse a wrong graph: a 1024 px model's check stays a few frames."""
    model, path = exported
    worst = check_synthesis(model.G, _levels(path))
    assert set(worst) == {"full", "16px", "8px"} and max(worst.values()) <= PARITY_TOLERANCE
    broken = _damaged(path, tmp_path / "weights", "synthesis.onnx", _noisy_weights)
    batches: list[int] = []
    real_run = parity._run
    monkeypatch.setattr(parity, "_run", lambda session, p, feed: batches.append(len(feed["ws"])) or
                        real_run(session, p, feed))
    with pytest.raises(ExportError, match=r"synthesis\.onnx: differs from torch .* over the 0\.001 tolerance"):
        check_synthesis(model.G, _levels(broken))
    assert batches == [1, 1]  # the full level, fed ws alone and random maps; nothing more ran


def test_the_parity_check_refuses_wrong_noise_defaults_and_a_graph_it_cannot_run(exported, tmp_path):
    model, path = exported

    def zero_default(graph: onnx.GraphProto) -> None:
        default = next(t for t in graph.initializer if t.name == "noise_b16_conv1")
        default.CopyFrom(numpy_helper.from_array(np.zeros((16, 16), np.float32) + 3, default.name))

    broken = _damaged(path, tmp_path / "defaults", "synthesis_16.onnx", zero_default)
    with pytest.raises(ExportError, match=r"synthesis_16\.onnx: differs from torch"):
        check_synthesis(model.G, _levels(broken))

    def rename_input(graph: onnx.GraphProto) -> None:
        graph.input[1].name = "renamed"  # noise_b4_conv1: the maps fed under its name reach nothing

    broken = _damaged(path, tmp_path / "inputs", "synthesis_8.onnx", rename_input)
    with pytest.raises(ExportError, match=r"synthesis_8\.onnx: onnxruntime cannot run the graph \("):
        check_synthesis(model.G, _levels(broken))


def test_cache_hit_returns_the_same_folder_without_exporting(exported, tmp_path_factory):
    model, path = exported
    stamp = (path / "model.json").stat().st_mtime_ns
    reports = []
    again = cached_export(tiny_model(), cache_root=shared_cache(tmp_path_factory), progress=reports.append)
    assert again == path and reports == [] and (path / "model.json").stat().st_mtime_ns == stamp


def test_a_cache_folder_of_the_previous_formats_is_exported_again_in_place(exported, tmp_path):
    """Version 2 kept the constant noise maps in noise.npz and fed them every frame; version 3 drew its drag levels
    at ½ and ¼ of the model's size (synthesis_half.onnx); version 5 did not name the architecture (a StyleGAN3
    export would be taken for StyleGAN2's); a GPU preview may have added its TensorRT engines. Such a folder is
    rebuilt, not trusted and not refused as a folder of other files."""
    model, done = exported
    old = tmp_path / model.weights_hash
    shutil.copytree(done, old)
    described = json.loads((old / "model.json").read_text())
    del described["architecture"]
    described["format_version"] = 5
    (old / "model.json").write_text(json.dumps(described))
    with pytest.raises(ExportError, match="another version"):
        ExportInfo.read(old)
    np.savez(old / "noise.npz", b4_conv1=np.zeros((4, 4), np.float32))
    shutil.copy(old / "synthesis_16.onnx", old / "synthesis_half.onnx")
    described["format_version"] = 2
    (old / "model.json").write_text(json.dumps(described))
    (old / "tensorrt").mkdir()
    (old / "tensorrt" / "engine.trt").write_bytes(b"an engine for the old graphs")
    with pytest.raises(ExportError, match="another version"):
        ExportInfo.read(old)

    path = cached_export(model, cache_root=tmp_path)
    assert path == old and ExportInfo.read(path).noise_shapes == model.G.synthesis.noise_shapes()
    assert sorted(p.name for p in path.iterdir()) == sorted(p.name for p in done.iterdir())
    assert json.loads((path / "model.json").read_text())["format_version"] == FORMAT_VERSION


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "studio"))
    assert default_cache_root() == tmp_path / "studio" / "onnx"
    monkeypatch.delenv("GAN_STUDIO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_root() == tmp_path / "xdg" / "gan-studio" / "onnx"


def test_a_model_that_cannot_match_torch_is_refused_and_leaves_nothing(tmp_path):
    model = tiny_model()
    with torch.no_grad():
        model.G.mapping.fc0.weight[0, 0] = float("nan")  # a damaged model: no output can be trusted
    out = tmp_path / "export"
    with pytest.raises(ExportError, match=r"mapping\.onnx: differs from torch"):
        export_onnx(model, out)
    assert list(tmp_path.iterdir()) == []


def test_cancel_stops_the_export_and_leaves_nothing(tmp_path):
    token = CancelToken()
    with pytest.raises(Cancelled):
        export_onnx(tiny_model(), tmp_path / "export", progress=lambda p: token.cancel(), token=token)
    assert list(tmp_path.iterdir()) == []


def test_the_cache_sweeps_killed_exports_and_keeps_the_most_recently_used(exported, tmp_path):
    """After kill -9 an export's temporary folder stayed in the cache forever, and the cache only grew."""
    import os
    import subprocess
    import sys

    model, done = exported
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its process id now belongs to no one: what a killed export leaves behind
    leftover = tmp_path / f".{model.weights_hash}.gs{child.pid}.k1ll3d.tmp"
    leftover.mkdir()
    (leftover / "synthesis.onnx").write_bytes(b"x" * 1000)
    for age in range(CACHE_KEEP + 1):
        old = tmp_path / f"{age:064x}"
        shutil.copytree(done, old)
        os.utime(old, (1e9 - age, 1e9 - age))
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("not an export: never touched")

    path = cached_export(model, cache_root=tmp_path)
    exports = sorted(p.name for p in tmp_path.iterdir() if p.name != "notes")
    assert exports == sorted([path.name, *(f"{age:064x}" for age in range(CACHE_KEEP - 1))])
    assert (tmp_path / "notes" / "mine.txt").exists() and not leftover.exists()
    assert trim_cache(tmp_path, keep=1) == [tmp_path / f"{age:064x}" for age in range(CACHE_KEEP - 1)]


def test_export_refuses_a_folder_of_other_files_and_states_the_opset_it_writes(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="mine is not empty and does not hold an ONNX export"):
        export_onnx(tiny_model(), out)
    with pytest.raises(ValueError, match=f"opset 17 cannot be exported; choose one from 18 to {max_opset()}"):
        export_onnx(tiny_model(), tmp_path / "new", opset=17)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"] and check_opset(OPSET) == OPSET


def test_an_export_folder_may_be_replaced_and_a_new_one_is_not_private(exported, tmp_path):
    import stat

    from studio.engine.atomic import DIR_MODE

    _, done = exported
    shutil.copytree(done, tmp_path / "earlier")
    assert check_export_folder(tmp_path / "earlier") == tmp_path / "earlier"
    assert stat.S_IMODE(done.stat().st_mode) == DIR_MODE  # was mkdtemp's 0700


def test_relative_error_is_max_abs_difference_over_max_abs_reference():
    ref = np.array([1.0, -4.0, 2.0])
    assert relative_error(ref + [0.0, 0.02, 0.0], ref) == pytest.approx(0.005)
    assert relative_error(ref, ref) == 0.0
    assert relative_error(np.array([np.nan, 0, 0]), ref) == float("inf")
    assert relative_error(ref[:2], ref) == float("inf")
