"""Train the head locator and the face probe on world portraits and ship them in studio/models/.

    taskset -c 0 env OMP_NUM_THREADS=1 python tools/train_face_probe.py [--count 4000] [--val 500] [--cache F.npz]

Renders --count portraits at 64 px (seeds from 1,200,000 up, apart from the seeds the world probe, the models and
the benchmarks use); a portrait is painted whole with chance 0.4, with no eyes, nose or mouth with chance 0.15, and
otherwise each of its four face parts is left unpainted with chance 0.4 (the record lists them). Holds out the last
--val, trains the locator on the pictures and the face probe on their faces cropped by the truth, on one torch
thread from a fixed seed, prints the held-out figures (the locator's errors, how its crops agree with the truth's,
the face probe's readings of both) and writes both networks with their cards (the figures in them).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from studio.engine.images import images_to_tensor
from studio.engine.world.attributes import FACE_PARTS
from studio.engine.world.face_crop import FACE_SIZE, crop_faces, face_squares, head_boxes, square_overlap
from studio.engine.world.face_probe import (
    CONFIDENT,
    FACE_PROBE_PATH,
    FORMED_PARTS,
    evaluate_faces,
    face_figures,
    read_faces,
    train_face_probe,
)
from studio.engine.world.head_locator import LOCATOR_PATH, LOCATOR_SIZE, locate_heads, locator_errors, train_locator
from studio.engine.world.sample import render_image
from studio.engine.world.small_cnn import save_net

FIRST_SEED = 1_200_000


def unpainted_parts(seed: int) -> list[str]:
    """The face parts portrait ``seed`` is rendered without, for training (drawn from the seed alone)."""
    rng = np.random.default_rng([seed, 29])
    kind = rng.random()
    if kind < 0.4:
        return []
    if kind < 0.55:
        return list(FACE_PARTS)
    return [p for p in FACE_PARTS if rng.random() < 0.4]


def portraits(count: int, cache: Path | None) -> tuple[np.ndarray, list[dict]]:
    if cache and cache.exists():
        data = np.load(cache, allow_pickle=False)
        if len(data["images"]) == count:
            return data["images"], json.loads(str(data["records"]))
    rendered = [render_image(s, LOCATOR_SIZE, unpainted_parts(s)) for s in range(FIRST_SEED, FIRST_SEED + count)]
    images, records = np.stack([r[0] for r in rendered]), [r[1] for r in rendered]
    if cache:
        np.savez(cache, images=images, records=json.dumps(records))
    return images, records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=4000, help="portraits (the held-out ones included)")
    ap.add_argument("--val", type=int, default=500, help="held-out portraits")
    ap.add_argument("--locator-steps", type=int, default=1500)
    ap.add_argument("--face-steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, help="keep the rendered portraits in this .npz and reuse them")
    ap.add_argument("--out", type=Path, default=FACE_PROBE_PATH.parent, help="folder for both networks")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.process_time()
    images, records = portraits(args.count, args.cache)
    render_minutes = (time.process_time() - t0) / 60
    print(f"{len(images)} portraits ready in {render_minutes:.1f} CPU min")
    train, val = slice(0, args.count - args.val), slice(args.count - args.val, args.count)

    t1 = time.process_time()
    locator = train_locator(images[train], records[train], steps=args.locator_steps, seed=args.seed)
    locator_minutes = (time.process_time() - t1) / 60
    truth = head_boxes(records[val])
    located = locate_heads(locator, images[val])
    overlap = square_overlap(face_squares(located), face_squares(truth)).numpy()
    loc = {**locator_errors(located, truth), "centre_px_at_64": float((located - truth)[:, :2].norm(dim=1).mean() * 64),
           "face_square_overlap_mean": float(overlap.mean()),
           "face_square_overlap_p05": float(np.quantile(overlap, 0.05))}

    t2 = time.process_time()
    probe = train_face_probe(images[train], records[train], steps=args.face_steps, seed=args.seed)
    face_minutes = (time.process_time() - t2) / 60
    x_val = images_to_tensor(images[val])
    by_truth, by_locator = crop_faces(x_val, truth), crop_faces(x_val, located)
    faces_truth, faces_located = evaluate_faces(probe, by_truth, records[val]), evaluate_faces(probe, by_locator,
                                                                                                 records[val])
    agree = face_figures(read_faces(probe, by_truth), read_faces(probe, by_locator))
    loc["crops_agree"] = {"face_frechet_located_vs_truth": agree["face_frechet"],
                          "formed_read_the_same": float((read_faces(probe, by_truth).formed
                                                         == read_faces(probe, by_locator).formed).mean())}

    print(f"trained: locator {args.locator_steps} steps in {locator_minutes:.1f} CPU min, face probe "
          f"{args.face_steps} steps in {face_minutes:.1f} CPU min; held-out: {args.val} portraits\n")
    print("| head locator | |\n|---|---|")
    for k, v in loc.items():
        print(f"| {k} | {v if isinstance(v, dict) else round(v, 4)} |")
    print("\n| face probe | truth crops | located crops |\n|---|---|---|")
    for k, v in faces_truth.items():
        print(f"| {k} | {v:.3f} | {faces_located[k]:.3f} |")

    common = {"train_samples": args.count - args.val, "heldout_samples": args.val, "first_seed": FIRST_SEED,
              "unpainted": "whole 0.4, no face parts 0.15, else each part left out with chance 0.4 "
                           "(tools/train_face_probe.py unpainted_parts)",
              "seed": args.seed, "threads": 1, "render_cpu_minutes": round(render_minutes, 1),
              "torch": torch.__version__,
              "reproduce": "taskset -c 0 env OMP_NUM_THREADS=1 python tools/train_face_probe.py",
              "trained_beside": "four other engineers' work on the same core; a model training on the other"}
    save_net(locator, args.out / LOCATOR_PATH.name, {
        "name": "head locator", "input": f"{LOCATOR_SIZE} px portrait RGB in [-1,1]",
        "output": "head centre x, y and half head height (fractions of the picture), as world records give them",
        "steps": args.locator_steps, "train_cpu_minutes": round(locator_minutes, 1), "heldout": loc, **common})
    save_net(probe, args.out / FACE_PROBE_PATH.name, {
        "name": "face probe", "input": f"{FACE_SIZE} px face crop RGB in [-1,1] (studio.engine.world.face_crop)",
        "heads": "parts painted (eye_l, eye_r, nose, mouth), eye colour, face shape, smile, turn; 128-d features",
        "formed_face": f"{', '.join(FORMED_PARTS)} each read painted with probability >= {CONFIDENT}",
        "steps": args.face_steps, "train_cpu_minutes": round(face_minutes, 1),
        "heldout_truth_crops": faces_truth, "heldout_located_crops": faces_located, **common})
    print(f"\nwrote {args.out / LOCATOR_PATH.name} and {args.out / FACE_PROBE_PATH.name}")


if __name__ == "__main__":
    main()
