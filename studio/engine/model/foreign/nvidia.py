"""NVIDIA stylegan2-ada-pytorch and NVlabs/stylegan3 ``.pkl`` network snapshots (``G_ema``, ``G``, ``D``, ...).

The pickle is read with ``safe_pickle.restricted_load``: nothing in it runs, and each embedded network arrives
as a ``PersistentRecord`` (class name, constructor arguments, tensors). One function per network kind builds
our module from its record (``stylegan2_generator``, ``stylegan2_discriminator``, and
``nvidia_sg3.stylegan3_generator`` for a generator with a ``SynthesisInput``); ``read_nvidia`` picks them.
StyleGAN3 snapshots carry StyleGAN2's discriminator.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ..loaded import LoadedModel
from ..ops import setup_filter
from ..reading import CheckpointError, strict_load
from ..safe_pickle import PersistentRecord, restricted_load
from ..stylegan2 import Discriminator, Generator
from .nvidia_sg3 import is_stylegan3, stylegan3_generator


def read_nvidia(path: Path) -> LoadedModel:
    """G (``G_ema``, else ``G``) and D when the snapshot has it; nothing in the pickle is imported or run."""
    with open(path, "rb") as f:
        data = restricted_load(f)
    if not isinstance(data, dict) or not isinstance(data.get("G_ema", data.get("G")), PersistentRecord):
        raise CheckpointError(
            f"{path}: a pickle, but not a stylegan2-ada-pytorch or stylegan3 network snapshot (no 'G_ema').")
    g_rec: PersistentRecord = data.get("G_ema") or data["G"]
    G = stylegan3_generator(path, g_rec) if is_stylegan3(g_rec) else stylegan2_generator(path, g_rec)
    D = None
    if isinstance(data.get("D"), PersistentRecord):
        D = stylegan2_discriminator(path, data["D"])
    contents = [k for k in ("G_ema", "G", "D", "augment_pipe", "training_set_kwargs") if data.get(k) is not None]
    return LoadedModel(G, D, path, "nvidia", {}, contents)


def stylegan2_generator(path: Path, rec: PersistentRecord) -> Generator:
    """Our ``Generator`` from a stylegan2-ada-pytorch generator record (its mapping and synthesis networks)."""
    tensors = _tensors(path, rec)
    return strict_load(path, Generator, _g_config(path, rec, tensors), tensors)


def stylegan2_discriminator(path: Path, rec: PersistentRecord) -> Discriminator:
    """Our ``Discriminator`` from a stylegan2-ada-pytorch discriminator record (resnet, with its label mapping)."""
    tensors = _tensors(path, rec)
    return strict_load(path, Discriminator, _d_config(path, rec, tensors), tensors)


def _tensors(path: Path, rec: PersistentRecord) -> dict[str, torch.Tensor]:
    out = {}
    for name, t in rec.tensors().items():
        if name.endswith("resample_filter"):
            if not torch.allclose(t.float(), setup_filter()):
                raise CheckpointError(f"{path}: uses a resampling filter other than [1,3,3,1], which is not supported.")
            continue
        out[name] = t
    return out


def _channels_from(tensors: dict[str, torch.Tensor], pattern: str, dim: int) -> dict[int, int]:
    """{resolution: channels} from the tensor names matching ``pattern`` (group 1 = resolution)."""
    found = {}
    for name, t in tensors.items():
        m = re.fullmatch(pattern, name)
        if m:
            found[int(m.group(1))] = int(t.shape[dim])
    return found


def _g_config(path: Path, rec: PersistentRecord, tensors: dict[str, torch.Tensor]) -> dict:
    c_dim, w_dim = int(rec.attr("c_dim", 0) or 0), int(rec.attr("w_dim"))
    embed = tensors.get("mapping.embed.weight")
    if c_dim and (embed is None or tuple(embed.shape) != (w_dim, c_dim)):
        raise CheckpointError(f"{path}: its label embedding is not {c_dim} classes to {w_dim} features "
                              "(NVIDIA's default), the only layout GAN Studio reads.")
    synth = rec.children()["synthesis"]
    mapping = rec.children()["mapping"]
    resolution = int(rec.attr("img_resolution"))
    for block in synth.find("SynthesisBlock"):
        if block.attr("architecture", "skip") != "skip":
            raise CheckpointError(f"{path}: a '{block.attr('architecture')}' generator; only 'skip' is supported.")
    channels = _channels_from(tensors, r"synthesis\.b(\d+)\.conv1\.weight", 0)
    layer = synth.find("SynthesisLayer")[0]
    fc0 = mapping.children()["fc0"]
    return dict(
        resolution=resolution, channels=channels, z_dim=int(rec.attr("z_dim")), w_dim=w_dim,
        mapping_layers=int(mapping.attr("num_layers")), mapping_lr_multiplier=float(fc0.attr("bias_gain", 0.01)),
        img_channels=int(rec.attr("img_channels", 3)), conv_clamp=layer.attr("conv_clamp"), c_dim=c_dim,
    )


def _d_config(path: Path, rec: PersistentRecord, tensors: dict[str, torch.Tensor]) -> dict:
    for block in rec.find("DiscriminatorBlock"):
        if block.attr("architecture", "resnet") != "resnet":
            kind = block.attr("architecture")
            raise CheckpointError(f"{path}: a '{kind}' discriminator; only 'resnet' is supported.")
    channels = _channels_from(tensors, r"b(\d+)\.conv0\.weight", 0)
    channels.update({res // 2: c for res, c in _channels_from(tensors, r"b(\d+)\.conv1\.weight", 0).items()})
    mbstd = rec.find("MinibatchStdLayer")
    conv = rec.find("Conv2dLayer")[0]
    config = dict(
        resolution=int(rec.attr("img_resolution")), channels=channels,
        img_channels=int(rec.attr("img_channels", 3)),
        mbstd_group_size=int(mbstd[0].attr("group_size") or 0) if mbstd else 0,
        mbstd_num_channels=int(mbstd[0].attr("num_channels")) if mbstd else 0,
        conv_clamp=conv.attr("conv_clamp"),
    )
    c_dim = int(rec.attr("c_dim", 0) or 0)
    if c_dim:  # the label mapping (D.mapping) and the projection width come from the file
        mapping = rec.children().get("mapping")
        if mapping is None:
            raise CheckpointError(f"{path}: a class-conditional discriminator without its label mapping network.")
        config.update(
            c_dim=c_dim, cmap_dim=int(mapping.attr("w_dim")), mapping_layers=int(mapping.attr("num_layers")),
            mapping_lr_multiplier=float(mapping.children()["fc0"].attr("bias_gain", 0.01)),
        )
    return config
