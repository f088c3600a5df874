"""The head locator: a small CNN that finds the head (centre x, y and half height) in any 64 px portrait.

A model's samples carry no record of where their heads are; the locator, trained on world portraits whose
records say it (some with their eyes, nose or mouth left unpainted, so a face without features is still found),
gives the box their faces are cropped by. It is not the world probe: a measure of faces should not lean on the
instrument it is reported beside.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..images import images_to_tensor
from ..jobs import CancelToken, ProgressFn, no_progress
from ..paths import shipped
from .face_crop import crop_faces, head_boxes
from .small_cnn import colour_jitter, conv_encoder, fit, load_net

LOCATOR_SIZE = 64
LOCATOR_PATH = shipped("models", "head_locator.safetensors")
# Head x, y, scale are standardised with the world's centre and spread, so the three weigh alike in the loss.
_CENTER = torch.tensor([0.5, 0.41, 0.19])
_SPREAD = torch.tensor([0.1, 0.05, 0.06])


class HeadLocator(nn.Module):
    """Conv encoder (64 px -> 4x4) -> head x, y, scale as fractions of the picture."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.encoder = conv_encoder([3, width, width * 2, width * 4, width * 4])
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(width * 4 * 16, 64), nn.ReLU(inplace=True), nn.Linear(64, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: portraits in [-1, 1], any size (resized to 64 px); returns (N, 3) x, y, scale."""
        if x.shape[-1] != LOCATOR_SIZE:
            x = F.interpolate(x, size=(LOCATOR_SIZE, LOCATOR_SIZE),
                              mode="area" if x.shape[-1] > LOCATOR_SIZE else "bilinear")
        return self.head(self.encoder(x)) * _SPREAD + _CENTER


def train_locator(images: np.ndarray, records: Sequence[dict], steps: int = 1500, batch: int = 32,
                  lr: float = 2e-3, seed: int = 0, progress: ProgressFn = no_progress,
                  token: CancelToken | None = None) -> HeadLocator:
    """Fit a locator on world portraits (uint8 64 px) and their records, with colour jitter and mirroring."""
    torch.manual_seed(seed)
    net = HeadLocator()
    x_all, t_all = images_to_tensor(images), head_boxes(records)

    def batch_loss(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        x, t = colour_jitter(x_all[idx], gen), t_all[idx].clone()
        flip = torch.rand(len(idx), generator=gen) < 0.5  # a mirrored portrait's head sits at 1 - x
        x[flip] = x[flip].flip(-1)
        t[flip, 0] = 1 - t[flip, 0]
        return F.mse_loss((net(x) - _CENTER) / _SPREAD, (t - _CENTER) / _SPREAD)

    return fit(net, batch_loss, len(x_all), steps, batch, lr, seed, "training head locator", progress, token)


@torch.no_grad()
def locate_heads(locator: HeadLocator, images: np.ndarray | torch.Tensor, batch: int = 256) -> torch.Tensor:
    """(N, 3) head x, y, scale of uint8 (N, H, W, 3) portraits or a [-1, 1] (N, 3, H, W) tensor."""
    x = images_to_tensor(images) if isinstance(images, np.ndarray) else images.float()
    return torch.cat([locator.eval()(x[i : i + batch]) for i in range(0, len(x), batch)])


def located_faces(locator: HeadLocator, images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Face crops of portraits (uint8 or [-1, 1] tensor) around the heads the locator finds: how fakes are cropped."""
    x = images_to_tensor(images) if isinstance(images, np.ndarray) else images.float()
    return crop_faces(x, locate_heads(locator, x))


def locator_errors(located: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
    """Mean absolute error of located head x, y, scale against the truth, in fractions of the picture."""
    err = (located - truth).abs().mean(0)
    return {"x_mae": float(err[0]), "y_mae": float(err[1]), "scale_mae": float(err[2])}


def load_locator(path=LOCATOR_PATH) -> HeadLocator:
    return load_net(HeadLocator(), path)


__all__ = ["HeadLocator", "LOCATOR_PATH", "LOCATOR_SIZE", "load_locator", "locate_heads", "located_faces",
           "locator_errors", "train_locator"]
