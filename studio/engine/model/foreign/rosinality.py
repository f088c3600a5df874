"""rosinality/stylegan2-pytorch ``.pt`` checkpoints (``g_ema``, optional ``g``, ``d``, ``latent_avg``).

Read with ``torch.load(weights_only=True)``, its declared sizes checked first (``safe_pickle.torch_load``); the
size, channel table and mapping depth come from the tensors, whose names are mapped onto our networks' (NVIDIA's
layout).
"""

from __future__ import annotations

import argparse
import pickle
import warnings
from pathlib import Path

import torch

from ..loaded import LoadedModel
from ..reading import CheckpointError, estimate_w_avg, strict_load
from ..safe_pickle import UnsafePickleError, torch_load
from ..stylegan2 import Discriminator, Generator


def read_rosinality(path: Path) -> LoadedModel:
    """G (and D when the file has it) from a rosinality checkpoint; nothing but tensors is unpickled."""
    with torch.serialization.safe_globals([argparse.Namespace]), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's notes on pickle protocols mean nothing to a user
        try:
            ckpt = torch_load(path)
        except pickle.UnpicklingError as e:
            if "Unsupported global" in str(e) or "weights_only" in str(e).lower():
                raise UnsafePickleError("it contains Python objects that a weights-only checkpoint cannot") from None
            raise
    if not isinstance(ckpt, dict) or "g_ema" not in ckpt:
        if isinstance(ckpt, dict) and "style.1.weight" in ckpt:
            ckpt = {"g_ema": ckpt}
        else:
            raise CheckpointError(f"{path}: a PyTorch file, but not a rosinality StyleGAN2 checkpoint (no 'g_ema').")
    g_sd = ckpt["g_ema"]
    G = strict_load(path, Generator, _g_config(path, g_sd), _g_keys(g_sd))
    card = {}
    if isinstance(ckpt.get("latent_avg"), torch.Tensor):
        G.mapping.w_avg.copy_(ckpt["latent_avg"].reshape(-1))
    else:
        G.mapping.w_avg.copy_(estimate_w_avg(G))
        card["w_avg"] = "estimated from 10,000 samples (seed 0): the file has no latent_avg"
    D = None
    if isinstance(ckpt.get("d"), dict):
        D = strict_load(path, Discriminator, _d_config(path, ckpt["d"]), _d_keys(ckpt["d"]))
    contents = [k for k in ("g_ema", "g", "d", "latent_avg", "g_optim", "d_optim", "args") if k in ckpt]
    return LoadedModel(G, D, path, "rosinality", card, contents)


def _count(sd: dict, fmt: str, start: int = 0) -> int:
    """How many consecutive keys ``fmt.format(start), fmt.format(start + 1)…`` the state dict has."""
    n = 0
    while fmt.format(start + n) in sd:
        n += 1
    return n


def _g_config(path: Path, sd: dict) -> dict:
    if "input.input" not in sd or "to_rgb1.conv.weight" not in sd:
        raise CheckpointError(f"{path}: 'g_ema' is not a rosinality StyleGAN2 generator (no input or to_rgb1).")
    n_up = _count(sd, "to_rgbs.{}.conv.weight")
    resolution = 2 ** (n_up + 2)
    channels = {4: sd["input.input"].shape[1]}
    for k in range(n_up):
        channels[2 ** (k + 3)] = sd[f"convs.{2 * k}.conv.weight"].shape[1]
    n_mlp = _count(sd, "style.{}.weight", 1)
    w_dim = sd["style.1.weight"].shape[0]
    return dict(
        resolution=resolution, channels=channels, z_dim=sd["style.1.weight"].shape[1], w_dim=w_dim,
        mapping_layers=n_mlp,
    )


def _g_keys(sd: dict) -> dict[str, torch.Tensor]:
    out = {}
    n_mlp = _count(sd, "style.{}.weight", 1)
    for i in range(n_mlp):
        out[f"mapping.fc{i}.weight"] = sd[f"style.{i + 1}.weight"]
        out[f"mapping.fc{i}.bias"] = sd[f"style.{i + 1}.bias"]
    out["mapping.w_avg"] = torch.zeros(sd["style.1.weight"].shape[0])
    out["synthesis.b4.const"] = sd["input.input"][0]

    def layer(dst: str, src: str, noise: str) -> None:
        out[f"{dst}.weight"] = sd[f"{src}.conv.weight"][0]
        out[f"{dst}.affine.weight"] = sd[f"{src}.conv.modulation.weight"]
        out[f"{dst}.affine.bias"] = sd[f"{src}.conv.modulation.bias"]
        out[f"{dst}.noise_strength"] = sd[f"{src}.noise.weight"].reshape([])
        out[f"{dst}.bias"] = sd[f"{src}.activate.bias"]
        out[f"{dst}.noise_const"] = sd[noise][0, 0]

    def torgb(dst: str, src: str) -> None:
        out[f"{dst}.weight"] = sd[f"{src}.conv.weight"][0]
        out[f"{dst}.affine.weight"] = sd[f"{src}.conv.modulation.weight"]
        out[f"{dst}.affine.bias"] = sd[f"{src}.conv.modulation.bias"]
        out[f"{dst}.bias"] = sd[f"{src}.bias"].reshape(-1)

    layer("synthesis.b4.conv1", "conv1", "noises.noise_0")
    torgb("synthesis.b4.torgb", "to_rgb1")
    for k in range(_count(sd, "to_rgbs.{}.conv.weight")):
        b = f"synthesis.b{2 ** (k + 3)}"
        layer(f"{b}.conv0", f"convs.{2 * k}", f"noises.noise_{2 * k + 1}")
        layer(f"{b}.conv1", f"convs.{2 * k + 1}", f"noises.noise_{2 * k + 2}")
        torgb(f"{b}.torgb", f"to_rgbs.{k}")
    return out


def _d_config(path: Path, sd: dict) -> dict:
    if "convs.0.0.weight" not in sd or "final_linear.1.weight" not in sd:
        raise CheckpointError(f"{path}: 'd' is not a rosinality StyleGAN2 discriminator.")
    n_blocks = _count(sd, "convs.{}.conv1.0.weight", 1)
    resolution = 2 ** (n_blocks + 2)
    channels = {resolution: sd["convs.0.0.weight"].shape[0]}
    for k in range(1, n_blocks + 1):
        channels[resolution // 2**k] = sd[f"convs.{k}.conv2.1.weight"].shape[0]
    return dict(resolution=resolution, channels=channels)


def _d_keys(sd: dict) -> dict[str, torch.Tensor]:
    n_blocks = _count(sd, "convs.{}.conv1.0.weight", 1)
    top = 2 ** (n_blocks + 2)
    out = {f"b{top}.fromrgb.weight": sd["convs.0.0.weight"], f"b{top}.fromrgb.bias": sd["convs.0.1.bias"]}
    for k in range(1, n_blocks + 1):
        b, s = f"b{top // 2 ** (k - 1)}", f"convs.{k}"
        out[f"{b}.conv0.weight"] = sd[f"{s}.conv1.0.weight"]
        out[f"{b}.conv0.bias"] = sd[f"{s}.conv1.1.bias"]
        out[f"{b}.conv1.weight"] = sd[f"{s}.conv2.1.weight"]
        out[f"{b}.conv1.bias"] = sd[f"{s}.conv2.2.bias"]
        out[f"{b}.skip.weight"] = sd[f"{s}.skip.1.weight"]
    out["b4.conv.weight"], out["b4.conv.bias"] = sd["final_conv.0.weight"], sd["final_conv.1.bias"]
    out["b4.fc.weight"], out["b4.fc.bias"] = sd["final_linear.0.weight"], sd["final_linear.0.bias"]
    out["b4.out.weight"], out["b4.out.bias"] = sd["final_linear.1.weight"], sd["final_linear.1.bias"]
    return out
