"""Export a generator to ONNX for the preview: ``mapping.onnx``, ``synthesis*.onnx``, ``noise.npz``, ``model.json``.

Why ONNX: onnxruntime renders the synthesis network with about 1.4-1.6x less CPU time than torch eager (see
benchmarks/preview.py) and runs it on CUDA/TensorRT where there is a GPU, with no torch CUDA build needed. The
graphs use the non-fused modulated convolution (no per-sample weights, so nothing in them depends on the batch
size) and have a dynamic batch dimension. The noise maps are inputs rather than baked-in constants, so a
portrait that carries its own detail maps (a projection's fitted noise) renders through the same graphs.

What is written (one folder per model):

- ``mapping.onnx``: ``z`` (N, z_dim) and ``psi`` (a scalar: truncation towards ``w_avg``, 1 = none) -> ``ws``
  (N, num_ws, w_dim), the same as ``G.mapping(z, psi)``. A class-conditional model's graph also takes ``c``
  (N, c_dim), the one-hot class labels: ``G.mapping(z, c, psi)``.
- ``synthesis.onnx``: ``ws`` (N, num_ws, w_dim) and one noise map per layer, ``noise_b32_conv0`` (H, W) and so on
  (``noise_input``), shared by the whole batch -> ``img`` (N, C, H, W), float, roughly in [-1, 1]; the same as
  ``G.synthesis(ws, noise_mode="const", noise=maps)``.
- ``synthesis_half.onnx`` / ``synthesis_quarter.onnx``: the same ``ws`` and the maps of the layers up to the level's
  resolution (``level_noise_layers``) -> the RGB skip output at 1/2 and 1/4 of the resolution
  (``G.synthesis(ws, max_resolution=...)``), which stops early and costs a fraction of a full frame: what a
  preview shows while a slider is being dragged. Written for every level of at least ``MIN_LEVEL_RESOLUTION`` px
  (8: a 4 px image is only the learned constant; 8 px already shows the layout).
- ``noise.npz``: the model's constant noise maps by layer name (``b32.conv0``), what a frame without maps of
  its own is fed.
- ``model.json``: the source model's weights hash and architecture, shapes, names, opset, files and the parity
  figures measured at export time.

Every graph is checked against torch at export time (batch 1 and 4 fed the constant maps, batch 4 fed random
maps for all its layers; relative error = max|ort - torch| / max|torch| must be at most ``PARITY_TOLERANCE``).
The export is built in a temporary folder beside the target and moved into place only once it has passed,
``model.json`` last, so a folder holding ``model.json`` is complete and checked. The preview cache keeps the
``CACHE_KEEP`` most recently used models' exports and sweeps the temporary folders of killed exports.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import shutil
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from ..atomic import atomic_dir, sweep_stale
from ..errors import first_line
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..model.checkpoints import LoadedModel
from ..model.labels import balanced_labels
from ..model.stylegan2 import Generator
from ..outputs import check_output_folder, folder_holds_only
from ..paths import user_cache_dir

PathLike = str | os.PathLike

OPSET = 18
MIN_OPSET = 18  # torch's exporter writes opset 18 when asked for anything older
PARITY_TOLERANCE = 1e-3
PARITY_BATCHES = (1, 4)
MIN_LEVEL_RESOLUTION = 8
# Bump when the exported graphs change, so caches written by older versions are rebuilt.
FORMAT = "gan-studio-onnx"
FORMAT_VERSION = 2  # 2: noise maps are graph inputs, the constant ones in noise.npz
INFO_FILE = "model.json"
MAPPING_FILE = "mapping.onnx"
NOISE_FILE = "noise.npz"
# onnxruntime's TensorRT provider keeps its engines in this folder of the export (runtime.py); re-exporting
# deletes it, as the engines were built for the graphs replaced.
TENSORRT_CACHE = "tensorrt"
# Preview levels: name -> (divisor of the model's resolution, file).
LEVELS = {
    "full": (1, "synthesis.onnx"),
    "half": (2, "synthesis_half.onnx"),
    "quarter": (4, "synthesis_quarter.onnx"),
}
EXPORT_FILES = (INFO_FILE, MAPPING_FILE, NOISE_FILE, *(file for _, file in LEVELS.values()))
# The preview cache keeps the exports of this many models, the most recently used: each is 8-30 MB.
CACHE_KEEP = 4
BATCH = torch.export.Dim("batch")  # the graphs' symbolic batch dimension


class ExportError(RuntimeError):
    """The model could not be exported, or an exported graph does not match torch; one sentence naming it."""


@dataclass(frozen=True)
class ExportInfo:
    """What ``model.json`` says about an export folder."""

    path: Path
    weights_hash: str
    generator: dict
    resolution: int
    num_ws: int
    w_dim: int
    z_dim: int
    c_dim: int  # label inputs of the mapping graph (0: unconditional, no ``c`` input)
    opset: int
    levels: dict[str, int]  # level name -> output resolution, for the levels that were exported
    noise_shapes: dict[str, tuple[int, int]]  # every layer's noise map, name -> (H, W), coarse to fine
    parity: dict[str, float]  # graph ("mapping" or a level) -> worst relative error measured at export

    def graph_path(self, graph: str) -> Path:
        """The file of ``"mapping"`` or a level name."""
        return self.path / (MAPPING_FILE if graph == "mapping" else LEVELS[graph][1])

    def level_noise(self, level: str) -> list[str]:
        """The layers whose noise maps the graph of ``level`` takes as inputs."""
        return level_noise_layers(self.noise_shapes, self.levels[level])

    def noise_maps(self) -> dict[str, np.ndarray]:
        """The model's constant noise maps (``noise.npz``), float32 by layer name, checked against ``model.json``."""
        path = self.path / NOISE_FILE
        try:
            with np.load(path, allow_pickle=False) as npz:
                maps = {name: np.ascontiguousarray(npz[name], dtype=np.float32) for name in self.noise_shapes}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
            raise ExportError(f"{path}: not a readable noise map file ({first_line(e)}); export again.") from None
        for name, m in maps.items():
            if m.shape != self.noise_shapes[name]:
                raise ExportError(f"{path}: the map {name!r} has shape {m.shape}, not {self.noise_shapes[name]}.")
        return maps

    @classmethod
    def read(cls, path: PathLike) -> ExportInfo:
        path = Path(path)
        try:
            d = json.loads((path / INFO_FILE).read_text(encoding="utf-8"))
            if d.get("format") != FORMAT or d.get("format_version") != FORMAT_VERSION:
                raise ExportError(f"{path / INFO_FILE}: written by another version of GAN Studio; export again.")
            return cls(
                path=path, weights_hash=d["source"]["weights_hash"], generator=d["source"]["generator"],
                resolution=d["resolution"], num_ws=d["num_ws"], w_dim=d["w_dim"], z_dim=d["z_dim"],
                c_dim=d.get("c_dim", 0), opset=d["opset"],
                levels={k: v["resolution"] for k, v in d["graphs"].items() if k in LEVELS},
                noise_shapes={layer["name"]: tuple(layer["shape"]) for layer in d["noise"]["layers"]},
                parity=d["parity"]["relative_error"],
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ExportError(f"{path / INFO_FILE}: not a readable ONNX export description ({e}).") from None


def max_opset() -> int:
    """The newest ONNX opset the installed onnx package knows (the exporter's upper limit)."""
    return onnx.defs.onnx_opset_version()


def check_opset(opset: int) -> int:
    """Refuse an opset the exporter would silently replace by another (it writes 18 for anything older)."""
    if not MIN_OPSET <= opset <= max_opset():
        raise ValueError(f"opset {opset} cannot be exported; choose one from {MIN_OPSET} to {max_opset()}.")
    return opset


def is_export_folder(folder: Path) -> bool:
    """True when ``folder`` holds nothing but an export's files (a complete one, or the rest of a killed one).

    Any format version's files count (version 1 lacked ``noise.npz``), so an old cache folder is re-exported in
    place; so does the TensorRT engine folder a GPU preview adds.
    """
    return folder_holds_only(folder, (*EXPORT_FILES, TENSORRT_CACHE))


def check_export_folder(out_dir: PathLike) -> Path:
    """The output policy for an export: a new or empty folder, or an earlier export, which it replaces."""
    return check_output_folder(out_dir, "an ONNX export", is_export_folder)


def level_resolutions(resolution: int) -> dict[str, int]:
    """The preview levels a model of ``resolution`` px gets (name -> px); every backend offers the same ones."""
    return {name: resolution // div for name, (div, _) in LEVELS.items() if resolution // div >= MIN_LEVEL_RESOLUTION}


def noise_input(layer: str) -> str:
    """The synthesis graphs' input name for a layer's noise map: ``b32.conv0`` -> ``noise_b32_conv0``."""
    return "noise_" + layer.replace(".", "_")


def level_noise_layers(noise_shapes: Mapping[str, tuple[int, int]], resolution: int) -> list[str]:
    """The layers a level of ``resolution`` px renders, coarse to fine: those whose maps are no larger."""
    return [name for name, (h, _) in noise_shapes.items() if h <= resolution]


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max|actual - expected| / max|expected|; infinite when either side is not finite (nothing to trust)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape or not (np.isfinite(actual).all() and np.isfinite(expected).all()):
        return float("inf")
    scale = np.abs(expected).max()
    diff = np.abs(actual - expected).max()
    return float(diff / scale) if scale > 0 else (0.0 if diff == 0 else float("inf"))


# --- export -------------------------------------------------------------------------------------------------


class _MappingGraph(nn.Module):
    """z, psi (, c) -> ws: the mapping network with truncation as an input rather than a baked-in constant."""

    def __init__(self, G: Generator) -> None:
        super().__init__()
        self.mapping = G.mapping

    def forward(self, z: torch.Tensor, psi: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.mapping.w_avg.lerp(self.mapping(z, c), psi)


def mapping_inputs(G: Generator) -> list[str]:
    """The mapping graph's inputs: ``z``, ``psi``, and ``c`` for a class-conditional model."""
    return ["z", "psi", "c"] if G.c_dim else ["z", "psi"]


class _SynthesisLevels(nn.Module):
    """ws and every layer's noise map -> one image per preview level, traced together once; each level is cut
    out as its own graph with the inputs it uses. The maps are a list because torch.export takes a variable
    number of inputs only as one list argument."""

    def __init__(self, G: Generator, resolutions: list[int]) -> None:
        super().__init__()
        self.synthesis, self.resolutions = G.synthesis, resolutions
        self.layers = list(G.synthesis.noise_shapes())

    def forward(self, ws: torch.Tensor, noise: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        maps = dict(zip(self.layers, noise))
        return tuple(
            self.synthesis(ws, noise_mode="const", fused=False, max_resolution=r, noise=maps)
            for r in self.resolutions
        )


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter warns and logs about things a user cannot act on (missing torchvision, each rewrite rule)."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript", "onnx_ir")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _to_onnx(module: nn.Module, args: tuple, input_names: list[str], output_names: list[str], shapes: dict,
             opset: int) -> onnx.ModelProto:
    """torch.export (dynamo) -> optimised ONNX. ``shapes``: forward's arguments -> their dynamic dimensions
    (``{0: BATCH}`` keeps the batch symbolic), as torch.export's ``dynamic_shapes``."""
    with _quiet_exporter(), torch.no_grad():
        program = torch.onnx.export(
            module.eval(), args, None, input_names=input_names, output_names=output_names, opset_version=opset,
            dynamo=True, dynamic_shapes=shapes, external_data=False, verbose=False,
        )
    return program.model_proto


def _cut_level(model: onnx.ModelProto, output: str, inputs: list[str]) -> onnx.ModelProto:
    """The part of the multi-level synthesis graph that computes ``output`` from ``inputs`` (``ws`` and the
    level's noise maps), with that output renamed ``img``."""
    level = onnx.utils.Extractor(model).extract_model(inputs, [output])
    for node in level.graph.node:
        node.output[:] = ["img" if o == output else o for o in node.output]
    level.graph.output[0].name = "img"
    return level


def _cpu_float(G: Generator) -> Generator:
    """The exporter and the parity check run on the CPU in float32; copy G only when it is elsewhere."""
    if all(p.device.type == "cpu" and p.dtype == torch.float32 for p in G.parameters()):
        return G
    return copy.deepcopy(G).cpu().float()


def export_onnx(
    model: LoadedModel,
    out_dir: PathLike,
    opset: int = OPSET,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> ExportInfo:
    """Export ``model``'s generator to ``out_dir``, checked against torch.

    ``out_dir`` is new, empty or an earlier export (``check_export_folder``), never a folder of other files.
    Raises ``ExportError`` when torch cannot export the network or a graph misses the parity tolerance; then
    nothing is left behind (the temporary folder is deleted) and an existing ``out_dir`` is untouched.
    """
    check_opset(opset)
    out_dir = check_export_folder(out_dir)
    progress, token = progress or no_progress, ensure_token(token)
    G = _cpu_float(model.G)
    levels = level_resolutions(G.resolution)
    steps = ["mapping exported", "mapping checked", "synthesis exported", "synthesis checked", "written"]
    done = iter(range(1, len(steps) + 1))

    def step(message: str) -> None:
        progress(Progress(next(done), len(steps), message))
        token.check()

    with atomic_dir(out_dir, last=INFO_FILE, replaces=EXPORT_FILES) as tmp:
        token.check()
        z = torch.randn(2, G.z_dim)
        c = balanced_labels(G, 2)
        args = (z, torch.tensor(0.7)) + ((c,) if c is not None else ())
        dynamic = {"z": {0: BATCH}, "psi": None, **({"c": {0: BATCH}} if c is not None else {})}
        try:
            mapping = _to_onnx(_MappingGraph(G), args, mapping_inputs(G), ["ws"], dynamic, opset)
        except Exception as e:
            raise ExportError(
                f"{model.name}: torch could not export the mapping network to ONNX ({first_line(e)})."
            ) from e
        _save_graph(mapping, tmp / MAPPING_FILE, opset)
        step(steps[0])
        parity = {"mapping": _check_mapping(tmp / MAPPING_FILE, G)}
        step(steps[1])

        ws = G.mapping(z, c).detach()
        shapes = G.synthesis.noise_shapes()
        noise = [torch.randn(shape) for shape in shapes.values()]  # not the buffers: an input must not alias one
        inputs = ["ws", *map(noise_input, shapes)]
        outputs = [f"img_{name}" for name in levels]
        try:
            synthesis = _to_onnx(
                _SynthesisLevels(G, list(levels.values())), (ws, noise), inputs, outputs,
                {"ws": {0: BATCH}, "noise": [None] * len(noise)}, opset,
            )
        except Exception as e:
            raise ExportError(
                f"{model.name}: torch could not export the synthesis network to ONNX ({first_line(e)})."
            ) from e
        for name, output in zip(levels, outputs):
            level_inputs = ["ws", *map(noise_input, level_noise_layers(shapes, levels[name]))]
            _save_graph(_cut_level(synthesis, output, level_inputs), tmp / LEVELS[name][1], opset)
        constants = {name: G.synthesis.get_submodule(name).noise_const.numpy() for name in shapes}
        np.savez(tmp / NOISE_FILE, **constants)
        step(steps[2])
        for name, res in levels.items():
            parity[name] = _check_synthesis(tmp / LEVELS[name][1], G, res, constants)
        step(steps[3])

        info = _describe(model, G, levels, opset, parity)
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(out_dir / TENSORRT_CACHE, ignore_errors=True)
    step(steps[4])
    return ExportInfo.read(out_dir)


def _save_graph(graph: onnx.ModelProto, path: Path, opset: int) -> None:
    """Write a graph, making sure it is in the opset ``model.json`` will state."""
    written = next((o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")), None)
    if written != opset:
        raise ExportError(f"{path.name}: torch wrote ONNX opset {written} when asked for {opset}; "
                          f"choose an opset from {MIN_OPSET} to {max_opset()}.")
    onnx.save(graph, str(path))


def _describe(model: LoadedModel, G: Generator, levels: dict[str, int], opset: int, parity: dict) -> dict:
    graphs = {"mapping": {"file": MAPPING_FILE, "inputs": mapping_inputs(G), "outputs": ["ws"]}}
    shapes = G.synthesis.noise_shapes()
    for name, res in levels.items():
        inputs = ["ws", *map(noise_input, level_noise_layers(shapes, res))]
        graphs[name] = {"file": LEVELS[name][1], "resolution": res, "inputs": inputs, "outputs": ["img"]}
    # a list, not an object: sort_keys would put b16 before b4, and the order (coarse to fine) is the contract
    layers = [{"name": name, "input": noise_input(name), "shape": list(shape)} for name, shape in shapes.items()]
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "source": {"name": model.name, "weights_hash": model.weights_hash, "generator": G.config},
        "resolution": G.resolution, "num_ws": G.num_ws, "w_dim": G.w_dim, "z_dim": G.z_dim,
        **({"c_dim": G.c_dim} if G.c_dim else {}),
        "img_channels": G.img_channels, "noise_mode": "const", "opset": opset, "graphs": graphs,
        "noise": {"file": NOISE_FILE, "layers": layers},
        "files": [g["file"] for g in graphs.values()] + [NOISE_FILE],
        "parity": {
            "metric": "max|onnxruntime - torch| / max|torch|", "tolerance": PARITY_TOLERANCE,
            "batches": list(PARITY_BATCHES), "provider": "CPUExecutionProvider", "relative_error": parity,
            "noise": f"{NOISE_FILE} at every batch, random maps for all of a level's layers at the largest",
        },
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }


# --- parity -------------------------------------------------------------------------------------------------


def _cpu_session(path: Path) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ExportError(f"{path}: onnxruntime cannot load the graph ({first_line(e)}).") from e


def _require(path: Path, err: float) -> float:
    if not err <= PARITY_TOLERANCE:
        raise ExportError(
            f"{path}: differs from torch by a relative error of {err:.3g}, over the {PARITY_TOLERANCE:g} tolerance."
        )
    return err


def _parity_ws(G: Generator, n: int, seed: int) -> torch.Tensor:
    """Realistic W+ inputs: mapped latents, a different one for every layer so every affine is exercised."""
    z = torch.randn(n * G.num_ws, G.z_dim, generator=torch.Generator().manual_seed(seed))
    return G.mapping(z, balanced_labels(G, n * G.num_ws))[:, 0].reshape(n, G.num_ws, G.w_dim)


@torch.no_grad()
def _check_mapping(path: Path, G: Generator) -> float:
    session = _cpu_session(path)
    worst = 0.0
    for n in PARITY_BATCHES:
        z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(n))
        c = balanced_labels(G, n)
        for psi in (1.0, 0.7):
            feed = {"z": z.numpy(), "psi": np.array(psi, np.float32)}
            if c is not None:
                feed["c"] = c.numpy()
            got = session.run(None, feed)[0]
            worst = max(worst, relative_error(got, G.mapping(z, c, truncation_psi=psi).numpy()))
    return _require(path, worst)


@torch.no_grad()
def _check_synthesis(path: Path, G: Generator, resolution: int, constants: Mapping[str, np.ndarray]) -> float:
    """Fed ``constants`` (what ``noise.npz`` holds) the graph must render G's own picture; fed random maps for
    all of its layers (at the largest batch: one set shared by the batch), what G renders with those maps."""
    session = _cpu_session(path)
    layers = level_noise_layers(G.synthesis.noise_shapes(), resolution)
    defaults = {noise_input(name): constants[name] for name in layers}
    rng = torch.Generator().manual_seed(resolution)
    random = {name: torch.randn(constants[name].shape, generator=rng) for name in layers}
    cases = [(n, None) for n in PARITY_BATCHES] + [(max(PARITY_BATCHES), random)]
    worst = 0.0
    for n, maps in cases:
        ws = _parity_ws(G, n, seed=n)
        want = G.synthesis(ws, noise_mode="const", max_resolution=resolution, noise=maps).numpy()
        feed = {"ws": ws.numpy(), **defaults}
        if maps is not None:
            feed.update({noise_input(name): m.numpy() for name, m in maps.items()})
        worst = max(worst, relative_error(session.run(None, feed)[0], want))
    return _require(path, worst)


def verify_export(path: PathLike, G: Generator) -> dict[str, float]:
    """Re-run the export-time parity check of every graph in ``path`` against ``G``; raises ``ExportError``."""
    info = ExportInfo.read(path)
    G = _cpu_float(G)
    constants = info.noise_maps()
    parity = {"mapping": _check_mapping(info.graph_path("mapping"), G)}
    for name, res in info.levels.items():
        parity[name] = _check_synthesis(info.graph_path(name), G, res, constants)
    return parity


# --- cache --------------------------------------------------------------------------------------------------


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
    sweep_stale(root)  # the temporary folders of exports that were killed
    path = root / model.weights_hash
    try:
        info = ExportInfo.read(path)
        if info.opset == opset and info.generator == json.loads(json.dumps(model.G.config)):
            with contextlib.suppress(OSError):  # used now: the folder's time is what trimming sorts by
                os.utime(path)
            return path
    except ExportError:
        pass
    export_onnx(model, path, opset=opset, progress=progress, token=token)
    trim_cache(root, keep=CACHE_KEEP)
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
