"""Write a world dataset to disk: images, sketches, label-map masks and an attributes JSONL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from PIL import Image

from ..atomic import PathLike, atomic_save, atomic_write_text
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from .genres import GenreArg, genre_list
from .sample import render_sample


def _save_png(path: Path, array) -> None:
    atomic_save(path, lambda tmp: Image.fromarray(array).save(tmp, format="PNG"))


def write_dataset(
    out_dir: PathLike,
    count: int,
    size: int = 128,
    start_seed: int = 0,
    progress: Optional[ProgressFn] = None,
    token: Optional[CancelToken] = None,
    genre: GenreArg = "portrait",
) -> Path:
    """Render seeds ``start_seed ..`` of ``genre`` (a name, "all" for the genres in turn, or one name per
    sample) into ``out_dir`` (images/, sketches/, masks/, attributes.jsonl with each record's genre).
    A mask PNG numbers the regions of its sample's genre as in ``GENRE_MASKS``.

    Every file is written atomically, so a cancelled or killed job leaves only whole files behind;
    the JSONL is written once at the end and so only exists for a finished dataset.
    """
    out = Path(out_dir)
    report, token = progress or no_progress, ensure_token(token)
    for sub in ("images", "sketches", "masks"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    genres = genre_list(genre, count)
    lines = []
    for i in range(count):
        token.check()
        seed = start_seed + i
        s = render_sample(seed, size, genres[i])
        name = f"{seed:06d}.png"
        _save_png(out / "images" / name, s.image)
        _save_png(out / "sketches" / name, s.sketch)
        _save_png(out / "masks" / name, s.label_map)
        lines.append(json.dumps({"seed": seed, **s.attributes}, sort_keys=True))
        report(Progress(i + 1, count, f"rendered seed {seed}", preview=s.image if i % 64 == 0 else None))
    atomic_write_text(out / "attributes.jsonl", "".join(line + "\n" for line in lines))
    return out
