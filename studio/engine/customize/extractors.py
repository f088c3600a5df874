"""``load_extractor()``: the fixed photo->sketch network F that customization looks at G's samples through.

All extractors map an image (N, 3, H, W) in [-1, 1] to a sketch (N, 1, H, W) in [-1, 1] (white paper +1,
ink -1, like PhotoSketch). They are frozen (eval mode, no trainable parameters) but not detached, so
gradients flow through F into the generator. A learned one runs at the size it was trained for and its
output is resized back, as the paper does when it downscales 1024 px samples to 256 px for PhotoSketch.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file
from torch import nn

from ..model.checkpoints import MODELS_DIR
from .edges import EdgeSketch
from .pix2pix import ResnetGenerator, resnet_config_from_state_dict

WORLD_EXTRACTOR = MODELS_DIR / "sketch_extractor_world.safetensors"
EXTRACTOR_NAMES = ("default", "world", "photosketch:PATH")
PHOTOSKETCH_MAX_SIZE = 256


class SketchExtractorError(ValueError):
    """An extractor could not be loaded; the message names the file or spec and says why."""


class SketchExtractor(nn.Module):
    """Frozen F: resizes to the network's working size (if it has one), runs it, resizes back."""

    def __init__(self, net: nn.Module, name: str, work_size: int | None = None, max_size: int | None = None):
        super().__init__()
        self.net, self.name, self.work_size, self.max_size = net, name, work_size, max_size
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> SketchExtractor:
        return super().train(False)  # BatchNorm must keep its running statistics: F never trains

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        size = img.shape[-1]
        work = self.work_size or (min(size, self.max_size) if self.max_size else size)
        x = img if work == size else F.interpolate(img, size=(work, work), mode="bilinear", antialias=work < size,
                                                    align_corners=False)
        y = self.net(x)
        if work != size:
            y = F.interpolate(y, size=img.shape[-2:], mode="bilinear", antialias=size < work, align_corners=False)
        return y.clamp(-1, 1)


def load_extractor(spec: str = "default") -> SketchExtractor:
    """``"default"`` (edges, no weights), ``"world"`` (ours, shipped) or ``"photosketch:PATH"``."""
    if spec == "default":
        return SketchExtractor(EdgeSketch(), "default")
    if spec == "world":
        return load_world_extractor(WORLD_EXTRACTOR)
    if spec.startswith("photosketch:"):
        return load_photosketch(Path(spec.split(":", 1)[1]))
    raise SketchExtractorError(f"unknown sketch extractor {spec!r}: use one of {', '.join(EXTRACTOR_NAMES)}.")


def load_photosketch(path: Path) -> SketchExtractor:
    """PhotoSketch's ``latest_net_G.pth`` (a pix2pix ResnetGenerator state dict), read weights-only."""
    if not path.is_file():
        raise SketchExtractorError(f"{path}: no such PhotoSketch weights file.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises many types for non-checkpoints; one sentence for all
        raise SketchExtractorError(f"{path}: not a readable PyTorch weights file ({type(e).__name__}).") from None
    if isinstance(sd, dict) and isinstance(sd.get("state_dict"), dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        raise SketchExtractorError(f"{path}: holds no state dict.")
    sd = {k.removeprefix("module."): v for k, v in sd.items() if isinstance(v, torch.Tensor)}
    return SketchExtractor(_resnet_from(path, sd), "photosketch", max_size=PHOTOSKETCH_MAX_SIZE)


def load_world_extractor(path: Path) -> SketchExtractor:
    """Our world extractor: a small ResnetGenerator in .safetensors, its config in the metadata."""
    if not path.is_file():
        raise SketchExtractorError(f"{path}: the world sketch extractor is missing from this installation.")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        sd = load_file(str(path))
        work_size = int(json.loads(meta["extractor"])["work_size"])
    except (SafetensorError, KeyError, ValueError, OSError) as e:
        raise SketchExtractorError(f"{path}: not a GAN Studio sketch extractor ({type(e).__name__}).") from None
    return SketchExtractor(_resnet_from(path, sd), "world", work_size=work_size)


def _resnet_from(path: Path, sd: dict[str, torch.Tensor]) -> ResnetGenerator:
    try:
        net = ResnetGenerator(**resnet_config_from_state_dict(sd))
    except (KeyError, IndexError):
        raise SketchExtractorError(f"{path}: not a pix2pix ResnetGenerator (layer names do not match).") from None
    expected = net.state_dict()
    # checkpoints from PyTorch < 0.4.1 have no BatchNorm num_batches_tracked counters; nothing reads them here
    missing = [k for k in expected if k not in sd and not k.endswith("num_batches_tracked")]
    extra = [k for k in sd if k not in expected]
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise SketchExtractorError(f"{path}: the layer layout does not match a pix2pix ResnetGenerator ({what}).")
    bad = [k for k, v in sd.items() if tuple(v.shape) != tuple(expected[k].shape)]
    if bad:
        raise SketchExtractorError(f"{path}: tensor {bad[0]} has shape {tuple(sd[bad[0]].shape)}, "
                                   f"expected {tuple(expected[bad[0]].shape)}.")
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in sd.items()}, strict=False)
    return net
