"""``load_model()``: every supported checkpoint format in, one ``LoadedModel`` out; ``save_model()`` for ours.

Formats:
- rosinality/stylegan2-pytorch ``.pt`` (``g_ema``, optional ``g``, ``d``, ``latent_avg``), read with
  ``torch.load(weights_only=True)``; size, channel table and mapping depth come from the tensors.
- NVIDIA stylegan2-ada-pytorch ``.pkl`` and NVlabs/stylegan3 ``.pkl`` (StyleGAN3 T and R, ``nvidia_sg3``), read with
  ``safe_pickle.restricted_load`` (nothing in it runs).
- ours: ``.safetensors`` with the architecture (``sg2``, ``sg3-t``, ``sg3-r``) and its settings in the metadata,
  plus a JSON model card beside it.
Anything else, or a damaged file, raises ``CheckpointError`` naming the file and the problem.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes

from ..atomic import atomic_write_bytes, atomic_write_text
from ..paths import shipped
from . import nvidia_sg3
from .labels import balanced_labels
from .ops import setup_filter
from .safe_pickle import PersistentRecord, UnsafePickleError, restricted_load
from .stylegan2 import Discriminator, Generator
from .stylegan3 import Generator as SG3Generator

PathLike = str | os.PathLike
MODELS_DIR = shipped("models")
DEFAULT_MODEL = MODELS_DIR / "default.safetensors"
GENRES_MODEL = MODELS_DIR / "genres.safetensors"  # class-conditional: the world's four genres
SHIPPED_MODELS = {"default": DEFAULT_MODEL, "genres": GENRES_MODEL}  # names that stand for a shipped model file
FORMAT_NAME = "gan-studio"
FORMAT_VERSION = "1"


class CheckpointError(ValueError):
    """A checkpoint could not be read; the message names the file and says why in one sentence."""


@dataclass
class LoadedModel:
    """A generator (EMA weights), its discriminator when the file has one, and where they came from."""

    G: Generator | SG3Generator
    D: Discriminator | None
    path: Path | None
    format: str
    card: dict = field(default_factory=dict)
    contents: list[str] = field(default_factory=list)
    _hash: str | None = None

    @property
    def name(self) -> str:
        return self.card.get("name") or (self.path.stem if self.path else "unsaved model")

    @property
    def classes(self) -> list[str]:
        """The class names of a conditional model (the card's, else "0", "1"…); empty for an unconditional one."""
        named = self.card.get("classes")
        if isinstance(named, list) and len(named) == self.G.c_dim and all(isinstance(n, str) for n in named):
            return list(named)
        return [str(i) for i in range(self.G.c_dim)]

    @property
    def weights_hash(self) -> str:
        """SHA-256 of G's weights (names, shapes, bytes): the model's identity for caches and recipes."""
        if self._hash is None:
            self._hash = weights_hash(self.G)
        return self._hash


def weights_hash(module: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().float().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def load_model(path: PathLike | str, device: str | torch.device = "cpu") -> LoadedModel:
    """Load any supported checkpoint (or a shipped model's name: ``"default"``, ``"genres"``) in eval mode on
    ``device``."""
    if str(path) in SHIPPED_MODELS:
        shipped_path = SHIPPED_MODELS[str(path)]
        if not shipped_path.exists():
            raise CheckpointError(f"{shipped_path}: the {path} model is missing from this installation.")
        path = shipped_path
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such file.")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file.")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: the file is empty.")
    reader = _reader_for(path)
    try:
        model = reader(path)
    except CheckpointError:
        raise
    except UnsafePickleError as e:
        raise CheckpointError(f"{path}: refused to load: {e}; nothing from the file was run.") from None
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, SafetensorError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: the file is damaged or truncated ({_short(e)}).") from None
    except (RuntimeError, KeyError, ValueError, TypeError, AttributeError, IndexError, OSError) as e:
        raise CheckpointError(f"{path}: not a readable StyleGAN checkpoint ({_short(e)}).") from None
    model.G.eval().requires_grad_(False).to(device)
    if model.D is not None:
        model.D.eval().requires_grad_(False).to(device)
    return model


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


def _reader_for(path: Path):
    with open(path, "rb") as f:
        head = f.read(16)
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return _read_studio
    if suffix == ".pkl":
        return _read_nvidia
    if suffix in (".pt", ".pth", ".ckpt"):
        return _read_rosinality
    if head.startswith(b"PK\x03\x04"):
        return _read_rosinality
    if head[:1] == b"\x80":
        return _read_nvidia
    raise CheckpointError(
        f"{path}: unsupported file type {suffix or '(none)'}; open a .pt, .pkl or .safetensors checkpoint."
    )


# --- rosinality/stylegan2-pytorch ----------------------------------------------------------------------


def _read_rosinality(path: Path) -> LoadedModel:
    with torch.serialization.safe_globals([argparse.Namespace]), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's notes on pickle protocols mean nothing to a user
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
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
    G = _build(path, Generator(**_rosinality_g_config(path, g_sd)), _rosinality_g_keys(g_sd))
    card = {}
    if isinstance(ckpt.get("latent_avg"), torch.Tensor):
        G.mapping.w_avg.copy_(ckpt["latent_avg"].reshape(-1))
    else:
        G.mapping.w_avg.copy_(estimate_w_avg(G))
        card["w_avg"] = "estimated from 10,000 samples (seed 0): the file has no latent_avg"
    D = None
    if isinstance(ckpt.get("d"), dict):
        D = _build(path, Discriminator(**_rosinality_d_config(path, ckpt["d"])), _rosinality_d_keys(ckpt["d"]))
    contents = [k for k in ("g_ema", "g", "d", "latent_avg", "g_optim", "d_optim", "args") if k in ckpt]
    return LoadedModel(G, D, path, "rosinality", card, contents)


def _count(sd: dict, fmt: str, start: int = 0) -> int:
    """How many consecutive keys ``fmt.format(start), fmt.format(start + 1)…`` the state dict has."""
    n = 0
    while fmt.format(start + n) in sd:
        n += 1
    return n


def _rosinality_g_config(path: Path, sd: dict) -> dict:
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


def _rosinality_g_keys(sd: dict) -> dict[str, torch.Tensor]:
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


def _rosinality_d_config(path: Path, sd: dict) -> dict:
    if "convs.0.0.weight" not in sd or "final_linear.1.weight" not in sd:
        raise CheckpointError(f"{path}: 'd' is not a rosinality StyleGAN2 discriminator.")
    n_blocks = _count(sd, "convs.{}.conv1.0.weight", 1)
    resolution = 2 ** (n_blocks + 2)
    channels = {resolution: sd["convs.0.0.weight"].shape[0]}
    for k in range(1, n_blocks + 1):
        channels[resolution // 2**k] = sd[f"convs.{k}.conv2.1.weight"].shape[0]
    return dict(resolution=resolution, channels=channels)


def _rosinality_d_keys(sd: dict) -> dict[str, torch.Tensor]:
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


# --- NVIDIA stylegan2-ada-pytorch ----------------------------------------------------------------------


def _read_nvidia(path: Path) -> LoadedModel:
    with open(path, "rb") as f:
        data = restricted_load(f)
    if not isinstance(data, dict) or not isinstance(data.get("G_ema", data.get("G")), PersistentRecord):
        raise CheckpointError(
            f"{path}: a pickle, but not a stylegan2-ada-pytorch or stylegan3 network snapshot (no 'G_ema').")
    g_rec: PersistentRecord = data.get("G_ema") or data["G"]
    if nvidia_sg3.is_stylegan3(g_rec):
        try:
            G = SG3Generator(**nvidia_sg3.generator_config(g_rec))
            g_tensors = nvidia_sg3.generator_tensors(g_rec, G)
        except (ValueError, TypeError) as e:
            raise CheckpointError(f"{path}: a StyleGAN3 network GAN Studio cannot read: {_short(e)}.") from None
        G = _build(path, G, g_tensors)
    else:
        g_tensors = _nvidia_tensors(path, g_rec)
        G = _build(path, Generator(**_nvidia_g_config(path, g_rec, g_tensors)), g_tensors)
    D = None
    if isinstance(data.get("D"), PersistentRecord):
        d_tensors = _nvidia_tensors(path, data["D"])
        D = _build(path, Discriminator(**_nvidia_d_config(path, data["D"], d_tensors)), d_tensors)
    contents = [k for k in ("G_ema", "G", "D", "augment_pipe", "training_set_kwargs") if data.get(k) is not None]
    return LoadedModel(G, D, path, "nvidia", {}, contents)


def _nvidia_tensors(path: Path, rec: PersistentRecord) -> dict[str, torch.Tensor]:
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


def _nvidia_g_config(path: Path, rec: PersistentRecord, tensors: dict[str, torch.Tensor]) -> dict:
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


def _nvidia_d_config(path: Path, rec: PersistentRecord, tensors: dict[str, torch.Tensor]) -> dict:
    for block in rec.find("DiscriminatorBlock"):
        if block.attr("architecture", "resnet") != "resnet":
            raise CheckpointError(
                f"{path}: a '{block.attr('architecture')}' discriminator; only 'resnet' is supported.")
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


# --- ours: .safetensors + model card ---------------------------------------------------------------------


def card_path(path: PathLike) -> Path:
    return Path(path).with_suffix(".json")


def model_files(path: PathLike | str) -> list[Path]:
    """The files a model is read from (a shipped model's name too): the checkpoint, and a GAN Studio model's card
    beside it; an output must never replace them."""
    path = SHIPPED_MODELS.get(str(path), Path(path))
    return [path, card_path(path)] if path.suffix.lower() == ".safetensors" else [path]


def _read_studio(path: Path) -> LoadedModel:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: a safetensors file, but not a GAN Studio model (no architecture in it).")
    tensors = load_file(str(path), device="cpu")
    G = _build(path, _studio_generator(path, meta.get("architecture", "sg2"), json.loads(meta["generator"])),
               _prefixed(tensors, "G."))
    D = None
    if meta.get("discriminator"):
        D = _build(path, Discriminator(**_int_channels(json.loads(meta["discriminator"]))), _prefixed(tensors, "D."))
    card = json.loads(meta.get("card", "{}"))
    sidecar = card_path(path)
    if sidecar.exists():
        try:
            card.update(json.loads(sidecar.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass  # the card is informative; the weights' own metadata is authoritative
    contents = ["G_ema"] + (["D"] if D is not None else []) + ["w_avg"]
    return LoadedModel(G, D, path, "studio", card, contents)


def _studio_generator(path: Path, architecture: str, cfg: dict) -> Generator | SG3Generator:
    """The generator ``architecture`` names (files before StyleGAN3 name none: ``sg2``), built from ``cfg``."""
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


# --- shared -----------------------------------------------------------------------------------------------


def _build(path: Path, module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> Any:
    """Load ``tensors`` into ``module`` strictly; a missing, extra or misshapen tensor is a CheckpointError."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise CheckpointError(f"{path}: the network layout does not match its architecture ({what}).")
    for name, t in tensors.items():
        if tuple(t.shape) != tuple(expected[name].shape):
            raise CheckpointError(f"{path}: tensor {name} has shape {tuple(t.shape)} where the network needs "
                                  f"{tuple(expected[name].shape)}.")
        if not torch.isfinite(t.float()).all():
            raise CheckpointError(f"{path}: tensor {name} contains NaN or infinite values.")
    module.load_state_dict({k: v.float() for k, v in tensors.items()})
    return module


@torch.no_grad()
def estimate_w_avg(G: Generator | SG3Generator, samples: int = 10_000, seed: int = 0) -> torch.Tensor:
    """Mean w over ``samples`` fixed-seed latents, for files that store no average latent.

    A conditional model's average is over all classes in equal parts, as training tracks it on balanced data.
    """
    z = torch.randn(samples, G.z_dim, generator=torch.Generator().manual_seed(seed)).to(G.w_avg.device)
    return G.mapping(z, balanced_labels(G, samples))[:, 0].mean(dim=0)
