"""Measure "paint colours, search latents" and projection on a model; prints tables for the README.

Recolouring: world portraits are projected into the model first (the article's route for a real
picture), so the world's ground-truth hair mask marks the hair of the portrait we recolour; no trained
segmenter of model samples exists here (the world probe reads colour names, not masks). Target colours
are painted into the hair mask at alpha 1, everything else is kept. Reported: mean CIE76 ΔE to the target
inside the mask before/after (per pixel, and of the mask's mean colour — shading keeps the per-pixel
figure above zero even for a perfect recolour), the mean change outside the mask as a fraction of the
value range, and seconds per search (the projection not included).

Saved direction: the search's W+ edit to blond minus its edit to black on the projected portrait with the most hair
("blond - black", the PULSE article's direction demo) is added to ``--direction-seeds`` sampled portraits, and
the world probe reads their hair colour before and after: how often it changes, how often to a light or a dark
colour, against a random W+ direction of the same size per layer (measured in the same run).

Projection: PSNR on world images and on "paintings" made by other means (world portraits of another seed
range through a painterly filter: mode filter, posterise, colour shift, brush-grain blur; no downloads),
with W+ alone (the model's constant noise) and with the detail pass's noise maps (what ``studio project`` writes
and the window's "Open image to edit" gives). The recolouring starts from the latter.

    python benchmarks/recolor.py --model default
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from PIL import Image, ImageFilter, ImageOps

from studio.engine import CheckpointError, load_model
from studio.engine.edit.latents import z_from_seeds
from studio.engine.grid import make_grid
from studio.engine.images import fit_image, tensor_to_images
from studio.engine.invert.projection import project
from studio.engine.invert.pulse import direction, search
from studio.engine.invert.pulse_fit import latent_stats, render
from studio.engine.world import HAIR_COLORS, render_sample
from studio.engine.world.probe import HAIR_NAMES, load_probe, read_images

TARGETS = ("blue", "pink", "blond", "green")
LIGHT, DARK = ("blond", "platinum", "ginger"), ("black", "dark-brown")


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 (..., 3) sRGB -> CIE L*a*b* (D65)."""
    c = rgb.astype(np.float64) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def delta_e(img: np.ndarray, mask: np.ndarray, rgb: tuple[int, int, int]) -> tuple[float, float]:
    """(mean per-pixel ΔE76 to ``rgb`` inside ``mask``, ΔE76 of the mask's mean Lab colour)."""
    lab = srgb_to_lab(img)[mask]
    ref = srgb_to_lab(np.array(rgb, np.uint8))
    return float(np.linalg.norm(lab - ref, axis=-1).mean()), float(np.linalg.norm(lab.mean(0) - ref))


def painterly(img: np.ndarray, seed: int) -> np.ndarray:
    """A 'real painting' stand-in made without the world renderer's brush: flattened, posterised, shifted."""
    rng = np.random.default_rng(seed)
    im = Image.fromarray(img).resize((img.shape[1] * 2,) * 2, Image.Resampling.BICUBIC)
    im = im.filter(ImageFilter.ModeFilter(5)).filter(ImageFilter.SMOOTH_MORE)
    im = ImageOps.posterize(im, 4)
    shift = rng.uniform(0.85, 1.15, 3)
    a = np.clip(np.asarray(im, np.float64) * shift, 0, 255).astype(np.uint8)
    im = Image.fromarray(a).filter(ImageFilter.GaussianBlur(0.8))
    return np.asarray(im.resize(img.shape[:2][::-1], Image.Resampling.LANCZOS))


def hair_search(G, p, hair: np.ndarray, name: str, steps: int):
    """The colour search that paints ``hair`` (a bool mask) of projection ``p`` in world colour ``name``."""
    paint = np.zeros((*hair.shape, 4), np.uint8)
    paint[hair] = (*HAIR_COLORS[name], 255)
    return search(G, paint, start_ws=p.ws, start_noise=p.noise, steps=steps)


@torch.no_grad()
def direction_rows(G, v: torch.Tensor, seeds: int) -> list[list]:
    """Probe hair readings of ``seeds`` sampled portraits moved by +v, -v and a random W+ vector as long per layer."""
    probe = load_probe()
    ws = G.mapping(z_from_seeds(range(30_000, 30_000 + seeds), G.z_dim))
    rand = torch.randn(v.shape, generator=torch.Generator().manual_seed(0))
    rand = rand * v.norm(dim=-1, keepdim=True) / rand.norm(dim=-1, keepdim=True)
    light, dark = [HAIR_NAMES.index(n) for n in LIGHT], [HAIR_NAMES.index(n) for n in DARK]

    def read(moved: torch.Tensor):
        img = np.concatenate([tensor_to_images(G.synthesis(moved[i : i + 50], noise_mode="const"))
                              for i in range(0, seeds, 50)])
        return read_images(probe, img).hair, img

    before, img0 = read(ws)
    rows = [["(unmoved)", 0.0, *(100 * float(np.isin(before, k).mean()) for k in (light, dark)), 0.0]]
    for label, d in (("+(blond - black)", v), ("-(blond - black)", -v), ("random, same size", rand)):
        after, img = read(ws + d)
        moved = float(np.abs(img.astype(np.float32) - img0).mean()) / 255
        rows.append([label, 100 * float((after != before).mean()),
                     *(100 * float(np.isin(after, k).mean()) for k in (light, dark)), 100 * moved])
    return rows


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n{title}")
    cells = [header] + [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for i, r in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--seeds", default="0,1,2", help="world seeds to project and recolour")
    ap.add_argument("--paintings", default="5000,5001,5002", help="world seeds turned into 'paintings'")
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--steps", type=int, default=100, help="search steps")
    ap.add_argument("--project-steps", type=int, default=300)
    ap.add_argument("--direction-seeds", type=int, default=200, help="sampled portraits the saved direction moves")
    ap.add_argument("--project-detail", type=float, default=0.25, help="share of the projection steps on noise")
    ap.add_argument("--pixel-only", action="store_true", help="also project with the pixel terms alone")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--figure", help="also save the projections as one PNG, 3x nearest-neighbour: the targets, then "
                                     "W+ alone, then with the detail pass, a row each")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    try:
        model = load_model(args.model)
    except CheckpointError as e:
        print(f"skipped: {e}")
        return 0
    G, D = model.G, model.D
    res = G.resolution
    print(f"model {model.name} ({res} px, {G.num_ws} ws, D: {'yes' if D is not None else 'no'}), "
          f"{args.threads} threads, {args.steps} search steps, {args.project_steps} projection steps")
    t = time.perf_counter()
    latent_stats(G)
    print(f"Gaussian fit (once per model): {time.perf_counter() - t:.1f} s")

    proj_rows, rec_rows, projected, directions, tiles = [], [], [], {}, ([], [], [])
    for kind, seeds in (("world", args.seeds), ("painting", args.paintings)):
        for s in (int(x) for x in seeds.split(",") if x):
            sample = render_sample(s, res)
            image = sample.image if kind == "world" else painterly(sample.image, s)
            t = time.perf_counter()
            p = project(G, image, D=D, steps=args.project_steps, detail=args.project_detail)
            secs = time.perf_counter() - t
            pix = "-"
            if args.pixel_only:
                pix = project(G, image, D=None, steps=args.project_steps, detail=args.project_detail).psnr
            proj_rows.append([kind, s, p.history[0][1], p.portrait_psnr, p.psnr, pix, secs])
            for row, tile in zip(tiles, (fit_image(image, res), p.portrait, p.image)):
                row.append(tile)
            if kind != "world":
                continue
            hair = sample.masks["hair"]
            projected.append((s, hair, p))
            for name in args.targets.split(","):
                rgb = HAIR_COLORS[name]
                t = time.perf_counter()
                r = hair_search(G, p, hair, name, args.steps)
                secs = time.perf_counter() - t
                directions.setdefault(name, direction(r.ws, p.ws))
                before, after = delta_e(p.image, hair, rgb), delta_e(r.image, hair, rgb)
                outside = np.abs(r.image.astype(float) - p.image.astype(float))[~hair].mean() / 255
                rec_rows.append([s, name, int(hair.sum()), before[0], after[0], before[1], after[1],
                                 100 * outside, r.l2_in_mask, secs])

    table("Projection (PSNR dB; W+ alone = with the model's noise, detail = with the detail pass's noise maps, as "
          "the studio and `studio project` give it; pix = pixel terms only, with detail)",
          ["image", "seed", "step 10", "W+ alone", "detail", "pix", "s"], proj_rows)
    if args.figure:
        grid = make_grid([tile for row in tiles for tile in row], cols=len(tiles[0]))
        Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(args.figure)
        print(f"wrote {args.figure}")
    table("Recolour (identity mode, keep = everything outside the hair mask)",
          ["seed", "target", "px", "ΔE px before", "ΔE px after", "ΔE mean before", "ΔE mean after",
           "outside %", "l2 in mask", "s"], rec_rows)
    transfer_rows = []
    for name, v in directions.items():  # the first seed's edit, added to the other portraits (the article's v)
        for s, hair, p in projected[1:]:
            moved = tensor_to_images(render(G, p.ws + v, p.noise))[0]
            outside = np.abs(moved.astype(float) - p.image.astype(float))[~hair].mean() / 255
            transfer_rows.append([s, name, delta_e(p.image, hair, HAIR_COLORS[name])[1],
                                  delta_e(moved, hair, HAIR_COLORS[name])[1], 100 * outside])
    if transfer_rows:
        table(f"Direction transfer (W+ edit found on seed {projected[0][0]}, added to other portraits)",
              ["seed", "target", "ΔE mean before", "ΔE mean after", "outside %"], transfer_rows)
    if args.direction_seeds > 0:
        s, hair, p = max(projected, key=lambda x: x[1].sum())
        v = direction(hair_search(G, p, hair, "blond", args.steps).ws, p.ws) - direction(
            hair_search(G, p, hair, "black", args.steps).ws, p.ws)
        table(f"Saved direction blond - black (searched on seed {s}, {int(hair.sum())} hair px) added to "
              f"{args.direction_seeds} sampled portraits: % whose probe hair colour changes / is light "
              f"({', '.join(LIGHT)}) / dark ({', '.join(DARK)}); pixels moved in % of the range",
              ["direction", "changed %", "light %", "dark %", "moved %"], direction_rows(G, v, args.direction_seeds))
    a = np.array([r[3:] for r in rec_rows], float)
    print(f"\nmean over {len(rec_rows)} searches: ΔE px {a[:, 0].mean():.1f} -> {a[:, 1].mean():.1f}, "
          f"ΔE of mean colour {a[:, 2].mean():.1f} -> {a[:, 3].mean():.1f}, outside change {a[:, 4].mean():.2f} %, "
          f"{a[:, 6].mean():.1f} s per search (targets: ΔE ≤ 10, outside ≤ 5 %, ≤ 10 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
