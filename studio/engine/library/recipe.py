"""Recipes: what it takes to make a picture again, and the one way a picture is written with its recipe.

A portrait recipe (``kind: "portrait"``) names the model by name and weights hash and holds the
``Portrait``'s fields: a seed or an exact W+ (``arrays.encode_array``) with any noise maps it carries (``noise``:
layer name -> map, a projection's detail), the class of a conditional model
(``class`` name and ``class_index``; portrait B's inside ``mixing.other``), truncation, sliders and mixing,
plus whatever a method adds (a search's or a projection's settings). ``portrait_recipe`` is the
only encoder, ``portrait_from_recipe`` the only decoder; the studio's export, ``studio generate``,
``recolor`` and ``project`` all write through ``write_picture``: ``OUT.png`` with the recipe in an iTXt
chunk (it travels with the file) plus ``OUT.json`` beside it (it survives tools that strip PNG chunks),
both stamped with the ``schema`` version, so the gallery, its website and "reopen recipe" read them all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..arrays import decode_array, encode_array
from ..atomic import PathLike, atomic_write_text
from ..edit.portrait import GroupMix, Latent, Mixing, Portrait, SliderEdit
from ..images import save_png
from ..model.architecture import GROUPS
from ..model.labels import class_fields
from ..outputs import RECIPE_KEY

RECIPE_SCHEMA = 1


def _json_default(value: Any) -> Any:
    """Let recipes hold tensors, arrays and numpy scalars directly."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return encode_array(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a recipe cannot hold {type(value).__name__} values")


def recipe_text(recipe: Mapping) -> str:
    """The recipe as stored: JSON stamped with the schema version."""
    return json.dumps({**recipe, "schema": RECIPE_SCHEMA}, ensure_ascii=False, default=_json_default)


def write_picture(path: PathLike, image: np.ndarray, recipe: Mapping) -> Path:
    """Write ``image`` as ``path`` (.png) with ``recipe`` in its text chunk and as the ``.json`` sidecar.

    Both writes are atomic; the PNG goes first, so a picture never lacks its recipe. Overwrites.
    """
    png = Path(path)
    text = recipe_text(recipe)
    save_png(png, image, {RECIPE_KEY: text})
    atomic_write_text(png.with_suffix(".json"), text)
    return png


# --- portraits ----------------------------------------------------------------------------------------------


def _latent(model: Any, latent: Latent) -> dict:
    found = {"seed": latent.seed} if latent.seed is not None else {"w_plus": encode_array(latent.w_plus)}
    if latent.noise:
        found["noise"] = {name: encode_array(m) for name, m in latent.noise.items()}
    return {**found, **class_fields(model, latent.class_index)}


def _read_latent(d: Mapping) -> Latent:
    k = d.get("class_index")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
        raise ValueError(f"class_index {k!r} is not a class number")
    if d.get("seed") is not None:
        return Latent(seed=int(d["seed"]), class_index=k)
    noise = {str(name): decode_array(m) for name, m in (d.get("noise") or {}).items()}
    return Latent(w_plus=decode_array(d["w_plus"]), class_index=k, noise=noise)


def portrait_recipe(model: Any, portrait: Portrait, noise_mode: str = "const", **extra: Any) -> dict:
    """Everything needed to make ``portrait`` again with ``model`` (a LoadedModel), plus ``extra`` fields."""
    mixing = portrait.mixing
    return {
        "kind": "portrait",
        "model": model.name,
        "model_hash": model.weights_hash,
        **_latent(model, portrait.base),
        "truncation_psi": portrait.psi,
        "noise_mode": noise_mode,
        "sliders": [{"direction": s.direction, "value": s.value, "layers": s.layers} for s in portrait.sliders],
        "mixing": {
            **({"other": _latent(model, mixing.other)} if mixing.other is not None else {}),
            "groups": {n: {"enabled": g.enabled, "strength": g.strength} for n, g in zip(GROUPS, mixing.groups)},
        },
        **extra,
    }


def portrait_from_recipe(recipe: Mapping) -> Portrait:
    """The portrait a recipe describes; ValueError naming the problem if it is not one."""
    try:
        mix = recipe.get("mixing") or {}
        groups = mix.get("groups") or {}
        return Portrait(
            base=_read_latent(recipe),
            psi=float(recipe.get("truncation_psi", 1.0)),
            sliders=tuple(
                SliderEdit(str(s["direction"]), float(s["value"]), str(s.get("layers", "all")))
                for s in recipe.get("sliders", [])
            ),
            mixing=Mixing(
                _read_latent(mix["other"]) if mix.get("other") else None,
                tuple(
                    GroupMix(bool(g.get("enabled", False)), float(g.get("strength", 1.0)))
                    for g in (groups.get(n, {}) for n in GROUPS)
                ),
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"not a portrait recipe ({e})") from None
