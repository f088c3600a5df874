"""Train our own sketch extractor on the world's (painting, contour drawing) pairs with the pix2pix recipe.

PhotoSketch itself is a pix2pix model trained on (photo, contour drawing) pairs; this does the same for
the painted world: a ResnetGenerator (small by default, so it trains in minutes on a CPU) against a
PatchGAN critic that sees (painting, sketch) pairs, with loss = adversarial + λ·L1 (λ = 100).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from ..atomic import atomic_path, atomic_write_text
from ..grid import make_grid
from ..images import images_to_tensor, tensor_to_images
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..world import render_sample
from .pix2pix import PatchDiscriminator, ResnetGenerator


@dataclass
class ExtractorTrainConfig:
    pairs: int = 500  # world samples rendered once and reused (flipped at random)
    first_seed: int = 2_000_000  # away from the seeds generators and the probe train on
    size: int = 128  # working size: hand-drawn-like 2 px strokes at 128 px
    crop: int = 64  # train on random crops (the nets are fully convolutional): 4x cheaper per step
    ngf: int = 16
    n_blocks: int = 4
    ndf: int = 32
    steps: int = 2500
    batch: int = 4
    lr: float = 2e-4
    l1_weight: float = 100.0
    seed: int = 0
    preview_every: int = 100


def world_pairs(seeds: range, size: int, token: CancelToken, report: ProgressFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 3, S, S) paintings and (N, 1, S, S) sketches in [-1, 1] for ``seeds``."""
    images, sketches = [], []
    for i, seed in enumerate(seeds):
        token.check()
        s = render_sample(seed, size)
        images.append(s.image)
        sketches.append(s.sketch)
        report(Progress(i + 1, len(seeds), "rendering world pairs"))
    x = images_to_tensor(np.stack(images))
    y = torch.from_numpy(np.stack(sketches))[:, None].float() / 127.5 - 1
    return x, y


def train_extractor(
    out: Path,
    config: ExtractorTrainConfig | None = None,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> Path:
    """Train a world extractor and write it to ``out`` (.safetensors + .json card); returns ``out``."""
    cfg = config or ExtractorTrainConfig()
    report, token = progress or no_progress, ensure_token(token)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x_all, y_all = world_pairs(range(cfg.first_seed, cfg.first_seed + cfg.pairs), cfg.size, token, report)
    G = ResnetGenerator(3, 1, cfg.ngf, cfg.n_blocks).train()
    D = PatchDiscriminator(4, cfg.ndf).train()
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    metrics: dict[str, float] = {}
    for step in range(1, cfg.steps + 1):
        token.check()
        idx = torch.randint(cfg.pairs, (cfg.batch,), generator=gen)
        x, y = x_all[idx], y_all[idx]
        flip = torch.rand(cfg.batch, generator=gen) < 0.5
        flip = flip[:, None, None, None]
        x, y = torch.where(flip, x.flip(-1), x), torch.where(flip, y.flip(-1), y)
        top, left = (int(v) for v in torch.randint(cfg.size - cfg.crop + 1, (2,), generator=gen))
        window = (..., slice(top, top + cfg.crop), slice(left, left + cfg.crop))
        x, y = x[window], y[window]
        fake = G(x)
        # D: real pairs vs fake pairs, halved as in pix2pix so D learns slower than G
        d_real, d_fake = D(torch.cat([x, y], 1)), D(torch.cat([x, fake.detach()], 1))
        loss_d = 0.5 * (F.softplus(-d_real).mean() + F.softplus(d_fake).mean())
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_adv = F.softplus(-D(torch.cat([x, fake], 1))).mean()
        loss_l1 = (fake - y).abs().mean()
        opt_g.zero_grad(set_to_none=True)
        (loss_adv + cfg.l1_weight * loss_l1).backward()
        opt_g.step()
        metrics = {"loss_l1": loss_l1.item(), "loss_adv": loss_adv.item(), "loss_D": loss_d.item()}
        preview = None
        if step % cfg.preview_every == 0 or step == cfg.steps:
            row = [tensor_to_images(t[:4]) for t in (x, y, fake.detach())]
            preview = make_grid([im for r in row for im in r], cols=4)
        report(Progress(step, cfg.steps, "training sketch extractor", preview=preview, metrics=metrics))
    save_extractor(out, G.eval(), cfg, metrics)
    return out


def save_extractor(out: Path, G: ResnetGenerator, cfg: ExtractorTrainConfig, metrics: dict[str, float]) -> None:
    meta = {"format": "gan-studio-sketch-extractor", "extractor": json.dumps({**G.config, "work_size": cfg.size})}
    tensors = {k: v.detach().contiguous() for k, v in G.state_dict().items()}
    with atomic_path(out) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    card = {"name": out.stem, "kind": "sketch extractor (pix2pix ResnetGenerator, world contour drawings)",
            "architecture": G.config, "work_size": cfg.size, "training": asdict(cfg), "final_metrics": metrics}
    atomic_write_text(out.with_suffix(".json"), json.dumps(card, indent=2, sort_keys=True) + "\n")
