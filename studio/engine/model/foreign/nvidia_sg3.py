"""NVIDIA StyleGAN3 snapshots (NVlabs/stylegan3 ``.pkl``) -> our ``stylegan3.Generator``.

The restricted unpickler gives each network as a ``PersistentRecord`` (nothing from the file runs). The
generator's settings come from the synthesis network's constructor arguments, NVIDIA's defaults filling
what a snapshot leaves out, as their code would rebuild it; the layer names (which spell each layer's size
and channels) and the stored low-pass filters are then checked against the network those settings give, so
a fork with another design is refused rather than rendered wrong. The discriminator of these snapshots is
StyleGAN2's and is read as in any stylegan2-ada-pytorch snapshot (``nvidia``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..reading import CheckpointError, build_within, load_strict
from ..safe_pickle import PersistentRecord
from ..stylegan3 import Generator

# SynthesisNetwork / SynthesisLayer arguments with a meaning here (the rest of Generator's config comes from G).
_SYNTHESIS_KEYS = (
    "channel_base", "channel_max", "num_layers", "num_critical", "first_cutoff", "first_stopband",
    "last_stopband_rel", "margin_size", "output_scale", "conv_kernel", "filter_size", "lrelu_upsampling",
    "use_radial_filters", "conv_clamp",
)
# Arguments that change nothing in the numbers (training or fp16 settings) or that G's config already holds.
_IGNORED_KEYS = ("w_dim", "img_resolution", "img_channels", "num_fp16_res", "magnitude_ema_beta")


def is_stylegan3(rec: PersistentRecord) -> bool:
    """Whether a generator record is StyleGAN3's (it has the Fourier-feature input)."""
    return bool(rec.find("SynthesisInput"))


def stylegan3_generator(path: Path, rec: PersistentRecord) -> Generator:
    """Our StyleGAN3 ``Generator`` from an NVlabs/stylegan3 generator record; CheckpointError if its design differs."""
    try:
        G = build_within(path, Generator, generator_config(rec), rec.tensors())
        tensors = generator_tensors(rec, G)
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{path}: a StyleGAN3 network GAN Studio cannot read: {e}.") from None
    return load_strict(path, G, tensors)


def generator_config(rec: PersistentRecord) -> dict:
    """``stylegan3.Generator`` arguments for the generator record ``rec``; ValueError (one sentence) if it has
    settings StyleGAN3's design does not."""
    synth, mapping = rec.children().get("synthesis"), rec.children().get("mapping")
    if synth is None or mapping is None or "fc0" not in mapping.children():
        raise ValueError("its generator lacks the synthesis or mapping network StyleGAN3 has")
    kwargs = dict(synth.state.get("_init_kwargs") or {})
    unknown = sorted(set(kwargs) - set(_SYNTHESIS_KEYS) - set(_IGNORED_KEYS))
    if unknown:
        raise ValueError(f"its synthesis network takes {unknown[0]!r}, a setting StyleGAN3's design does not have")
    config = {key: kwargs[key] for key in _SYNTHESIS_KEYS if key in kwargs}
    config.update({key: synth.state[key] for key in ("num_layers", "num_critical", "margin_size", "output_scale")
                   if key in synth.state})
    config.update(
        resolution=int(rec.attr("img_resolution")), z_dim=int(rec.attr("z_dim")), w_dim=int(rec.attr("w_dim")),
        img_channels=int(rec.attr("img_channels", 3)), mapping_layers=int(mapping.attr("num_layers")),
        mapping_lr_multiplier=float(mapping.children()["fc0"].attr("bias_gain", 0.01)),
    )
    c_dim = int(rec.attr("c_dim", 0) or 0)
    if c_dim:
        config["c_dim"] = c_dim
    return config


def generator_tensors(rec: PersistentRecord, G: Generator) -> dict[str, torch.Tensor]:
    """The record's tensors for ``G`` (built from ``generator_config``), its filters checked and dropped;
    ValueError (one sentence) if its layers or filters differ from ``G``'s."""
    tensors = rec.tensors()
    theirs = [name for name in rec.children()["synthesis"].children() if name != "input"]
    if theirs != G.synthesis.layer_names:
        raise ValueError(f"its layers ({', '.join(theirs)}) are not the ones StyleGAN3's design gives for its "
                         f"settings ({', '.join(G.synthesis.layer_names)})")
    for name, layer in zip(G.synthesis.layer_names, G.synthesis.layers()):
        for which in ("up_filter", "down_filter"):
            ours, stored = getattr(layer, which), tensors.pop(f"synthesis.{name}.{which}", None)
            same = (ours is None and stored is None) or (
                ours is not None and stored is not None and stored.shape == ours.shape
                and torch.allclose(stored.float(), ours, rtol=0, atol=1e-6))
            if not same:
                raise ValueError(f"its layer {name} has a {which.replace('_', '-')} other than StyleGAN3's design")
    return tensors
