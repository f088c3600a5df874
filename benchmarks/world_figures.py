"""Write the README figures of the painted-portrait world: 24 samples and the same 24 as sketches."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from studio.engine.grid import make_grid
from studio.engine.world import render_sample


def main(out_dir: str = "docs/images", count: int = 24, size: int = 128) -> None:
    samples = [render_sample(seed, size) for seed in range(count)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(make_grid([s.image for s in samples], cols=6)).save(out / "world_samples.png")
    Image.fromarray(make_grid([s.sketch for s in samples], cols=6)).save(out / "world_sketches.png")


if __name__ == "__main__":
    main(*sys.argv[1:2])
