"""What a run leaves beside its checkpoints for people: metrics.jsonl, loss_curves.png, sample grids."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ..atomic import atomic_save, atomic_write_text, writing
from ..grid import make_grid
from ..images import tensor_to_images
from ..model.labels import batch_labels
from ..model.stylegan2 import Generator

CURVES = (("loss_G", "loss_D"), ("r1", "pl"), ("augment_p",))
COLOURS = ((214, 39, 40), (31, 119, 180))


class MetricsLog:
    """Per-step metrics as JSON lines; on resume, lines after the checkpoint's step are dropped."""

    def __init__(self, path: Path, resume_step: int) -> None:
        self.path = path
        self.rows: list[dict] = []
        if resume_step and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except ValueError:  # a line torn by a kill
                    continue
                if row.get("step", 1 << 62) <= resume_step:
                    self.rows.append(row)
        atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in self.rows))

    def append(self, row: dict) -> None:
        self.rows.append(row)
        with writing(self.path), open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def plot_curves(rows: Sequence[dict], path: Path, size: tuple[int, int] = (900, 600)) -> None:
    """Draw the metrics (smoothed) in one panel per group of ``CURVES`` with Pillow, and save as PNG."""
    width, height = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    panel_h = height // len(CURVES)
    steps = np.array([r["step"] for r in rows], np.float64)
    for i, names in enumerate(CURVES):
        top, left, right, bottom = i * panel_h + 18, 60, width - 10, (i + 1) * panel_h - 18
        draw.rectangle([left, top, right, bottom], outline=(160, 160, 160))
        series = [(n, _smooth(np.array([r.get(n, np.nan) for r in rows], np.float64))) for n in names]
        values = np.concatenate([v for _, v in series]) if rows else np.zeros(0)
        values = values[np.isfinite(values)]
        if values.size == 0 or len(rows) < 2:
            continue
        lo, hi = float(values.min()), float(values.max())
        hi = hi if hi > lo else lo + 1.0
        draw.text((4, top), f"{hi:.3g}", fill="black", font=font)
        draw.text((4, bottom - 10), f"{lo:.3g}", fill="black", font=font)
        for k, (name, v) in enumerate(series):
            ok = np.isfinite(v)
            xs = left + (steps[ok] - steps[0]) / max(steps[-1] - steps[0], 1) * (right - left)
            ys = bottom - (v[ok] - lo) / (hi - lo) * (bottom - top)
            if xs.size > 1:
                draw.line(list(zip(xs.tolist(), ys.tolist())), fill=COLOURS[k], width=1)
            draw.text((left + 8 + 90 * k, top - 14), name, fill=COLOURS[k], font=font)
    if len(rows):
        draw.text((60, height - 14), f"steps {int(steps[0])} to {int(steps[-1])}", fill="black", font=font)
    atomic_save(path, lambda tmp: img.save(tmp, format="PNG"))


def _smooth(v: np.ndarray, window: int = 25) -> np.ndarray:
    """Trailing mean over ``window`` finite values, so noisy per-step losses show a trend."""
    out = np.full_like(v, np.nan)
    finite = np.isfinite(v)
    if not finite.any():
        return out
    idx = np.flatnonzero(finite)
    c = np.cumsum(np.concatenate([[0.0], v[idx]]))
    k = np.arange(1, idx.size + 1)
    out[idx] = (c[k] - c[np.maximum(k - window, 0)]) / np.minimum(k, window)
    return out


def sample_latents(count: int, z_dim: int, seed: int) -> torch.Tensor:
    """The fixed z of a run's sample grids: the same for every snapshot, and for the start model beside them."""
    return torch.randn(count, z_dim, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def sample_grid(
    G: Generator, z: torch.Tensor, psis: Sequence[float] = (1.0, 0.7), cols: int = 8, c: torch.Tensor | None = None
) -> np.ndarray:
    """G(z, c) at each truncation psi, one block of rows per psi, as one uint8 image (``c``: labels of a
    conditional G, one row or one per z)."""
    c = batch_labels(c, len(z))
    imgs = [tensor_to_images(G(z, c, truncation_psi=psi, noise_mode="const")) for psi in psis]
    return make_grid(list(np.concatenate(imgs)), cols)
