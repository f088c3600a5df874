"""Write the README figures of the painting world: 24 portraits and the same 24 as sketches, then a grid of the
four genres (a row each) and the same grid as sketches."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from studio.engine.grid import make_grid
from studio.engine.world import GENRES, render_sample

GENRE_SEEDS = range(100, 106)  # six of each genre


def _save(array, path: Path, colours: int = 0) -> None:
    """PNG; with ``colours``, palette-quantised so a painterly grid stays small."""
    img = Image.fromarray(array)
    (img.quantize(colours, method=Image.Quantize.MEDIANCUT) if colours else img).save(path, optimize=True)


def main(out_dir: str = "docs/images", count: int = 24, size: int = 128) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    samples = [render_sample(seed, size) for seed in range(count)]
    Image.fromarray(make_grid([s.image for s in samples], cols=6)).save(out / "world_samples.png")
    Image.fromarray(make_grid([s.sketch for s in samples], cols=6)).save(out / "world_sketches.png")
    genres = [render_sample(seed, 96, g) for g in GENRES for seed in GENRE_SEEDS]
    _save(make_grid([s.image for s in genres], cols=len(GENRE_SEEDS)), out / "world_genres.png", colours=256)
    _save(make_grid([s.sketch for s in genres], cols=len(GENRE_SEEDS)), out / "world_genre_sketches.png")


if __name__ == "__main__":
    main(*sys.argv[1:2])
