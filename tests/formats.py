"""Write checkpoints in the exact key layouts of the original implementations, from our tiny models.

The tests use these to prove that each reader maps every tensor where it belongs; the numerical parity with
the original code itself was checked separately against reference outputs (see README, "Parity").
"""

from __future__ import annotations

import pickle
import sys
import types
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import torch

from studio.engine import Discriminator, Generator
from studio.engine.model.ops import EqualConv2d, EqualLinear, setup_filter
from studio.engine.model.stylegan2 import (
    DiscriminatorBlock,
    DiscriminatorEpilogue,
    MappingNetwork,
    MinibatchStdLayer,
    SynthesisBlock,
    SynthesisLayer,
    SynthesisNetwork,
    ToRGBLayer,
)
from studio.engine.model.stylegan3 import Generator as SG3Generator
from studio.engine.model.stylegan3 import SynthesisInput as SG3Input
from studio.engine.model.stylegan3 import SynthesisLayer as SG3Layer
from studio.engine.model.stylegan3 import SynthesisNetwork as SG3Synthesis

# --- rosinality/stylegan2-pytorch ------------------------------------------------------------------------


def rosinality_g(G: Generator) -> dict:
    if G.c_dim:
        raise ValueError("rosinality/stylegan2-pytorch has no class-conditional generator to write")
    sd = G.state_dict()
    blur = setup_filter() * 4
    out = OrderedDict()
    for i in range(G.mapping.num_layers):
        out[f"style.{i + 1}.weight"] = sd[f"mapping.fc{i}.weight"]
        out[f"style.{i + 1}.bias"] = sd[f"mapping.fc{i}.bias"]
    out["input.input"] = sd["synthesis.b4.const"][None]

    def layer(dst: str, src: str, up: bool) -> None:
        out[f"{dst}.conv.weight"] = sd[f"{src}.weight"][None]
        if up:
            out[f"{dst}.conv.blur.kernel"] = blur
        out[f"{dst}.conv.modulation.weight"] = sd[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = sd[f"{src}.affine.bias"]
        out[f"{dst}.noise.weight"] = sd[f"{src}.noise_strength"].reshape(1)
        out[f"{dst}.activate.bias"] = sd[f"{src}.bias"]

    def torgb(dst: str, src: str, up: bool) -> None:
        if up:
            out[f"{dst}.upsample.kernel"] = blur
        out[f"{dst}.bias"] = sd[f"{src}.bias"].reshape(1, -1, 1, 1)
        out[f"{dst}.conv.weight"] = sd[f"{src}.weight"][None]
        out[f"{dst}.conv.modulation.weight"] = sd[f"{src}.affine.weight"]
        out[f"{dst}.conv.modulation.bias"] = sd[f"{src}.affine.bias"]

    layer("conv1", "synthesis.b4.conv1", False)
    torgb("to_rgb1", "synthesis.b4.torgb", False)
    noises = [sd["synthesis.b4.conv1.noise_const"]]
    for k, res in enumerate(G.synthesis.block_resolutions[1:]):
        layer(f"convs.{2 * k}", f"synthesis.b{res}.conv0", True)
        layer(f"convs.{2 * k + 1}", f"synthesis.b{res}.conv1", False)
        torgb(f"to_rgbs.{k}", f"synthesis.b{res}.torgb", True)
        noises += [sd[f"synthesis.b{res}.conv0.noise_const"], sd[f"synthesis.b{res}.conv1.noise_const"]]
    for i, n in enumerate(noises):
        out[f"noises.noise_{i}"] = n[None, None]
    return out


def rosinality_d(D: Discriminator) -> dict:
    sd = D.state_dict()
    blur = setup_filter()
    top = D.resolution
    out = OrderedDict({"convs.0.0.weight": sd[f"b{top}.fromrgb.weight"], "convs.0.1.bias": sd[f"b{top}.fromrgb.bias"]})
    for k, res in enumerate(D.block_resolutions, start=1):
        b, s = f"b{res}", f"convs.{k}"
        out[f"{s}.conv1.0.weight"] = sd[f"{b}.conv0.weight"]
        out[f"{s}.conv1.1.bias"] = sd[f"{b}.conv0.bias"]
        out[f"{s}.conv2.0.kernel"] = blur
        out[f"{s}.conv2.1.weight"] = sd[f"{b}.conv1.weight"]
        out[f"{s}.conv2.2.bias"] = sd[f"{b}.conv1.bias"]
        out[f"{s}.skip.0.kernel"] = blur
        out[f"{s}.skip.1.weight"] = sd[f"{b}.skip.weight"]
    out["final_conv.0.weight"], out["final_conv.1.bias"] = sd["b4.conv.weight"], sd["b4.conv.bias"]
    out["final_linear.0.weight"], out["final_linear.0.bias"] = sd["b4.fc.weight"], sd["b4.fc.bias"]
    out["final_linear.1.weight"], out["final_linear.1.bias"] = sd["b4.out.weight"], sd["b4.out.bias"]
    return out


def write_rosinality(path: Path, G: Generator, D: Discriminator | None = None, latent_avg: bool = True) -> Path:
    ckpt = {"g_ema": rosinality_g(G)}
    if D is not None:
        ckpt["d"] = rosinality_d(D)
    if latent_avg:
        ckpt["latent_avg"] = G.w_avg.clone()
    torch.save(ckpt, path)
    return path


# --- NVIDIA stylegan2-ada-pytorch ------------------------------------------------------------------------

_NVIDIA_NAMES = {
    Generator: "Generator", MappingNetwork: "MappingNetwork", SynthesisNetwork: "SynthesisNetwork",
    SynthesisBlock: "SynthesisBlock", SynthesisLayer: "SynthesisLayer", ToRGBLayer: "ToRGBLayer",
    EqualLinear: "FullyConnectedLayer", Discriminator: "Discriminator", DiscriminatorBlock: "DiscriminatorBlock",
    EqualConv2d: "Conv2dLayer", DiscriminatorEpilogue: "DiscriminatorEpilogue", MinibatchStdLayer: "MinibatchStdLayer",
    SG3Generator: "Generator", SG3Synthesis: "SynthesisNetwork", SG3Input: "SynthesisInput", SG3Layer: "SynthesisLayer",
}


class _Persistent:
    """Pickles like an NVIDIA persistent_class instance: _reconstruct_persistent_obj(meta)."""

    def __init__(self, class_name: str, state: dict) -> None:
        self.class_name, self.state = class_name, state

    def __reduce__(self):
        from torch_utils.persistence import _reconstruct_persistent_obj

        meta = dict(type="class", version=4, module_src="raise SystemExit('module source must never run')\n",
                    class_name=self.class_name, state=self.state)
        return _reconstruct_persistent_obj, (meta,)


def _as_persistent(module: torch.nn.Module, extra: dict) -> _Persistent:
    params = OrderedDict((k, v.detach().clone().requires_grad_(False)) for k, v in module._parameters.items()
                         if v is not None)
    buffers = OrderedDict((k, None if v is None else v.clone()) for k, v in module._buffers.items())
    children = OrderedDict((k, _as_persistent(v, extra)) for k, v in module._modules.items() if v is not None)
    state = {"training": False, "_parameters": params, "_buffers": buffers, "_modules": children,
             "_init_args": (), "_init_kwargs": {}, "_non_persistent_buffers_set": set()}
    state.update(extra.get(type(module), lambda m: {})(module))
    return _Persistent(_NVIDIA_NAMES[type(module)], state)


_ATTRS = {
    Generator: lambda m: dict(z_dim=m.z_dim, c_dim=m.c_dim, w_dim=m.w_dim, img_resolution=m.resolution, img_channels=3),
    MappingNetwork: lambda m: dict(num_layers=m.num_layers, z_dim=m.z_dim, c_dim=m.c_dim, w_dim=m.w_dim,
                                   num_ws=m.num_ws, w_avg_beta=m.w_avg_beta),
    EqualLinear: lambda m: dict(bias_gain=m.bias_gain, weight_gain=m.weight_gain, activation=m.activation),
    SynthesisBlock: lambda m: dict(architecture="skip", resolution=m.resolution),
    SynthesisLayer: lambda m: dict(conv_clamp=m.conv_clamp, resolution=m.resolution, up=m.up),
    Discriminator: lambda m: dict(c_dim=m.c_dim, img_resolution=m.resolution, img_channels=3),
    DiscriminatorEpilogue: lambda m: dict(cmap_dim=m.cmap_dim, resolution=4),
    DiscriminatorBlock: lambda m: dict(architecture="resnet"),
    EqualConv2d: lambda m: dict(conv_clamp=m.conv_clamp),
    MinibatchStdLayer: lambda m: dict(group_size=m.group_size, num_channels=m.num_channels),
}


def _sg3_attrs(G: SG3Generator) -> dict:
    """The attributes NVIDIA's StyleGAN3 networks keep, and their constructor arguments as train.py passes them:
    the synthesis network gets channel_base/max, the R config's settings and training-only ones; num_layers and
    the other table settings are attributes of the network (defaults otherwise)."""
    cfg = G.config
    passed = ["channel_base", "channel_max", "conv_clamp"]
    passed += ["conv_kernel", "use_radial_filters"] if cfg["use_radial_filters"] else []
    synth_kwargs = dict(w_dim=cfg["w_dim"], img_resolution=cfg["resolution"], img_channels=cfg["img_channels"],
                        magnitude_ema_beta=0.999, num_fp16_res=4, **{k: cfg[k] for k in passed})
    return {
        **_ATTRS,
        SG3Generator: lambda m: dict(z_dim=m.z_dim, c_dim=m.c_dim, w_dim=m.w_dim, img_resolution=m.resolution,
                                     img_channels=m.img_channels,
                                     _init_kwargs={**synth_kwargs, "z_dim": m.z_dim, "c_dim": m.c_dim,
                                                   "mapping_kwargs": {"num_layers": m.mapping.num_layers}}),
        SG3Synthesis: lambda m: dict(num_layers=cfg["num_layers"], num_critical=cfg["num_critical"],
                                     margin_size=cfg["margin_size"], output_scale=cfg["output_scale"],
                                     layer_names=list(m.layer_names), _init_kwargs=synth_kwargs),
        SG3Input: lambda m: dict(sampling_rate=m.sampling_rate, bandwidth=m.bandwidth, channels=m.channels),
        SG3Layer: lambda m: dict(is_torgb=m.is_torgb, conv_kernel=m.conv_kernel, conv_clamp=m.conv_clamp,
                                 up_factor=m.up_factor, down_factor=m.down_factor, padding=list(m.padding)),
    }


@contextmanager
def _fake_torch_utils():
    """Temporarily provide torch_utils.persistence so pickle records the real global name."""
    pkg, mod = types.ModuleType("torch_utils"), types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # pragma: no cover - never called by our reader
        raise AssertionError("the NVIDIA reconstructor must never run")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    mod._reconstruct_persistent_obj = _reconstruct_persistent_obj
    pkg.persistence = mod
    sys.modules["torch_utils"], sys.modules["torch_utils.persistence"] = pkg, mod
    try:
        yield
    finally:
        del sys.modules["torch_utils"], sys.modules["torch_utils.persistence"]


def _with_nvidia_filters(p: _Persistent) -> _Persistent:
    """NVIDIA layers keep their [1,3,3,1] filter as a buffer; ours rebuild it, so add it where they have it."""
    if p.class_name in ("SynthesisLayer", "SynthesisBlock", "Conv2dLayer", "DiscriminatorBlock"):
        p.state["_buffers"]["resample_filter"] = setup_filter()
    for child in p.state["_modules"].values():
        _with_nvidia_filters(child)
    return p


def write_nvidia(
    path: Path, G: Generator | SG3Generator, D: Discriminator | None = None, include_g: bool = True
) -> Path:
    """A snapshot as NVIDIA's training loop pickles it; conditional G/D (c_dim > 0) come out conditional, with
    D's label mapping at ``D.mapping`` and the projection head in ``b4.out``, as in their code. A StyleGAN3 G
    comes out as NVlabs/stylegan3 writes it, its low-pass filters stored as buffers."""
    with _fake_torch_utils():
        sg3 = isinstance(G, SG3Generator)
        g = _as_persistent(G, _sg3_attrs(G)) if sg3 else _with_nvidia_filters(_as_persistent(G, _ATTRS))
        data = {"G": g if include_g else None, "D": _with_nvidia_filters(_as_persistent(D, _ATTRS)) if D else None,
                "G_ema": g, "augment_pipe": None, "training_set_kwargs": {"resolution": G.resolution}}
        with open(path, "wb") as f:
            pickle.dump(data, f)
    return path
