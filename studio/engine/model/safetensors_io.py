"""Our own format: ``.safetensors`` holding G (EMA) and D with the architecture and card in its metadata, plus
the JSON model card beside it, which a person may edit (the name, class names, recommended settings).

The metadata names the generator's architecture (``sg2``, ``sg3-t``, ``sg3-r``; files from before StyleGAN3
name none: ``sg2``) beside its settings (for StyleGAN3, the layer table's)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes

from ..atomic import atomic_write_bytes, atomic_write_text
from ..paths import PathLike
from .loaded import LoadedModel
from .reading import CheckpointError, strict_load
from .stylegan2 import Discriminator, Generator
from .stylegan3 import Generator as SG3Generator

FORMAT_NAME = "gan-studio"
FORMAT_VERSION = "1"


def card_path(path: PathLike) -> Path:
    """The JSON model card beside a model file."""
    return Path(path).with_suffix(".json")


def read_studio(path: Path) -> LoadedModel:
    """G and D as saved by ``save_model``, with the card: the file's own, updated by the JSON beside it."""
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: a safetensors file, but not a GAN Studio model (no architecture in it).")
    tensors = load_file(str(path), device="cpu")
    g_cfg = json.loads(meta["generator"])
    architecture = meta.get("architecture", "sg2")
    G = strict_load(path, lambda **cfg: _generator(path, architecture, cfg), g_cfg, _prefixed(tensors, "G."))
    D = None
    if meta.get("discriminator"):
        d_cfg = json.loads(meta["discriminator"])
        D = strict_load(path, Discriminator, _int_channels(d_cfg), _prefixed(tensors, "D."))
    card = json.loads(meta.get("card", "{}"))
    sidecar = card_path(path)
    if sidecar.exists():
        try:
            card.update(json.loads(sidecar.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass  # the card is informative; the weights' own metadata is authoritative
    contents = ["G_ema"] + (["D"] if D is not None else []) + ["w_avg"]
    return LoadedModel(G, D, path, "studio", card, contents)


def _generator(path: Path, architecture: str, cfg: dict) -> Generator | SG3Generator:
    """The generator ``architecture`` names, built from its settings ``cfg``."""
    if architecture == "sg2":
        return Generator(**_int_channels(cfg))
    G = SG3Generator(**cfg) if architecture in ("sg3-t", "sg3-r") else None
    if G is None or G.architecture != architecture:
        raise CheckpointError(f"{path}: its architecture {architecture!r} is not one this GAN Studio knows "
                              "(sg2, sg3-t, sg3-r).")
    return G


def _int_channels(cfg: dict) -> dict:
    cfg = dict(cfg)
    cfg["channels"] = {int(k): int(v) for k, v in cfg["channels"].items()}
    return cfg


def _prefixed(tensors: dict, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def save_model(
    path: PathLike, G: Generator | SG3Generator, D: Discriminator | None = None, card: dict | None = None,
    half: bool = False,
) -> Path:
    """Write G (and D) as GAN Studio ``.safetensors`` with the architecture inside, plus the JSON card.

    ``half`` stores the tensors as float16 (half the size, for shipped models); loading upcasts to float32.
    """
    path = Path(path)
    if path.suffix.lower() != ".safetensors":
        raise ValueError(f"{path}: GAN Studio models are saved as .safetensors")
    card = dict(card or {})
    card.setdefault("name", path.stem)
    if "classes" in card and len(card["classes"]) != G.c_dim:
        raise ValueError(f"{path}: the card names {len(card['classes'])} classes; the generator has {G.c_dim}.")
    card["architecture"] = {"network": G.architecture, "generator": G.config,
                            **({"discriminator": D.config} if D is not None else {})}
    dtype = torch.float16 if half else torch.float32
    tensors = {f"G.{k}": v.detach().cpu().to(dtype).contiguous() for k, v in G.state_dict().items()}
    if D is not None:
        tensors.update({f"D.{k}": v.detach().cpu().to(dtype).contiguous() for k, v in D.state_dict().items()})
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "architecture": G.architecture,
            "generator": json.dumps(G.config), "card": json.dumps(card)}
    if D is not None:
        meta["discriminator"] = json.dumps(D.config)
    # Serialised in memory and written by Python, so a full disk is an OSError naming the file rather than
    # safetensors' own "I/O error" text.
    atomic_write_bytes(path, safetensors_bytes(tensors, metadata=meta))
    atomic_write_text(card_path(path), json.dumps(card, indent=2, sort_keys=True) + "\n")
    return path
