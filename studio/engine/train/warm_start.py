"""Warm start: a run whose G, G_ema and D begin as a model file's (ours, rosinality ``.pt``, NVIDIA ``.pkl``).

Model files hold G_ema and (usually) D but neither G nor the optimizers: G starts as G_ema, Adam starts fresh,
and the architecture is the file's, whatever the preset said. A file without D trains a new D from the seed.

An unconditional file can start a class-conditional run: the mapping's new label inputs (fc0's columns for
the embedded label) start at zero and its z columns are rescaled for fc0's wider input, so at step 0 every
class maps exactly as the file's model does; the label embedding and D's class projection (``b4.out`` and its
label mapping) start fresh, the rest of D from the file.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from ..model.checkpoints import LoadedModel, load_model
from ..model.stylegan2 import Discriminator, Generator
from .config import TrainConfig

ARCH_FIELDS = ("resolution", "channels", "z_dim", "w_dim", "mapping_layers", "conv_clamp")
# D's class head: what a conditional file's D must share with the D a run builds to be trained on
LABEL_HEAD = ("cmap_dim", "mapping_layers", "mapping_lr_multiplier")


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


def start_from(model: LoadedModel, G: Generator, D: Discriminator, classes: list[str]) -> list[str]:
    """Copy the file's weights into the run's new G and D (``classes``: the data's); returns notes for the log."""
    c_file, c_run = model.G.c_dim, G.c_dim
    if c_file and c_file != c_run:
        data = f"the data has {c_run} classes" if c_run else "this run is not class-conditional (cond)"
        raise ValueError(f"{model.path}: a class-conditional model with {c_file} classes, but {data}.")
    if c_file and model.D is not None:
        theirs, ours = ({k: m.config[k] for k in LABEL_HEAD} for m in (model.D, D))
        if theirs != ours:
            raise ValueError(f"{model.path}: its discriminator's label mapping ({theirs}) differs from the one "
                             f"GAN Studio trains ({ours}).")
    if c_file == c_run:
        G.load_state_dict(model.G.state_dict())
        if model.D is not None:
            D.load_state_dict(model.D.state_dict())
        if c_file and model.card.get("classes") and model.classes != classes:
            return [f"the file's classes ({', '.join(model.classes)}) are matched to the data's "
                    f"({', '.join(classes)}) by position"]
        return []
    G.load_state_dict(_with_label_inputs(model.G.state_dict(), G))
    if model.D is not None:
        fresh = ("b4.out.",)
        D.load_state_dict({**D.state_dict(), **{k: v for k, v in model.D.state_dict().items()
                                                 if not k.startswith(fresh)}})
    return [f"an unconditional model into {c_run} classes: the mapping's label inputs start at zero, so every "
            "class starts as the file's model; the label embedding and D's class projection start fresh"]


@torch.no_grad()
def _with_label_inputs(sd: dict[str, torch.Tensor], G: Generator) -> dict[str, torch.Tensor]:
    """An unconditional G's state dict for conditional ``G``: fc0 grows zero label columns, its z columns are
    scaled by √(new fan-in / old fan-in) so the runtime weight gain 1/√fan-in leaves them as they were."""
    own = G.state_dict()
    out = dict(sd)
    w = sd["mapping.fc0.weight"]
    grown = torch.zeros_like(own["mapping.fc0.weight"])
    grown[:, : w.shape[1]] = w * math.sqrt(grown.shape[1] / w.shape[1])
    out["mapping.fc0.weight"] = grown
    out["mapping.embed.weight"], out["mapping.embed.bias"] = own["mapping.embed.weight"], own["mapping.embed.bias"]
    return out
