"""The face-crop critic (``--face-critic``): a second, small discriminator that judges 32 px face crops alone.

At 64 px a face's eyes are 1-2 px wide, so the whole-picture D barely sees whether a face is formed; a critic
that reads the face square up close (``world.face_crop``, as person-image synthesis adds a face D) makes G pay
for a smooth oval. Reals are cropped around the heads their world records give (the truth, ``StepBatches``'
``heads``); fakes around the heads the shipped head locator finds in them, the locator frozen and its reading
detached, so G is judged on the face where its own picture puts one and cannot move the box to please D_face.
The crop is an affine grid, differentiable in the picture, so G's gradient flows back through it.

D_face is StyleGAN2's D (residual blocks, minibatch stddev) at 32 px and narrow (``FACE_CHANNELS``); the loop
gives it an Adam of its own and trains it in the D phases, with R1 on its real crops at the run's interval and
the run's R1 weight scaled to its size as the R1 heuristic scales (γ ∝ resolution²). The face probe, the
measure of faces, is never used here; the face figure does crop fakes with the same locator (README).
"""

from __future__ import annotations

import torch
from torch import nn

from ..model.stylegan2 import Discriminator
from ..world.face_crop import FACE_SIZE, crop_faces
from ..world.head_locator import load_locator
from .config import TrainConfig

FACE_CHANNELS = {4: 64, 8: 64, 16: 64, 32: 32}
# What the loop reports of it: per step (the G phase's face term, D_face's logistic loss), and its lazy R1.
FACE_STATS = ("loss_G_face", "loss_D_face", "r1_face")


class FaceCritic:
    """D_face (``D``; ``D_train`` is what trains, wrapped for DDP by the loop), the frozen locator, and the
    weight of its loss in G's loss and its R1 weight."""

    def __init__(self, config: TrainConfig, device: torch.device) -> None:
        self.D = Discriminator(FACE_SIZE, FACE_CHANNELS, conv_clamp=config.conv_clamp).to(device)
        self.D_train: nn.Module = self.D
        self.locator = load_locator().to(device).eval().requires_grad_(False)
        self.weight = config.face_weight
        self.gamma = config.gamma * (FACE_SIZE / config.resolution) ** 2

    def real_crops(self, real: torch.Tensor, heads: torch.Tensor) -> torch.Tensor:
        """Face crops of reals (N, 3, R, R) around their recorded heads (N, 3) x, y, scale."""
        return crop_faces(real, heads)

    def fake_crops(self, fake: torch.Tensor) -> torch.Tensor:
        """Face crops of fakes around the heads the locator finds in them: differentiable in ``fake``, the boxes
        not."""
        with torch.no_grad():
            heads = self.locator(fake.detach().float())
        return crop_faces(fake, heads)
