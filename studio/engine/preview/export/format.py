"""The export's format: the files an export folder holds, the graphs' input names, the preview levels and the
format version, and ``ExportInfo``, which reads ``model.json`` back. The writer and the runtime both speak it.

StyleGAN2 and StyleGAN3 differ in two things here. Levels: StyleGAN2's smaller levels stop early and cost a
fraction of a frame; StyleGAN3 has no early exit (every layer works over the whole picture, and its picture
area-averaged down would cost a full frame), so its only level is "full". Inputs beside ``ws``: StyleGAN2's
graphs take the noise maps of their level; StyleGAN3's, which have no noise, take ``transform``, the input's
(3, 3) user transform (``stylegan3.input_transform``): translate and rotate live, without exporting again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ...model.stylegan2 import Generator
from ...model.stylegan3 import Generator as SG3Generator
from ...outputs import check_output_folder, folder_holds_only
from ...paths import PathLike

MIN_LEVEL_RESOLUTION = 8
# The early exits a dragged slider draws, at absolute sizes: a block costs about the same at every resolution
# from 64 px up (the channels halve as the pixels quadruple), so a fraction of a big model's size saves little
# (¼ of 1024 px still ran 3 of its 5 costly blocks); 64 and 128 px run the cheap head of any model. Each model
# gets every one of these below its own size down to ``DRAG_FLOOR`` px, and at least the ``DRAG_LEVELS`` largest:
# a 512-1024 px model's 64 px head is ~32 GFLOP (about 6 frames/s on two cores at float32), its 32 px head a
# quarter of that, the one that reaches ``DRAG_FPS`` on a CPU.
DRAG_SIZES = (256, 128, 64, 32, 16, 8)
DRAG_FLOOR = 32
DRAG_LEVELS = 3
# Bump when the exported graphs change, so caches written by older versions are rebuilt.
FORMAT = "gan-studio-onnx"
# 2: noise maps are graph inputs, the constant ones in noise.npz; 3: each noise input holds the constant map as
# its default (an initializer of the same name), so the graphs run on ``ws`` alone and noise.npz is gone;
# 4: the drag levels at absolute sizes (``synthesis_128.onnx``) instead of ½ and ¼ of the model's; 5: down to
# ``DRAG_FLOOR`` (a 512-1024 px model gains its 32 px level); 6: model.json names the architecture, and an
# SG3 export's synthesis takes ``transform`` (one level), which a version 5 reader would take for StyleGAN2's.
FORMAT_VERSION = 6
INFO_FILE = "model.json"
MAPPING_FILE = "mapping.onnx"
TRANSFORM_INPUT = "transform"  # StyleGAN3's synthesis graph: the input's (3, 3) user transform
# onnxruntime's TensorRT provider keeps its engines in this folder of the export (runtime.py); re-exporting
# deletes it, as the engines were built for the graphs replaced.
TENSORRT_CACHE = "tensorrt"
# Preview levels: "full" (the model's size) and one per drag size, named by it ("128px") -> its graph's file.
LEVELS = {"full": "synthesis.onnx", **{f"{px}px": f"synthesis_{px}.onnx" for px in DRAG_SIZES}}
EXPORT_FILES = (INFO_FILE, MAPPING_FILE, *LEVELS.values())
# What earlier format versions wrote besides: an old cache folder still counts as an export, and is replaced.
OLD_EXPORT_FILES = ("noise.npz", "synthesis_half.onnx", "synthesis_quarter.onnx")


class ExportError(RuntimeError):
    """The model could not be exported, or an exported graph does not match torch; one sentence naming it."""


@dataclass(frozen=True)
class ExportInfo:
    """What ``model.json`` says about an export folder."""

    path: Path
    weights_hash: str
    architecture: str  # "sg2", "sg3-t" or "sg3-r", as the generator's ``architecture``
    generator: dict
    resolution: int
    num_ws: int
    w_dim: int
    z_dim: int
    c_dim: int  # label inputs of the mapping graph (0: unconditional, no ``c`` input)
    opset: int
    levels: dict[str, int]  # level name -> output resolution, for the levels that were exported
    noise_shapes: dict[str, tuple[int, int]]  # every layer's noise map, name -> (H, W), coarse to fine (SG3: none)
    parity: dict[str, float]  # graph ("mapping" or a level) -> worst relative error measured at export

    def graph_path(self, graph: str) -> Path:
        """The file of ``"mapping"`` or a level name."""
        return self.path / (MAPPING_FILE if graph == "mapping" else LEVELS[graph])

    @classmethod
    def read(cls, path: PathLike) -> ExportInfo:
        path = Path(path)
        try:
            d = json.loads((path / INFO_FILE).read_text(encoding="utf-8"))
            if d.get("format") != FORMAT or d.get("format_version") != FORMAT_VERSION:
                raise ExportError(f"{path / INFO_FILE}: written by another version of GAN Studio; export again.")
            return cls(
                path=path, weights_hash=d["source"]["weights_hash"], architecture=d["architecture"],
                generator=d["source"]["generator"],
                resolution=d["resolution"], num_ws=d["num_ws"], w_dim=d["w_dim"], z_dim=d["z_dim"],
                c_dim=d.get("c_dim", 0), opset=d["opset"],
                levels={k: v["resolution"] for k, v in d["graphs"].items() if k in LEVELS},
                noise_shapes={layer["name"]: tuple(layer["shape"]) for layer in d["noise"]["layers"]},
                parity=d["parity"]["relative_error"],
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ExportError(f"{path / INFO_FILE}: not a readable ONNX export description ({e}).") from None


def is_export_folder(folder: Path) -> bool:
    """True when ``folder`` holds nothing but an export's files (a complete one, or the rest of a killed one).

    Any format version's files count (version 2's ``noise.npz`` too), so an old cache folder is re-exported in
    place; so does the TensorRT engine folder a GPU preview adds.
    """
    return folder_holds_only(folder, (*EXPORT_FILES, *OLD_EXPORT_FILES, TENSORRT_CACHE))


def check_export_folder(out_dir: PathLike) -> Path:
    """The output policy for an export: a new or empty folder, or an earlier export, which it replaces."""
    return check_output_folder(out_dir, "an ONNX export", is_export_folder)


def level_resolutions(resolution: int, architecture: str = "sg2") -> dict[str, int]:
    """The preview levels a model of ``resolution`` px gets (name -> px, largest first); every backend offers the
    same ones. StyleGAN2: "full" and the ``DRAG_SIZES`` below it down to ``DRAG_FLOOR``, at least its
    ``DRAG_LEVELS`` largest. StyleGAN3 (``architecture`` sg3-t or sg3-r): "full" only, as it has no early exit."""
    if architecture != "sg2":
        return {"full": resolution}
    below = [px for px in DRAG_SIZES if MIN_LEVEL_RESOLUTION <= px < resolution]
    drag = below[:max(DRAG_LEVELS, sum(px >= DRAG_FLOOR for px in below))]
    return {"full": resolution, **{f"{px}px": px for px in drag}}


def noise_input(layer: str) -> str:
    """The synthesis graphs' input name for a layer's noise map: ``b32.conv0`` -> ``noise_b32_conv0``."""
    return "noise_" + layer.replace(".", "_")


def level_noise_layers(noise_shapes: Mapping[str, tuple[int, int]], resolution: int) -> list[str]:
    """The layers a level of ``resolution`` px renders, coarse to fine: those whose maps are no larger."""
    return [name for name, (h, _) in noise_shapes.items() if h <= resolution]


def level_inputs(architecture: str, noise_shapes: Mapping[str, tuple[int, int]], resolution: int) -> list[str]:
    """A level's synthesis graph inputs beside ``ws``, each with a default: StyleGAN2's noise maps of the layers
    the level renders, StyleGAN3's ``transform``."""
    if architecture != "sg2":
        return [TRANSFORM_INPUT]
    return [noise_input(name) for name in level_noise_layers(noise_shapes, resolution)]


def mapping_inputs(G: Generator | SG3Generator) -> list[str]:
    """The mapping graph's inputs: ``z``, ``psi``, and ``c`` for a class-conditional model."""
    return ["z", "psi", "c"] if G.c_dim else ["z", "psi"]
