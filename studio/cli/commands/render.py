"""`studio render`: render a picture again from its recipe (a gallery PNG or its .json)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cmdoptions import (
    UserError,
    add_class,
    add_device,
    add_model,
    add_out,
    add_overwrite,
    add_view,
    check_picture_out,
    class_index,
    load_model,
    view,
)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipe", required=True, help="a picture with its recipe (PNG), or the recipe's .json")
    add_model(parser, default=None,
              help="the checkpoint the recipe was made with (default: the shipped model it names)")
    add_class(parser, "for a recipe of a class-conditional model that names no class: a class name from the "
                      "model's card or an index (default: class 0)")
    add_device(parser)
    add_view(parser, keeps=" (default: as the recipe has it)")
    add_out(parser, "OUT.png (with OUT.json, the same recipe)")
    add_overwrite(parser)


def _source(text: str) -> Path:
    """``--recipe`` as given, refused by its own name when it cannot hold a recipe."""
    source = Path(text)
    if source.suffix.lower() not in (".png", ".json"):
        raise UserError(f"--recipe {source}: a recipe is read from a GAN Studio picture (.png) or its .json "
                        "sidecar, and this is neither.")
    if not source.exists() and not source.with_suffix(".png").exists() and not source.with_suffix(".json").exists():
        raise UserError(f"--recipe {source} does not exist.")
    return source


def run(args: argparse.Namespace) -> int:
    import torch

    from ...engine.edit.directions import pca_directions
    from ...engine.images import load_image, tensor_to_images
    from ...engine.library.recipe import read_recipe, view_fields, write_picture
    from ...engine.model.checkpoints import SHIPPED_MODELS, model_files
    from ...engine.session import Session

    source = _source(args.recipe)
    recipe = read_recipe(source)
    name, wanted = recipe.get("model", "unknown"), recipe.get("model_hash")
    model_path = args.model or (name if name in SHIPPED_MODELS else None)
    if model_path is None:
        raise UserError(f"{source} was made with the model “{name}”; pass --model with that checkpoint.")
    given = dict(recipe)
    out = check_picture_out(args, [source, source.with_suffix(".png"), *model_files(model_path)], (".json",),
                            remakes=lambda old: all(old.get(k) == v for k, v in given.items()))  # this recipe again
    m = load_model(model_path, args.device)
    if wanted not in (None, m.weights_hash):
        raise UserError(f"{source} was made with the model “{name}” ({str(wanted)[:12]}…), not with {model_path} "
                        f"({m.weights_hash[:12]}…); its W+ and sliders would draw another picture.")
    session = Session({})
    session.install(m, model_path)
    portrait = session.plan_recipe(recipe, str(source)).portrait
    if args.translate is not None or args.rotate is not None:
        portrait = view(portrait, args)
        recipe = {**{k: v for k, v in recipe.items() if k not in ("translate", "rotate")}, **view_fields(portrait)}
    if args.class_name is not None or (m.classes and portrait.class_index is None and portrait.base.seed is not None):
        k = class_index(m, args)  # a seed needs its class: --class, else class 0 (said on stderr)
        if portrait.class_index is None:
            portrait, recipe = portrait.with_class(k), {**recipe, **m.class_fields(k)}
        elif k != portrait.class_index:
            raise UserError(f"--class: {source} is a picture of the class {recipe.get('class', portrait.class_index)}; "
                            "leave --class out to render it again.")
    if portrait.sliders:
        print("computing the principal directions the sliders name (cached per model)…", file=sys.stderr)
        session.set_directions(pca_directions(m.G, m.weights_hash))
    try:
        ws = session.render_ws(portrait)
        noise = portrait.base.noise_for(m.G)
    except KeyError as e:  # a slider's direction this model has not
        raise UserError(f"{source}: {e.args[0]}.") from None
    except ValueError as e:  # a W+, noise map, class or layer range that does not fit this model
        raise UserError(f"{source}: {str(e).rstrip('.')}.") from None
    with torch.no_grad():
        img = m.G.synthesis(ws, noise_mode=recipe.get("noise_mode", "const"), noise=noise,
                            transform=portrait.transform())
    image = tensor_to_images(img)[0]
    write_picture(out, image, recipe)
    original = source.with_suffix(".png")
    same = ""
    if original.is_file() and original.resolve() != out.resolve():
        before = load_image(original)
        if before.shape == image.shape:
            most = int(abs(before.astype(int) - image).max())
            same = f"; the most any pixel differs from {original.name}: {most}/255"
    print(f"wrote {out} and {out.with_suffix('.json')}{same}")
    return 0
