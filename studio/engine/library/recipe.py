"""Recipes: what it takes to make a picture again, and the one way a picture is written with its recipe.

A portrait recipe (``kind: "portrait"``) names the model by name and weights hash and holds the
``Portrait``'s fields: a seed or an exact W+ (``arrays.encode_array``) with any noise maps it carries (``noise``:
layer name -> map, a projection's detail), the class of a conditional model
(``class`` name and ``class_index``; portrait B's inside ``mixing.other``), truncation, sliders and mixing,
plus whatever a method adds (a search's or a projection's settings). ``portrait_recipe`` is the
only encoder, ``portrait_from_recipe`` the only decoder; the studio's export, ``studio generate``,
``recolor`` and ``project`` all write through ``write_picture``: ``OUT.png`` with the recipe in an iTXt
chunk (it travels with the file) plus ``OUT.json`` beside it (it survives tools that strip PNG chunks),
both stamped with the ``schema`` version; ``read_recipe`` reads either back, for the gallery, its website,
"reopen recipe" and ``studio render``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..arrays import decode_array, encode_array
from ..atomic import atomic_write_text
from ..edit.portrait import GroupMix, Latent, Mixing, Portrait, SliderEdit
from ..edit.ranges import MIX_STRENGTH_RANGE, ROTATE_RANGE, SLIDER_RANGE, TRUNCATION_RANGE, in_range, quoted
from ..edit.seeds import MAX_SEED
from ..errors import first_line
from ..images import TEXT_CHUNK_LIMIT, ImageError, read_png_text, save_png
from ..model.architecture import GROUPS, NOISE_MODES
from ..outputs import RECIPE_KEY
from ..paths import PathLike

RECIPE_SCHEMA = 1
MAX_DEPTH = 16  # lists and dicts in a recipe nest 5 deep (mixing, other, noise, a map, its array)


class RecipeError(ValueError):
    """A picture carries no readable recipe, or a recipe cannot be opened; one sentence for the user."""


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


def _parse_recipe(text: str | None, source: Path) -> dict | None:
    """The recipe in ``text``, or None if it is not one (malformed JSON, nested deeper than any recipe); a recipe
    from a newer app, or a portrait's naming its model with something other than a name, is an error."""
    try:
        recipe = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's parser goes
        return None
    if not isinstance(recipe, dict) or not isinstance(recipe.get("schema"), int) or _deeper_than(recipe, MAX_DEPTH):
        return None
    if recipe["schema"] > RECIPE_SCHEMA:
        raise RecipeError(f"{source} holds a recipe from a newer GAN Studio (schema {quoted(recipe['schema'])}).")
    for key in ("model", "model_hash") if recipe.get("kind") == "portrait" else ():
        if not isinstance(recipe.get(key, ""), str):
            raise RecipeError(f"{source}: the recipe's {key} must be a name in quotes, not {quoted(recipe[key])}.")
    return recipe


def _deeper_than(value: Any, depth: int) -> bool:
    """Whether ``value`` nests lists and dicts more than ``depth`` levels deep (counted without recursion)."""
    level = [value]
    for _ in range(depth + 1):
        level = [v for x in level if isinstance(x, (dict, list)) for v in (x.values() if isinstance(x, dict) else x)]
        if not level:
            return False
    return True


def read_recipe(path: PathLike) -> dict:
    """The recipe of a gallery picture: from its PNG chunk, else from its JSON sidecar."""
    png = Path(path).with_suffix(".png")
    sidecar = png.with_suffix(".json")
    if not png.exists() and not sidecar.exists():
        raise RecipeError(f"{png} does not exist.")
    try:
        chunk = read_png_text(png).get(RECIPE_KEY)
    except ImageError:
        chunk = None
    recipe = _parse_recipe(chunk, png)
    if recipe is None and sidecar.is_file():
        if sidecar.stat().st_size > TEXT_CHUNK_LIMIT:  # the bound a PNG's recipe has too
            raise RecipeError(f"{sidecar} is larger than any recipe GAN Studio reads ({TEXT_CHUNK_LIMIT >> 20} MB).")
        try:
            recipe = _parse_recipe(sidecar.read_text(encoding="utf-8"), sidecar)
        except (OSError, UnicodeDecodeError):
            recipe = None
    if recipe is None:
        raise RecipeError(f"{png} has no readable recipe, neither in the PNG nor in {sidecar.name}.")
    return recipe


def has_recipe(png: Path) -> bool:
    """Cheap check for listing: a sidecar, or the chunk among the PNG's header chunks (no pixel decode)."""
    if png.with_suffix(".json").is_file():
        return True
    try:
        return RECIPE_KEY in read_png_text(png, header_only=True)
    except ImageError:
        return False


# --- portraits ----------------------------------------------------------------------------------------------


def _latent(model: Any, latent: Latent) -> dict:
    found = {"seed": latent.seed} if latent.seed is not None else {"w_plus": encode_array(latent.w_plus)}
    if latent.noise:
        found["noise"] = {name: encode_array(m) for name, m in latent.noise.items()}
    return {**found, **model.class_fields(latent.class_index)}


def _read_latent(d: Mapping) -> Latent:
    k = d.get("class_index")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
        raise ValueError(f"class_index {quoted(k)} is not a class number")
    seed = d.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, not {quoted(seed)}")
        return Latent(seed=seed, class_index=k)
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
        **view_fields(portrait),
        **extra,
    }


def view_fields(portrait: Portrait) -> dict:
    """A moved StyleGAN3 picture's ``translate`` [x, y] and ``rotate`` (degrees); none for an unmoved one."""
    return {"translate": list(portrait.translate), "rotate": portrait.rotate} if portrait.moved else {}


def _read_view(recipe: Mapping) -> tuple[tuple[float, float], float]:
    x, y = (in_range("translate", v, (-math.inf, math.inf)) for v in recipe.get("translate", (0.0, 0.0)))
    return (x, y), in_range("rotate", recipe.get("rotate", 0.0), ROTATE_RANGE)


def _read_slider(s: Mapping) -> SliderEdit:
    direction, layers = s["direction"], s.get("layers", "all")
    if not isinstance(direction, str) or not isinstance(layers, str):
        raise ValueError(f"a slider's direction and layers must be text, not {quoted(direction)} and {quoted(layers)}")
    return SliderEdit(direction, in_range(f"slider {quoted(direction)}", s["value"], SLIDER_RANGE), layers)


def portrait_from_recipe(recipe: Mapping) -> Portrait:
    """The portrait a recipe describes; ValueError naming the problem if it is not one."""
    try:
        mix = recipe.get("mixing") or {}
        groups = mix.get("groups") or {}
        translate, rotate = _read_view(recipe)
        if recipe.get("noise_mode", "const") not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {', '.join(NOISE_MODES)}, not {quoted(recipe['noise_mode'])}")
        return Portrait(
            base=_read_latent(recipe),
            psi=in_range("truncation_psi", recipe.get("truncation_psi", 1.0), TRUNCATION_RANGE),
            sliders=tuple(_read_slider(s) for s in recipe.get("sliders", [])),
            mixing=Mixing(
                _read_latent(mix["other"]) if mix.get("other") else None,
                tuple(
                    GroupMix(bool(g.get("enabled", False)),
                             in_range(f"the {n} mixing strength", g.get("strength", 1.0), MIX_STRENGTH_RANGE))
                    for n, g in ((n, groups.get(n, {})) for n in GROUPS)
                ),
            ),
            translate=translate,
            rotate=rotate,
        )
    except KeyError as e:
        raise ValueError(f"not a portrait recipe (it has no {quoted(e.args[0])})") from None
    except (TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"not a portrait recipe ({first_line(e)})") from None
