"""Warm start: a run whose G, G_ema and D begin as a model file's (ours, rosinality ``.pt``, NVIDIA ``.pkl``).

Model files hold G_ema and (usually) D but neither G nor the optimizers: G starts as G_ema, Adam starts fresh,
and the architecture is the file's, whatever the preset said. A file without D trains a new D from the seed.

An unconditional file can start a class-conditional run, and at step 0 both networks are the file's for
class 0 (the world's portraits). G: class 0 maps as the file's model, every other class starts at a random
offset in the mapping, as in a fresh model (``_with_label_inputs``). D: the label mapping starts fresh and the
projection head returns the file's logit for every class (``_with_label_head``). Tried first on the four-genre
world run from the portrait default: zero label columns in G (every class the file's model) with a fresh
random D head, and then with this D head; in both, every class drew the same mixture of genres at 8 kimg,
the portraits dissolved, since zero columns leave G unable to tell the classes apart (see below).
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from ..model.checkpoints import load_model
from ..model.loaded import LoadedModel
from ..model.stylegan2 import Discriminator, Generator, normalize_2nd_moment
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
        D.load_state_dict(_with_label_head(model.D.state_dict(), D))
    return [f"an unconditional model into {c_run} classes: class 0 ({classes[0]}) starts as the file's model, the "
            "others at random offsets in the mapping; D's class projection returns the file's logit for every label"]


@torch.no_grad()
def _with_label_inputs(sd: dict[str, torch.Tensor], G: Generator) -> dict[str, torch.Tensor]:
    """An unconditional G's state dict for conditional ``G`` (freshly built) in which class 0 maps as the file's.

    fc0 reads [z, embedded label]: its z columns are the file's, scaled by √(new fan-in / old fan-in) so the
    runtime weight gain 1/√fan-in leaves them as they were; its label columns keep their fresh random values
    minus their component along class 0's embedded label, so class 0 adds nothing and every other class a
    random offset, as in a model built fresh. Zero label columns would keep every class at the file's model,
    but they would stay near zero: the mapping learns at 0.01× the learning rate, so the classes could not
    move apart in a CPU run, and zero columns pass no gradient back to the label embedding (1×), which
    is how the classes move apart here.
    """
    own = G.state_dict()
    out = {**sd, "mapping.embed.weight": own["mapping.embed.weight"], "mapping.embed.bias": own["mapping.embed.bias"]}
    w = sd["mapping.fc0.weight"]
    grown = own["mapping.fc0.weight"].clone()
    grown[:, : w.shape[1]] = w * math.sqrt(grown.shape[1] / w.shape[1])
    first = torch.zeros(1, G.c_dim, device=grown.device)
    first[0, 0] = 1
    e0 = normalize_2nd_moment(G.mapping.embed(first))[0]  # what fc0's label columns read for class 0
    label = grown[:, w.shape[1]:]
    grown[:, w.shape[1]:] = label - torch.outer(label @ e0, e0) / e0.dot(e0)
    out["mapping.fc0.weight"] = grown
    return out


@torch.no_grad()
def _with_label_head(sd: dict[str, torch.Tensor], D: Discriminator) -> dict[str, torch.Tensor]:
    """An unconditional D's state dict for conditional ``D`` (freshly built) whose logit is the file's for
    every class.

    The head returns out(x)·cmap(c) / √d (d = cmap_dim). The label mapping keeps its fresh weights, so each
    class has its own random ``cmap`` as in a run from scratch, and ``out`` starts as u ⊗ (the file's row):
    out(x) = u · f(x) with f the file's logit, where u is the least-norm vector with u·cmap(c) = √d for every
    class c. The logit is then f(x) for every class, and ``out`` (learning rate ×1, unlike the mapping's ×0.01)
    learns each class's share from there.
    """
    cmap = D.mapping(None, torch.eye(D.c_dim, device=D.b4.out.weight.device))  # (c_dim, d)
    d = cmap.shape[1]
    u = cmap.T @ torch.linalg.solve(cmap @ cmap.T, torch.full((D.c_dim,), math.sqrt(d), dtype=cmap.dtype))
    out = {**D.state_dict(), **{k: v for k, v in sd.items() if not k.startswith("b4.out.")}}
    out["b4.out.weight"] = u[:, None] * sd["b4.out.weight"]  # (d, 1) x (1, in) -> (d, in); gains are equal
    out["b4.out.bias"] = u * sd["b4.out.bias"]
    return out
