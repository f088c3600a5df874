"""The preview runtime: one interface, "ws in, image out", over onnxruntime (TensorRT, CUDA, CPU) and torch.

A frame may carry noise maps (a projection's fitted detail): absolute maps by layer name that replace those
layers' constant noise for the whole batch, as ``G.synthesis(..., noise=...)`` takes them; and a StyleGAN3
model's frame its input transform (the picture moved and turned: ``stylegan3.input_transform``), as
``G.synthesis(..., transform=...)`` takes it, an input of its exported graph too, so moving the picture needs no
new export. StyleGAN3 has one level, "full" (no early exit; see export.format): a drag draws the full picture.

``open_backend`` picks the fastest backend that actually starts on this machine and logs which and why.
onnxruntime-gpu lists the CUDA and TensorRT providers even where there is no GPU, and a session asked for a
provider that cannot start quietly runs on the CPU instead; so a GPU provider only counts once a session
reports it active and has rendered a frame with it. Anything that fails moves on to the next candidate with
the reason logged, and torch (the model as loaded) is the last resort, also for models that cannot export.

fp16 (``open_backend(..., fp16=True)``) applies to the GPU providers only: CUDA runs graphs converted to
float16 (inputs and outputs stay float32), TensorRT builds float16 engines. It roughly halves GPU frame
time at a small cost in accuracy; it could not be measured on our GPU-less CI and is off by default.

TensorRT is tried only when asked for (``prefer="tensorrt"``): it compiles an engine per graph on first use,
which takes minutes for a 1024 px model (cached beside the export afterwards), too long to spring on a user
opening a model.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from ..errors import first_line
from ..images import tensor_to_images
from ..jobs import CancelToken, ProgressFn
from ..model.loaded import LoadedModel
from ..model.stylegan2 import NO_TRANSFORM, Generator
from ..model.stylegan3 import Generator as SG3Generator
from ..paths import PathLike
from .bf16 import Bf16Drag, Bf16Level, worth_trying
from .drag import BF16, EXACT, DragChoice, choose_cheaper_drag, choose_drag, default_drag, frame_seconds
from .export.cache import cached_export, find_export
from .export.format import (
    TENSORRT_CACHE,
    TRANSFORM_INPUT,
    ExportError,
    ExportInfo,
    level_noise_layers,
    level_resolutions,
    noise_input,
)

ArrayLike = np.ndarray | torch.Tensor
NoiseMaps = Mapping[str, ArrayLike]  # layer name (``b32.conv0``) -> (H, W) map
Transform = ArrayLike  # (3, 3): a StyleGAN3 picture's input transform (``stylegan3.input_transform``)
LOG = logging.getLogger(__name__)
PREFERENCES = ("auto", "tensorrt", "cuda", "cpu", "torch")
# onnxruntime providers "auto" tries, fastest first; torch comes after all of them.
_ORT_ORDER = ("cuda", "cpu")


class Backend(ABC):
    """Renders W+ latents to uint8 images at a preview level; ``name`` says what runs it, ``why`` why it was
    chosen and ``drag`` which level a drag draws (``open_backend`` sets both); ``on_cpu``: it computes on this
    machine's processor, not a GPU."""

    name: str
    why: str = ""
    on_cpu: bool = False

    def __init__(
        self, resolution: int, num_ws: int, w_dim: int, *, noise_shapes: Mapping[str, tuple[int, int]],
        architecture: str = "sg2",
    ) -> None:
        """``architecture``: "sg2", or StyleGAN3's "sg3-t" / "sg3-r", which cannot draw a smaller picture for less
        (one level, "full") and alone takes a transform."""
        self.resolution, self.num_ws, self.w_dim = resolution, num_ws, w_dim
        self.architecture = architecture
        self.levels = level_resolutions(resolution, architecture)
        # the drag's choice and, where its path is bf16, what draws it: one tuple, replaced whole, so a frame drawn
        # while another thread times the drag reads a choice and its level that belong together
        self._drag: tuple[DragChoice, Bf16Level | None] = (default_drag(self.levels), None)
        self.noise_shapes = dict(noise_shapes)  # every layer's noise map, name -> (H, W), coarse to fine

    def render(
        self, ws: ArrayLike, level: str = "full", noise: NoiseMaps | None = None, transform: Transform | None = None
    ) -> np.ndarray:
        """ws (N, num_ws, w_dim) -> uint8 (N, H, W, 3) at ``level``: "full", a name of ``levels`` ("128px") or
        "drag", the level ``drag`` chose, on the path it chose (every other level is exact float32). ``noise``:
        maps (H, W) by layer name (``noise_shapes``) replacing those layers' constant noise for the whole batch;
        the maps of layers finer than the level are not used, so one set serves every level. ``transform``: a
        StyleGAN3 model's input transform (3, 3) for the whole batch (``input_transform``), None for the model's
        own; ValueError for a StyleGAN2 model, which has none.
        """
        choice, cheap = self._drag
        ws, drawn = self.prepare_ws(ws), choice.level if level == "drag" else self.resolve_level(level)
        maps, moved = self.prepare_noise(noise), prepare_transform(transform)
        if moved is not None and self.architecture == "sg2":
            raise ValueError(NO_TRANSFORM)
        used = {name: maps[name] for name in level_noise_layers(self.noise_shapes, self.levels[drawn]) if name in maps}
        if level == "drag" and cheap is not None:
            return tensor_to_images(torch.from_numpy(cheap(ws, used)))
        return tensor_to_images(torch.from_numpy(self._synthesize(ws, drawn, used, moved)))

    @property
    def drag(self) -> DragChoice:
        """The level a drag draws, its size, path and measured frames a second (``time_drag``)."""
        return self._drag[0]

    def prepare_ws(self, ws: ArrayLike) -> np.ndarray:
        """``ws`` as a C-contiguous float32 numpy array, checked to be (N, num_ws, w_dim)."""
        return _batch(ws, (self.num_ws, self.w_dim), "ws")

    def prepare_noise(self, noise: NoiseMaps | None, copy: bool = False) -> dict[str, np.ndarray]:
        """``noise`` as C-contiguous float32 numpy maps, each checked against ``noise_shapes``: ValueError naming the
        first map that is not one of this model's. ``copy`` copies them, except read-only arrays that own their data
        (a portrait's: nobody can change them), which saves copying megabytes per frame on a big model."""
        maps = {}
        for name, m in (noise or {}).items():
            if not self.noise_shapes:
                raise ValueError(f"the noise map {name!r} does not fit this model: a StyleGAN3 network has no noise")
            if name not in self.noise_shapes:
                raise ValueError(f"this model has no noise map {name!r} (its layers run from "
                                 f"{next(iter(self.noise_shapes))} to {list(self.noise_shapes)[-1]}).")
            if isinstance(m, torch.Tensor):
                m = m.detach().cpu().numpy()
            frozen = isinstance(m, np.ndarray) and not m.flags.writeable and m.base is None
            m = np.array(m, np.float32, order="C") if copy and not frozen else np.ascontiguousarray(m, np.float32)
            if m.shape != self.noise_shapes[name]:
                raise ValueError(f"the noise map {name!r} must have shape {self.noise_shapes[name]}, not {m.shape}.")
            maps[name] = m
        return maps

    def resolve_level(self, level: str) -> str:
        """The name of the level ``level`` draws: "drag" is the one ``drag`` chose; ValueError for a level this
        model has not."""
        if level == "drag":
            return self.drag.level
        if level not in self.levels:
            raise ValueError(f"level must be 'drag' or one of {', '.join(self.levels)}, not {level!r}")
        return level

    def level_drawn(self, image: np.ndarray) -> str:
        """The name of the level that drew ``image`` (N, H, W, 3), read off its size (each level has its own): what
        a "drag" frame was drawn at even if the drag is being timed, and its choice replaced, on another thread."""
        return next(name for name, px in self.levels.items() if px == image.shape[1])

    def time_drag(
        self, token: CancelToken | None = None, bf16: Generator | None = None,
        seconds: Callable[[str, str], float] | None = None,
    ) -> DragChoice:
        """Choose ``drag`` by timing a few frames of each level on this machine (``choose_drag``): a second or
        two for a big model, none for a model with one level, on the caller's thread, so never on a UI's.
        ``token`` may cancel between frames.

        ``bf16``: the generator this backend draws, to try a bfloat16 drag at larger levels from
        (``choose_cheaper_drag``; ``bf16.worth_trying`` says where): a few seconds more per level built.
        ``seconds(path, level)``: a frame's seconds on a path (``EXACT``, ``BF16``) instead of the wall clock
        (tests)."""

        def render(level: str) -> None:
            if token is not None:
                token.check()
            self.render(np.zeros((1, self.num_ws, self.w_dim), np.float32), level)

        choice = choose_drag(self.levels, frame_seconds(render) if seconds is None else partial(seconds, EXACT))
        cheap = None
        if bf16 is not None:
            built = Bf16Drag(bf16, self.levels, self.render, token)
            choice = choose_cheaper_drag(self.levels, choice, BF16,
                                         built.seconds if seconds is None else partial(seconds, BF16), built.psnr)
            cheap = built.keep(choice)
        self._drag = (choice, cheap)
        return choice

    @abstractmethod
    def _synthesize(
        self, ws: np.ndarray, level: str, noise: dict[str, np.ndarray], transform: np.ndarray | None
    ) -> np.ndarray:
        """float32 (N, num_ws, w_dim), checked maps of the level's layers and a checked transform (or None) ->
        float32 (N, C, H, W), about [-1, 1]."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.resolution} px>"


def prepare_transform(transform: Transform | None) -> np.ndarray | None:
    """``transform`` as a float32 (3, 3) numpy array of finite numbers (a copy), or None; ValueError if not one."""
    if transform is None:
        return None
    if isinstance(transform, torch.Tensor):
        transform = transform.detach().cpu().numpy()
    m = np.array(transform, np.float32)
    if m.shape != (3, 3) or not np.isfinite(m).all():
        raise ValueError(f"a picture's transform must be a (3, 3) matrix of finite numbers, not shape {m.shape}.")
    return m


def _batch(x: ArrayLike, tail: tuple[int, ...], what: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != len(tail) + 1 or x.shape[1:] != tail or x.shape[0] < 1:
        raise ValueError(f"{what} must have shape (N, {', '.join(map(str, tail))}), not {x.shape}")
    return x


class TorchBackend(Backend):
    """The generator as loaded, on its own device: always works, and the only choice if export fails."""

    def __init__(self, G: Generator | SG3Generator) -> None:
        super().__init__(G.resolution, G.num_ws, G.w_dim, noise_shapes=G.synthesis.noise_shapes(),
                         architecture=G.architecture)
        self.G = G
        self.device = next(G.parameters()).device
        self.name = f"torch {self.device.type}"
        self.on_cpu = self.device.type == "cpu"

    @torch.inference_mode()
    def _synthesize(
        self, ws: np.ndarray, level: str, noise: dict[str, np.ndarray], transform: np.ndarray | None
    ) -> np.ndarray:
        ws_t = torch.from_numpy(ws).to(self.device)
        maps = {name: torch.tensor(m, device=self.device) for name, m in noise.items()}  # a portrait's are read-only
        moved = None if transform is None else torch.from_numpy(transform).to(self.device)
        img = self.G.synthesis(ws_t, noise_mode="const", max_resolution=self.levels[level], noise=maps,
                               transform=moved)
        return img.float().cpu().numpy()


class OrtBackend(Backend):
    """onnxruntime sessions over an export folder: one per preview level (the preview maps latents with torch;
    the export's mapping graph is for those who run it elsewhere).

    The synthesis graphs take every noise map of their level as an input whose default is the model's constant
    map (StyleGAN3's: the transform, whose default is the model's own): a frame is fed ``ws`` and only what it
    overrides.
    """

    def __init__(
        self, export_dir: PathLike, provider: str = "cpu", fp16: bool = False,
        threads: int | None = None,
    ) -> None:
        info = ExportInfo.read(export_dir)
        super().__init__(info.resolution, info.num_ws, info.w_dim, noise_shapes=info.noise_shapes,
                         architecture=info.architecture)
        self.info, self.provider, self.fp16 = info, provider, fp16 and provider != "cpu"
        self.on_cpu = provider == "cpu"
        self.threads = threads
        self.name = f"onnxruntime {_PROVIDER_LABEL[provider]}" + (" fp16" if self.fp16 else "")
        self._levels = {name: self._session(name) for name in info.levels}
        # A provider can load and still fail on the first run (TensorRT builds its engine there): render now.
        self._synthesize(np.zeros((1, self.num_ws, self.w_dim), np.float32), "full", {}, None)

    def _session(self, level: str) -> ort.InferenceSession:
        path = self.info.graph_path(level)
        model: str | bytes = str(path)
        if self.fp16 and self.provider == "cuda":
            from onnxruntime.transformers.float16 import convert_float_to_float16

            model = convert_float_to_float16(onnx.load(str(path)), keep_io_types=True).SerializeToString()
        session = ort.InferenceSession(
            model, session_options(self.threads), providers=self._providers(path), enable_fallback=0
        )
        wanted = _PROVIDER_NAME[self.provider]
        if wanted not in session.get_providers():
            raise RuntimeError(f"{wanted} did not start (onnxruntime fell back to {session.get_providers()})")
        return session

    def _providers(self, path: Path) -> list:
        if self.provider == "tensorrt":
            cache = path.parent / TENSORRT_CACHE
            trt = {"trt_engine_cache_enable": True, "trt_engine_cache_path": str(cache), "trt_fp16_enable": self.fp16}
            return [("TensorrtExecutionProvider", trt), "CUDAExecutionProvider", "CPUExecutionProvider"]
        if self.provider == "cuda":
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]
        return ["CPUExecutionProvider"]

    def _synthesize(
        self, ws: np.ndarray, level: str, noise: dict[str, np.ndarray], transform: np.ndarray | None
    ) -> np.ndarray:
        feed = {"ws": ws, **{noise_input(name): m for name, m in noise.items()}}
        if transform is not None:
            feed[TRANSFORM_INPUT] = transform
        return self._levels[level].run(None, feed)[0].astype(np.float32, copy=False)


_PROVIDER_NAME = {
    "tensorrt": "TensorrtExecutionProvider", "cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider"
}
_PROVIDER_LABEL = {"tensorrt": "TensorRT", "cuda": "CUDA", "cpu": "CPU"}


def session_options(threads: int | None = None) -> ort.SessionOptions:
    """Tuned for the latency of one frame at a time (see benchmarks/preview.py for the measurements).

    One thread per physical core (hyper-threads share the FMA units a convolution saturates), every graph
    optimisation (constant folding of the weight scaling and demodulation norms, NCHWc convolutions, fused
    bias + activation), sequential execution (the graph is a chain; parallel execution only adds overhead), and
    no spinning between frames, so an idle preview does not hold cores the UI and other jobs need.
    ``threads`` overrides the thread count (a UI may keep a core for itself).
    """
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = threads or physical_cores()
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    return so


def physical_cores() -> int:
    """Physical cores this process may run on (Linux reads the topology; elsewhere all logical CPUs)."""
    try:
        cpus = os.sched_getaffinity(0)
        cores = {
            Path(f"/sys/devices/system/cpu/cpu{c}/topology/core_cpus_list").read_text().strip() for c in cpus
        }
        return max(1, len(cores))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def nvidia_driver_present() -> bool:
    """Whether the NVIDIA driver library is installed: without it the GPU providers cannot start, so
    "auto" does not try them (trying costs time and fills the terminal with onnxruntime's load errors)."""
    library = "nvcuda" if sys.platform == "win32" else "cuda"
    return sys.platform != "darwin" and ctypes.util.find_library(library) is not None


def open_backend(
    model: LoadedModel,
    prefer: str = "auto",
    fp16: bool = False,
    cache_root: PathLike | None = None,
    log: logging.Logger = LOG,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
    export: bool = True,
    time_drag: bool = True,
) -> Backend:
    """The fastest backend that starts for ``model``: ``prefer`` is tried first, then the rest in speed order.

    ``prefer``: "auto" (onnxruntime CUDA, then onnxruntime CPU, then torch), "tensorrt", "cuda", "cpu"
    (onnxruntime) or "torch"; a preferred provider that fails falls back along the same order. The first use
    of a model exports it to ONNX (a long job: ``progress`` and ``token`` follow it); the export is cached by
    weights hash, so later opens are quick. ``export=False`` uses an export only if the cache holds it (torch
    otherwise): what can draw at once. The backend's ``why`` says why it was chosen, in a sentence; its ``drag``
    is timed on this machine (``time_drag``) unless ``time_drag`` is False or it is torch waiting for the export,
    with a bfloat16 drag tried where ``bf16.worth_trying`` (a CPU backend, a CPU with native bfloat16). StyleGAN3
    models take the same path; their one level is logged, as a drag draws the full picture.
    """
    if prefer not in PREFERENCES:
        raise ValueError(f"prefer must be one of {PREFERENCES}, not {prefer!r}")
    if fp16 and prefer == "cpu":
        log.info("preview: fp16 applies to the GPU providers only; onnxruntime CPU runs float32")
    if model.G.architecture != "sg2":
        log.info("preview: StyleGAN3 has no early exit; a drag draws the full %d px picture too", model.G.resolution)
    if prefer in ("auto", "torch"):
        candidates = list(_ORT_ORDER) if prefer == "auto" else []
    else:
        candidates = [prefer] + [c for c in _ORT_ORDER if c != prefer]
    export_dir: Path | None = None
    failed: list[str] = []  # why each onnxruntime candidate that was tried did not start
    for candidate in candidates:
        label = _PROVIDER_LABEL[candidate]
        if _PROVIDER_NAME[candidate] not in ort.get_available_providers():
            log.info("preview: skipping onnxruntime %s: this onnxruntime build does not have it", label)
            continue
        if candidate != "cpu" and prefer == "auto" and not nvidia_driver_present():
            log.info("preview: skipping onnxruntime %s: no NVIDIA driver found", label)
            continue
        if export_dir is None:
            if not export:
                export_dir = find_export(model, cache_root=cache_root)
                if export_dir is None:
                    log.info("preview: onnxruntime waits for the export; torch draws until then")
                    return _torch(model, "until the model is exported for onnxruntime", log)
            else:
                try:
                    export_dir = cached_export(model, cache_root=cache_root, progress=progress, token=token)
                except ExportError as e:
                    log.warning("preview: cannot use onnxruntime, falling back to torch: %s", e)
                    failed.append(f"the model could not be exported ({e})")
                    break
        try:
            backend: Backend = OrtBackend(export_dir, candidate, fp16=fp16)
        except Exception as e:  # noqa: BLE001 - onnxruntime raises plain RuntimeErrors (Fail, EPFail...) for providers
            log.warning("preview: onnxruntime %s failed to start, falling back: %s", label, first_line(e, 300))
            failed.append(f"onnxruntime {label} did not start ({first_line(e, 300)})")
            continue
        backend.why = "as asked" if candidate == prefer else "the fastest that started"
        log.info("preview backend: %s (%s)", backend.name, backend.why)
        return timed(backend, model, token, log) if time_drag else backend
    why = "as asked" if prefer == "torch" else "the last resort: " + (
        "; ".join(failed) or "no onnxruntime provider is available")
    torch_backend = _torch(model, why, log)
    return timed(torch_backend, model, token, log) if time_drag else torch_backend


def _torch(model: LoadedModel, why: str, log: logging.Logger) -> TorchBackend:
    backend = TorchBackend(model.G)
    backend.why = why
    log.info("preview backend: %s (%s)", backend.name, why)
    return backend


def timed(
    backend: Backend, model: LoadedModel, token: CancelToken | None = None, log: logging.Logger = LOG
) -> Backend:
    """``backend`` with its drag timed on this machine (``Backend.time_drag``, a bfloat16 drag tried where
    ``bf16.worth_trying``), logged; seconds for a big model, so on a worker. A window times it after its first
    picture, while frames may be drawn on another thread."""
    G = model.G
    drag = backend.time_drag(token, bf16=G if worth_trying(G, backend.on_cpu) else None)
    measured = "the model's only level" if drag.fps is None else f"{drag.fps:.1f} frames/s measured"
    path = "" if drag.path == EXACT else f", {drag.path}"
    log.info("preview: a drag draws the %s level (%d px%s), %s", drag.level, drag.resolution, path, measured)
    return backend
