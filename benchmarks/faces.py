"""How formed a model's faces are, read by the face probe on 32 px face crops, beside the world probe's figure.

World portraits are cropped around their recorded heads, a model's samples around the heads the head locator
finds. Per model: the world probe's Fréchet distance (as in model_quality.py), the face Fréchet distance (face
probe features of its face crops against world faces), the formed-face share (both eyes and the mouth read
painted with confidence), the shares read with two eyes and with a mouth, and how far the locator's head centre
lies from the world probe's reading of it (pixels at 64 px; the probe is an independent second opinion where
no truth exists). Rows for the world: other seeds cropped by their truth (the floor) and by the locator.

    taskset -c 0 env OMP_NUM_THREADS=1 python benchmarks/faces.py --model default --model other.safetensors --n 500
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from studio.engine.world import sample_attributes
from studio.engine.world.face_crop import world_faces
from studio.engine.world.face_probe import FaceProbe, FaceReadout, face_figures, load_face_probe, read_faces
from studio.engine.world.head_locator import HeadLocator, load_locator, locate_heads, located_faces
from studio.engine.world.probe import PROBE_SIZE, WorldProbe, frechet_distance, load_probe, read_images

sys.path.insert(0, str(Path(__file__).parent))
from model_quality import model_images, world_images

REFERENCE_SEED, OTHER_SEED = 2_000_000, 3_000_000  # model_quality.py's world sets


class FaceMeter:
    """The three instruments and the world reference, read once; rows for any set of 64 px portraits."""

    def __init__(self, reference: np.ndarray, first_seed: int = REFERENCE_SEED, probe: WorldProbe | None = None
                 ) -> None:
        self.probe = probe or load_probe()
        self.face_probe: FaceProbe = load_face_probe()
        self.locator: HeadLocator = load_locator()
        self.reference = read_images(self.probe, reference).features
        crops = world_faces(reference, world_records(first_seed, len(reference)))
        self.faces: FaceReadout = read_faces(self.face_probe, crops)

    def row(self, images: np.ndarray, first_seed: int | None = None) -> dict[str, float]:
        """Figures of portraits (uint8, probe size); ``first_seed``: they are world portraits from that seed on, to
        be cropped by their truth (else by the locator)."""
        read = read_images(self.probe, images)
        crops = (world_faces(images, world_records(first_seed, len(images))) if first_seed is not None
                 else located_faces(self.locator, images))
        located = locate_heads(self.locator, images).numpy()
        apart = np.hypot(*(located[:, :2] - read.head[:, :2]).T).mean() * images.shape[1]
        return {"probe_frechet": frechet_distance(self.reference, read.features),
                **face_figures(self.faces, read_faces(self.face_probe, crops)), "located_vs_probe_px": float(apart)}


def world_records(first_seed: int, n: int) -> list[dict]:
    return [sample_attributes(s, "portrait") for s in range(first_seed, first_seed + n)]


def print_rows(rows: dict[str, dict[str, float]]) -> None:
    print("| model | probe Fréchet | face Fréchet | formed faces | two eyes | mouth | head: locator vs probe (px) |\n"
          "|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['probe_frechet']:.1f} | {r['face_frechet']:.1f} | {r['formed']:.1%} "
              f"| {r['two_eyes']:.1%} | {r['mouth']:.1%} | {r['located_vs_probe_px']:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", default=[], help="checkpoint path or 'default' (repeatable)")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--truncation", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=1, help="processes rendering the world sets")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    meter = FaceMeter(world_images(REFERENCE_SEED, args.n, args.workers))
    other = world_images(OTHER_SEED, args.n, args.workers)
    rows = {"world (other seeds), truth crops: the floor": meter.row(other, OTHER_SEED),
            "world (other seeds), located crops": meter.row(other)}
    for path in args.model or ["default"]:
        rows[path] = meter.row(model_images(path, args.n, args.truncation))
    print(f"{args.n} samples each against {args.n} world portraits, truncation {args.truncation}, {PROBE_SIZE} px\n")
    print_rows(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({"samples": args.n, "truncation": args.truncation, **rows}, indent=2))


if __name__ == "__main__":
    main()
