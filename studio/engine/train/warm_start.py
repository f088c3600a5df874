"""Warm start: a run whose G, G_ema and D begin as a model file's (ours, rosinality ``.pt``, NVIDIA ``.pkl``).

Model files hold G_ema and (usually) D but neither G nor the optimizers: G starts as G_ema, Adam starts fresh,
and the architecture is the file's, whatever the preset said. A file without D trains a new D from the seed.
"""

from __future__ import annotations

from dataclasses import replace

from ..model.checkpoints import LoadedModel, load_model
from .config import TrainConfig

ARCH_FIELDS = ("resolution", "channels", "z_dim", "w_dim", "mapping_layers", "conv_clamp")


def warm_start(config: TrainConfig) -> tuple[TrainConfig, LoadedModel, list[str]]:
    """Load ``config.init`` and return the config with the file's architecture, the model, and notes for the log."""
    model = load_model(config.init)
    g = model.G.config
    if g["img_channels"] != 3 or g["mapping_lr_multiplier"] != 0.01:
        raise ValueError(f"{config.init}: only RGB StyleGAN2 models with the standard mapping can be trained on.")
    if model.D is not None:
        d = model.D.config
        if d["channels"] != g["channels"] or (d["mbstd_group_size"], d["mbstd_num_channels"]) != (4, 1):
            raise ValueError(f"{config.init}: its discriminator's layout differs from its generator's; "
                             "GAN Studio trains one channel table for both.")
    arch = {name: g[name] for name in ARCH_FIELDS}
    notes = [f"warm start from {model.path} ({model.card.get('name', model.name)}; G and D from the file, "
             f"fresh optimizers)" + ("" if model.D is not None else "; the file has no D: D starts from scratch")]
    changed = [name for name in ARCH_FIELDS if getattr(config, name) != arch[name]]
    if changed:
        notes.append(f"architecture taken from the file ({', '.join(changed)})")
    return replace(config, init=str(model.path), **arch), model, notes
