"""Write a world dataset to disk: images, sketches, label-map masks and an attributes JSONL.

A folder that already holds a data set is added to, never rewritten: its records stay, seeds it has are not
rendered again, and a data set of another image size or a folder of someone else's files is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..atomic import atomic_save, atomic_write_text
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from ..outputs import OutputError, check_output_folder, folder_holds_only
from ..paths import PathLike
from .genres import GenreArg, genre_list
from .sample import render_sample

FOLDERS = ("images", "sketches", "masks")
RECORDS = "attributes.jsonl"


@dataclass(frozen=True)
class WorldDataset:
    """What ``write_dataset`` did: the folder, the seeds it added, and how many portraits the folder now holds."""

    path: Path
    added: list[int]
    total: int


def _save_png(path: Path, array) -> None:
    atomic_save(path, lambda tmp: Image.fromarray(array).save(tmp, format="PNG"))


def _records(out: Path) -> dict[int, str]:
    """The data set's attribute lines by seed; a line torn by a crash is dropped (its seed is rendered again)."""
    path = out / RECORDS
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found[int(json.loads(line)["seed"])] = line
        except (ValueError, KeyError, TypeError):
            continue
    return found


def _image_size(out: Path) -> int | None:
    """The size of the data set's images (the first one's), or None for a data set with none yet."""
    first = next(iter(sorted((out / "images").glob("*.png"))), None) if (out / "images").is_dir() else None
    if first is None:
        return None
    with Image.open(first) as im:
        return im.width


def next_seed(out_dir: PathLike) -> int:
    """The first seed after the data set's last one: where an added batch continues (0 for a new data set)."""
    records = _records(Path(out_dir))
    return max(records) + 1 if records else 0


def check_dataset_folder(out_dir: PathLike, size: int) -> Path:
    """The output policy for a data set: a new or empty folder, or a data set of the same image size."""
    out = check_output_folder(out_dir, "a world data set", lambda f: folder_holds_only(f, (*FOLDERS, RECORDS)),
                              subfolders=FOLDERS)
    existing = _image_size(out) if out.is_dir() else None
    if existing is not None and existing != size:
        raise OutputError(f"{out} holds a data set of {existing} px images; add {existing} px images to it, "
                          f"or write {size} px ones into another folder.")
    return out


def write_dataset(
    out_dir: PathLike,
    count: int,
    size: int = 128,
    start_seed: int | None = None,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
    genre: GenreArg = "portrait",
) -> WorldDataset:
    """Render seeds ``start_seed ..`` of ``genre`` (a name, "all" for the genres in turn, or one name per
    sample) into ``out_dir`` (images/, sketches/, masks/, attributes.jsonl with each record's genre).
    A mask PNG numbers the regions of its sample's genre as in ``GENRE_MASKS``.

    ``start_seed`` None continues after the data set's last seed. Seeds the folder already holds are kept as
    they are. Every file is written atomically, so a cancelled or killed job leaves only whole files behind;
    the JSONL (old records and new) is rewritten once at the end, so a record exists only for a finished sample.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}.")
    out = check_dataset_folder(out_dir, size)
    report, token = progress or no_progress, ensure_token(token)
    records = _records(out)
    first = next_seed(out) if start_seed is None else start_seed
    todo = [seed for seed in range(first, first + count) if seed not in records]
    for sub in FOLDERS:
        (out / sub).mkdir(parents=True, exist_ok=True)
    genres = genre_list(genre, count)  # by position in the requested range, so a seed's genre never shifts
    try:
        for i, seed in enumerate(todo):
            token.check()
            s = render_sample(seed, size, genres[seed - first])
            name = f"{seed:06d}.png"
            _save_png(out / "images" / name, s.image)
            _save_png(out / "sketches" / name, s.sketch)
            _save_png(out / "masks" / name, s.label_map)
            records[seed] = json.dumps({"seed": seed, **s.attributes}, sort_keys=True)
            report(Progress(i + 1, len(todo), f"rendered seed {seed}", preview=s.image if i % 64 == 0 else None))
    finally:  # a cancelled run keeps the records of what it finished
        atomic_write_text(out / RECORDS, "".join(records[seed] + "\n" for seed in sorted(records)))
    return WorldDataset(out, todo, len(records))
