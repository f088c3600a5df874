"""``export_onnx``: a generator's preview graphs written to a folder, each checked against torch before the
folder is moved into place (see the package's docstring for what is written)."""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import logging
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
from torch import nn
from tqdm import tqdm

from ...atomic import atomic_dir
from ...errors import first_line
from ...jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ...model.labels import balanced_labels
from ...model.loaded import LoadedModel
from ...model.stylegan2 import Generator
from ...model.stylegan3 import Generator as SG3Generator
from ...paths import PathLike
from .format import (
    EXPORT_FILES,
    FORMAT,
    FORMAT_VERSION,
    INFO_FILE,
    LEVELS,
    MAPPING_FILE,
    OLD_EXPORT_FILES,
    TENSORRT_CACHE,
    TRANSFORM_INPUT,
    ExportError,
    ExportInfo,
    check_export_folder,
    level_inputs,
    level_resolutions,
    mapping_inputs,
    noise_input,
)
from .parity import PARITY_BATCHES, PARITY_TOLERANCE, check_mapping, check_synthesis

OPSET = 18
MIN_OPSET = 18  # torch's exporter writes opset 18 when asked for anything older
BATCH = torch.export.Dim("batch")  # the graphs' symbolic batch dimension


def max_opset() -> int:
    """The newest ONNX opset the installed onnx package knows (the exporter's upper limit)."""
    return onnx.defs.onnx_opset_version()


def check_opset(opset: int) -> int:
    """Refuse an opset the exporter would silently replace by another (it writes 18 for anything older)."""
    if not MIN_OPSET <= opset <= max_opset():
        raise ValueError(f"opset {opset} cannot be exported; choose one from {MIN_OPSET} to {max_opset()}.")
    return opset


class _MappingGraph(nn.Module):
    """z, psi (, c) -> ws: the mapping network with truncation as an input rather than a baked-in constant."""

    def __init__(self, G: Generator | SG3Generator) -> None:
        super().__init__()
        self.mapping = G.mapping

    def forward(self, z: torch.Tensor, psi: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.mapping.w_avg.lerp(self.mapping(z, c), psi)


class _SynthesisLevels(nn.Module):
    """ws and the inputs beside it (``synthesis_inputs``) -> one image per preview level, all from one pass (a
    level's image is the skip output on the way to the full one), traced once; each level is cut out as its own
    graph with the inputs it uses. The inputs are a list because torch.export takes a variable number of inputs
    only as one list: StyleGAN2's noise maps, or StyleGAN3's transform."""

    def __init__(self, G: Generator | SG3Generator, resolutions: list[int]) -> None:
        super().__init__()
        self.synthesis, self.resolutions = G.synthesis, resolutions
        self.layers = list(G.synthesis.noise_shapes())
        self.sg2 = G.architecture == "sg2"

    def forward(self, ws: torch.Tensor, inputs: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        given = {"noise": dict(zip(self.layers, inputs))} if self.sg2 else {"transform": inputs[0]}
        return tuple(self.synthesis.outputs(ws, self.resolutions, noise_mode="const", fused=False, **given))


def synthesis_inputs(G: Generator | SG3Generator) -> dict[str, np.ndarray]:
    """The synthesis graphs' inputs beside ``ws`` (graph input name -> default), in the order ``_SynthesisLevels``
    takes them: StyleGAN2's noise maps, each the layer's constant map; StyleGAN3's ``transform``, the network's
    own (the identity unless its snapshot set one), which is what ``G.synthesis`` uses when given none."""
    if G.architecture != "sg2":
        return {TRANSFORM_INPUT: G.synthesis.input.transform.numpy()}
    return {noise_input(name): G.synthesis.get_submodule(name).noise_const.numpy()
            for name in G.synthesis.noise_shapes()}


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter warns and logs about things a user cannot act on (missing torchvision, each rewrite rule),
    and torch.fx makes a (disabled) tqdm bar, whose first one starts tqdm's watchdog thread for good."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript", "onnx_ir")]
    levels = [logger.level for logger in loggers]
    monitor = tqdm.monitor_interval
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    tqdm.monitor_interval = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        tqdm.monitor_interval = monitor
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


def _cut_level(model: onnx.ModelProto, output: str, defaults: dict[str, np.ndarray]) -> onnx.ModelProto:
    """The part of the multi-level synthesis graph that computes ``output`` from ``ws`` and the level's other
    inputs, with that output renamed ``img``; ``defaults`` (input -> the model's own value: a constant noise map,
    StyleGAN3's transform) become initializers of the same names, so a run fed ``ws`` alone renders the model's
    own picture and a feed of an input overrides its default (ONNX IR >= 4: an initializer named as a graph
    input is that input's default)."""
    level = onnx.utils.Extractor(model).extract_model(["ws", *defaults], [output])
    for node in level.graph.node:
        node.output[:] = ["img" if o == output else o for o in node.output]
    level.graph.output[0].name = "img"
    level.graph.initializer.extend(numpy_helper.from_array(m, name) for name, m in defaults.items())
    return level


def _traceable(G: Generator | SG3Generator) -> Generator | SG3Generator:
    """G for the exporter and the parity check: a module tree of its own, on the CPU in float32.

    torch.export swaps a module's parameters for fake tensors while it traces, so another thread drawing with
    the same module meanwhile (the window's first pictures while the export runs) would compute with those. A
    tree of its own over the same tensors keeps both right without a second copy of the weights; a G elsewhere
    (a GPU, half precision) is copied to the CPU in float32.
    """
    tensors = [*G.parameters(), *G.buffers()]
    if all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors):
        return copy.deepcopy(G, memo={id(t): t for t in tensors})
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
    G = _traceable(model.G)
    levels = level_resolutions(G.resolution, G.architecture)
    steps = ["mapping exported", "mapping checked", "synthesis exported", "synthesis checked", "written"]
    done = iter(range(1, len(steps) + 1))

    def step(message: str) -> None:
        progress(Progress(next(done), len(steps), message))
        token.check()

    with atomic_dir(out_dir, last=INFO_FILE, replaces=(*EXPORT_FILES, *OLD_EXPORT_FILES)) as tmp:
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
        parity = {"mapping": check_mapping(tmp / MAPPING_FILE, G)}
        step(steps[1])

        ws = G.mapping(z, c).detach()
        defaults = synthesis_inputs(G)
        given = [torch.randn(d.shape) for d in defaults.values()]  # not the buffers: an input must not alias one
        outputs = [f"img_{name}" for name in levels]
        try:
            synthesis = _to_onnx(
                _SynthesisLevels(G, list(levels.values())), (ws, given), ["ws", *defaults], outputs,
                {"ws": {0: BATCH}, "inputs": [None] * len(given)}, opset,
            )
        except Exception as e:
            raise ExportError(
                f"{model.name}: torch could not export the synthesis network to ONNX ({first_line(e)})."
            ) from e
        shapes = G.synthesis.noise_shapes()
        for name, output in zip(levels, outputs):
            used = {k: defaults[k] for k in level_inputs(G.architecture, shapes, levels[name])}
            _save_graph(_cut_level(synthesis, output, used), tmp / LEVELS[name], opset)
        del synthesis  # the traced graph holds a copy of the weights: free it before the check renders
        gc.collect()
        step(steps[2])
        parity.update(check_synthesis(G, {name: (tmp / LEVELS[name], res) for name, res in levels.items()}))
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


def _describe(
    model: LoadedModel, G: Generator | SG3Generator, levels: dict[str, int], opset: int, parity: dict
) -> dict:
    graphs = {"mapping": {"file": MAPPING_FILE, "inputs": mapping_inputs(G), "outputs": ["ws"]}}
    shapes = G.synthesis.noise_shapes()
    for name, res in levels.items():
        inputs = ["ws", *level_inputs(G.architecture, shapes, res)]
        graphs[name] = {"file": LEVELS[name], "resolution": res, "inputs": inputs, "outputs": ["img"]}
    # a list, not an object: sort_keys would put b16 before b4, and the order (coarse to fine) is the contract
    layers = [{"name": name, "input": noise_input(name), "shape": list(shape)} for name, shape in shapes.items()]
    transform = {} if G.architecture == "sg2" else {"transform": {
        "input": TRANSFORM_INPUT, "shape": [3, 3],
        "defaults": "the network's own (the identity unless its snapshot set one), as an initializer of the name",
        "meaning": "the inverse of the picture's motion, as stylegan3.input_transform(translate, rotate) makes it",
    }}
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "architecture": G.architecture,
        "source": {"name": model.name, "weights_hash": model.weights_hash, "generator": G.config},
        "resolution": G.resolution, "num_ws": G.num_ws, "w_dim": G.w_dim, "z_dim": G.z_dim,
        **({"c_dim": G.c_dim} if G.c_dim else {}),
        "img_channels": G.img_channels, "noise_mode": "const", "opset": opset, "graphs": graphs,
        "noise": {"defaults": "the model's constant maps, as initializers of the inputs' names", "layers": layers},
        **transform,
        "files": [g["file"] for g in graphs.values()],
        "parity": {
            "metric": "max|onnxruntime - torch| / max|torch|", "tolerance": PARITY_TOLERANCE,
            "batches": list(PARITY_BATCHES), "provider": "CPUExecutionProvider", "relative_error": parity,
            "inputs": "each level at batch 1 fed its defaults, and other values for all of its inputs beside ws "
                      "(random noise maps; StyleGAN3: a translation and rotation); the smallest level at the "
                      "largest batch fed those other values",
        },
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }
