"""StyleGAN2's per-step objective, as NVlabs' ``loss.py``: the losses of each phase of an iteration
(``phases``), forward and backward, on the batch the loop prepared.

- "G": the non-saturating loss on fakes (style mixing, w_avg tracking; w_avg then averaged over ranks);
- "G_reg": path-length regularisation on a smaller batch (``pl_batch_shrink``), its running mean over ranks;
- "D": the logistic loss on fakes, then on reals;
- "D_reg": lazy R1 on the reals.
The regularisers' losses are scaled by their interval (lazy regularisation); the loop sets which phases run.
With a face-crop critic (``face_critic``), G's loss gains its weight times D_face's non-saturating loss on the
fakes' face crops, and D_face learns in "D" and "D_reg" as D does, on face crops of the same fakes and reals.
"""

from __future__ import annotations

import torch
from torch import nn

from ..edit.latents import crossover
from ..model.stylegan2 import Discriminator, Generator
from . import distributed
from .augment import Augment
from .config import TrainConfig
from .distributed import Ranks
from .face_critic import FaceCritic
from .hardware import Plan
from .losses import d_loss_fake, d_loss_real, g_nonsaturating, path_lengths, r1_penalty


class MixingGenerator(nn.Module):
    """G as trained: mapping (fp32) with style mixing, then synthesis with random noise as the ``plan`` says.

    One module for the whole G computation, so DistributedDataParallel sees every G weight in one forward.
    """

    def __init__(self, G: Generator, mixing_prob: float, plan: Plan) -> None:
        super().__init__()
        self.G, self.mixing_prob, self.plan = G, mixing_prob, plan

    def forward(
        self, z: torch.Tensor, c: torch.Tensor | None = None, update_w_avg: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        G = self.G
        ws = G.mapping(z, c, update_w_avg=update_w_avg)
        if self.mixing_prob > 0 and float(torch.rand(())) < self.mixing_prob:
            cutoff = int(torch.randint(1, G.num_ws, ()))
            ws = crossover(ws, G.mapping(torch.randn_like(z), c), cutoff)  # the same class, as NVIDIA mixes
        with self.plan.autocast():
            img = G.synthesis(ws, noise_mode="random", fused=self.plan.fused)
        return img.float(), ws


class StyleGAN2Loss:
    """The losses of a run on its networks: ``G_train``/``D_train`` are what trains (wrapped for DDP when several
    processes train), ``mixing`` is G with style mixing unwrapped (for fakes that need no gradients), ``face``
    the face-crop critic (None: none)."""

    def __init__(
        self, config: TrainConfig, G: Generator, D: Discriminator, G_train: nn.Module, D_train: nn.Module,
        mixing: MixingGenerator, augment: Augment, plan: Plan, ranks: Ranks, device: torch.device,
        face: FaceCritic | None = None,
    ) -> None:
        self.config, self.G, self.D, self.G_train, self.D_train = config, G, D, G_train, D_train
        self.mixing, self.augment, self.plan, self.ranks, self.device = mixing, augment, plan, ranks, device
        self.face = face
        self.pl_mean = torch.zeros([], device=device)  # the path lengths' running mean, checkpointed by the loop

    def accumulate_gradients(
        self, phase: str, batch: tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]
    ) -> dict[str, torch.Tensor]:
        """``batch``: reals in [-1, 1] on the device, their one-hot labels (None: unconditional) and their heads
        (x, y, scale; None without a face critic). Returns the phase's statistics as tensors (the loop averages
        them over ranks in one go)."""
        cfg, dev, face = self.config, self.device, self.face
        real, c, heads = batch
        n, z_dim = real.shape[0], cfg.z_dim
        if phase == "G":
            img, _ = self.G_train(torch.randn(n, z_dim, device=dev), c, update_w_avg=True)
            loss_G = g_nonsaturating(self._logits(self.D, img, c)).mean()
            report = {"loss_G": loss_G.detach()}
            if face is not None:
                loss_face = g_nonsaturating(self._logits(face.D, face.fake_crops(img), None)).mean()
                report["loss_G_face"] = loss_face.detach()
                loss_G = loss_G + face.weight * loss_face
            loss_G.backward()
            distributed.mean_(self.G.mapping.w_avg, self.ranks)
            return report
        if phase == "G_reg":
            n_pl = max(1, n // cfg.pl_batch_shrink)
            img, ws = self.G_train(torch.randn(n_pl, z_dim, device=dev), c[:n_pl] if c is not None else None)
            lengths = path_lengths(img, ws)
            batch_mean = distributed.mean_(lengths.detach().mean(), self.ranks)
            self.pl_mean.copy_(self.pl_mean.lerp(batch_mean, cfg.pl_decay))
            penalty = (lengths - self.pl_mean).square()
            ((penalty * cfg.pl_weight + img[:, 0, 0, 0] * 0).mean() * cfg.pl_interval).backward()
            return {"pl": penalty.detach().mean()}
        if phase == "D":
            with torch.no_grad():
                fake, _ = self.mixing(torch.randn(n, z_dim, device=dev), c)
            loss_D, real_logits = self._critic_loss(self.D_train, fake, real, c)
            report = {"loss_D": loss_D, "real_sign": real_logits.sign().mean()}
            if face is not None:
                report["loss_D_face"] = self._critic_loss(face.D_train, face.fake_crops(fake),
                                                          face.real_crops(real, heads), None)[0]
            return report
        if phase == "D_reg":
            report = {"r1": self._r1(self.D_train, real, c, cfg.gamma)}
            if face is not None:
                report["r1_face"] = self._r1(face.D_train, face.real_crops(real, heads), None, face.gamma)
            return report
        raise ValueError(f"StyleGAN2 has no phase {phase!r}")

    def _critic_loss(
        self, D: nn.Module, fake: torch.Tensor, real: torch.Tensor, c: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A critic's logistic loss on fakes, then on reals, each back-propagated; returns the loss and the real
        logits, detached."""
        loss_fake = d_loss_fake(self._logits(D, fake, c)).mean()
        loss_fake.backward()
        real_logits = self._logits(D, real, c)
        loss_real = d_loss_real(real_logits).mean()
        loss_real.backward()
        return (loss_fake + loss_real).detach(), real_logits.detach()

    def _r1(self, D: nn.Module, real: torch.Tensor, c: torch.Tensor | None, gamma: float) -> torch.Tensor:
        """A critic's lazy R1 of weight ``gamma`` on the reals, back-propagated; returns the mean penalty."""
        real_in = real.detach().requires_grad_(True)
        logits = D(self.augment(real_in), c)
        penalty = r1_penalty(real_in, logits)
        ((penalty * (gamma / 2) + logits[:, 0] * 0).mean() * self.config.r1_interval).backward()
        return penalty.detach().mean()

    def _logits(self, D: nn.Module, img: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """D's logits for augmented ``img`` (labels ``c``) in the plan's precision, as fp32 for the losses (R1 calls
        D in fp32)."""
        with self.plan.autocast():
            return D(self.augment(img), c).float()
