"""`studio project`: find the latents of a picture (Image2StyleGAN, with a detail pass on the noise maps)."""

from __future__ import annotations

import argparse

from ...engine.invert.work_size import PROJECTION_WORK
from ..cmdoptions import (
    add_class,
    add_device,
    add_model,
    add_out,
    add_overwrite,
    add_view,
    add_work_size,
    check_picture_out,
    class_index,
    load_model,
    number,
    steps,
    view,
)


def add_options(parser: argparse.ArgumentParser) -> None:
    add_model(parser)
    parser.add_argument("--image", required=True, help="the picture (centre-cropped to a square)")
    add_class(parser)
    parser.add_argument("--steps", type=steps, default=300, help="optimisation steps (default 300)")
    parser.add_argument("--detail", type=number(0, 0.9), default=0.25, metavar="SHARE",
                        help="share of the steps spent fitting the 32 px and finer noise maps to the brushwork after "
                             "W+ (default 0.25, as the studio's Open image to edit; 0: W+ alone; a StyleGAN3 model "
                             "has no noise maps: all its steps fit W+)")
    add_work_size(parser, "projection", PROJECTION_WORK,
                  "a rough likeness only: the finest layers' latents keep the mean (about 10 dB less at half size)")
    add_device(parser)
    add_view(parser, keeps=": the latents are found for the picture as drawn moved, and the recipe keeps the move")
    add_out(parser, "OUT.png (with OUT.json and OUT.npz: W+ and noise maps)")
    add_overwrite(parser)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ...engine.atomic import atomic_stream
    from ...engine.edit.portrait import Portrait
    from ...engine.images import load_fitted
    from ...engine.invert.projection import project
    from ...engine.library.recipe import portrait_recipe, write_picture
    from ...engine.model.checkpoints import model_files
    from ...engine.model.labels import class_labels
    from ..progress import TqdmProgress, cancel_on_interrupt

    def remakes(old: dict) -> bool:  # a projection of the same painting
        made = old.get("projection")
        return isinstance(made, dict) and made.get("image") == str(args.image)

    out = check_picture_out(args, [args.image, *model_files(args.model)], (".json", ".npz"), remakes)
    m = load_model(args.model, args.device)
    k = class_index(m, args)
    target = load_fitted(args.image, m.G.resolution)
    with TqdmProgress("project", "step") as bar, cancel_on_interrupt() as token:
        r = project(m.G, target, D=m.D, steps=args.steps, detail=args.detail, work_size=args.work_size,
                    progress=bar, token=token, c=class_labels(m.G, k), transform=view(Portrait(), args).transform())
    write_picture(out, r.image, portrait_recipe(
        m, view(Portrait.from_w_plus(r.ws[0], class_index=k, noise=r.noise), args),
        projection={"image": str(args.image), "steps": r.steps_done, "detail": r.detail,
                    "work_size": r.work_size, "psnr": r.psnr, "portrait_psnr": r.portrait_psnr},
    ))
    npz = out.with_suffix(".npz")
    noise = {f"noise/{name}": v for name, v in r.noise.items()}
    atomic_stream(npz, lambda f: np.savez(f, w_plus=r.ws[0].cpu().numpy(), **noise))  # a file: no ".npz" appended
    print(f"wrote {out} and {npz}: PSNR {r.psnr:.2f} dB after {r.steps_done} steps ({r.portrait_psnr:.2f} dB "
          "with the model's own noise maps)")
    return 0
