"""What a folder of pictures offers a run, before it starts: usable pictures, skipped files and why, a size
histogram, and a contact sheet of a few.

It reads the folder as the trainer's ``scan_folder`` does (the same files, each decoded once, unreadable ones
skipped), so the count it shows is the count the run trains on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..grid import make_grid
from ..images import ImageError, fit_image, load_image
from ..jobs import CancelToken, Progress, ProgressFn, ensure_token, no_progress
from .data import IMAGE_SUFFIXES

# Histogram bins of a picture's shorter side: where it stands against the model sizes (32 to 1024 px).
SIZE_BINS = (0, 64, 128, 256, 512, 1024)
SHEET_PICTURES = 12
SHEET_COLUMNS = 6
THUMB = 64


@dataclass
class FolderSummary:
    root: Path
    files: list[str]  # usable pictures, relative to root, sorted as the trainer lists them
    sizes: list[tuple[int, int]]  # (width, height) of each usable picture
    skipped: list[str]  # one sentence per file that cannot be read
    sheet: np.ndarray  # contact sheet of up to SHEET_PICTURES pictures spread over the folder

    @property
    def pictures(self) -> int:
        return len(self.files)

    def histogram(self) -> list[tuple[str, int]]:
        """(label, count) of the pictures' shorter sides per ``SIZE_BINS`` bin."""
        sides = np.array([min(s) for s in self.sizes])
        edges = [*SIZE_BINS, np.inf]
        labels = [f"under {SIZE_BINS[1]} px"] + [f"{a}–{b - 1} px" for a, b in zip(SIZE_BINS[1:-1], SIZE_BINS[2:])]
        labels.append(f"{SIZE_BINS[-1]} px and up")
        counts = np.histogram(sides, edges)[0] if len(sides) else np.zeros(len(labels), int)
        return list(zip(labels, (int(c) for c in counts)))

    def lines(self, resolution: int | None = None) -> list[str]:
        """The summary in a few sentences; ``resolution``: the model's, to say how many pictures are upscaled."""
        skipped = f"; {len(self.skipped)} file(s) skipped (unreadable)" if self.skipped else ""
        out = [f"{self.pictures:,} usable picture(s) in {self.root}{skipped}."]
        out.append("Shorter side: " + ", ".join(f"{n:,} {_at(label)}" for label, n in self.histogram() if n) + ".")
        if resolution:
            small = sum(min(s) < resolution for s in self.sizes)
            square = sum(w == h for w, h in self.sizes)
            crop = f"{self.pictures - square} are cropped to a centred square" if square < self.pictures else ""
            up = f"{small} are smaller than {resolution} px and are upscaled" if small else ""
            said = " and ".join(s for s in (up, crop) if s)
            out.append(f"Each is trained on at {resolution} px" + (f"; {said}." if said else "."))
        out += self.skipped[:3]
        if len(self.skipped) > 3:
            out.append(f"… and {len(self.skipped) - 3} more unreadable file(s).")
        return out


def _at(label: str) -> str:
    """A size bin's label after a count: "12 at 128–255 px", "3 under 64 px", "1 at 1024 px and up"."""
    return label if label.startswith("under") else f"at {label}"


def picture_files(root: Path) -> list[Path]:
    """The files under ``root`` (recursively, sorted) that the trainer would try to read; ValueError if no folder."""
    if not root.is_dir():
        raise ValueError(f"{root}: no such folder of pictures.")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def summarize_folder(
    root: str | Path, progress: ProgressFn | None = None, token: CancelToken | None = None,
) -> FolderSummary:
    """Read every picture under ``root`` once; ValueError (one sentence) if there is no folder or no usable picture."""
    report, token = progress or no_progress, ensure_token(token)
    root = Path(root)
    paths = picture_files(root)
    every = max(1, len(paths) // 100)
    files, sizes, skipped, thumbs = [], [], [], []
    picks = iter(np.unique(np.linspace(0, max(len(paths) - 1, 0), SHEET_PICTURES).round().astype(int)).tolist())
    pick = next(picks, None)  # the sheet takes the first readable picture at or after each of these indices
    for i, path in enumerate(paths):
        if i % every == 0:
            token.check()
            report(Progress(i, len(paths), "reading pictures"))
        try:
            img = load_image(path)
        except ImageError as e:
            skipped.append(str(e))
            continue
        files.append(path.relative_to(root).as_posix())
        sizes.append((img.shape[1], img.shape[0]))
        if pick is not None and i >= pick:
            thumbs.append(fit_image(img, THUMB))
            pick = next((k for k in picks if k > i), None)
    report(Progress(len(paths), len(paths), "reading pictures"))
    if not files:
        unreadable = f" (none of its {len(paths)} image files can be read)" if paths else ""
        raise ValueError(f"{root}: the folder has no pictures to train on{unreadable}.")
    sheet = make_grid(thumbs, min(SHEET_COLUMNS, len(thumbs)))
    return FolderSummary(root, files, sizes, skipped, sheet)
