"""Keeping the best snapshot of a customization run, chosen by a probe-free sketch-fidelity score.

At the mapping lr the short CPU runs need, G′ wanders from step to step: the same method ended anywhere between
~15 % and ~80 % of samples in the sketched composition depending on where it stopped (README). The paper keeps
its best iteration by FID against held-out sketches; a user's 1–30 sketches leave none to hold out, so the score
here compares the run's own view of G′ with them: F(G′(z)) for a fixed set of held-out z, each against its
nearest user sketch, after the blur the sketch critic sees (augment.BLUR_SIGMA), as the mean absolute difference
of the ink. Lower is closer. Nothing of the world (probe, attributes) goes in, so it works for any model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import torch

from .augment import BLUR_SIGMA
from .edges import blur

# Held-out z for the score: away from the preview's (0-7) and the seeds benchmarks evaluate on (0-299).
SELECT_SEEDS = range(1_000_000, 1_000_048)


def blurred_ink(sketches: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """Sketches (N, 1, H, W) in [-1, 1] (ink -1) -> ink in [0, 1] blurred by ``sigma`` of the side."""
    ink = (1 - sketches) * 0.5
    return blur(ink, sigma * sketches.shape[-1])


def sketch_distance(fake: torch.Tensor, real: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """(N,) per fake sketch: the mean absolute ink difference to its nearest real sketch, both blurred."""
    a, b = blurred_ink(fake, sigma).flatten(1), blurred_ink(real, sigma).flatten(1)
    return torch.cdist(a, b, p=1).min(dim=1).values / a.shape[1]


@dataclass
class BestSnapshot:
    """The lowest-scoring snapshot of the trained tensors so far, and every score seen (for the card)."""

    step: int = 0
    score: float = math.inf
    params: Optional[dict[str, torch.Tensor]] = None
    scores: list[tuple[int, float]] = field(default_factory=list)

    def consider(self, step: int, score: float, params: dict[str, torch.Tensor]) -> bool:
        """Record ``score`` at ``step``; keep a copy of ``params`` if it is the best yet (ties keep the earlier)."""
        self.scores.append((step, score))
        if score >= self.score:
            return False
        self.step, self.score = step, score
        self.params = {k: p.detach().clone() for k, p in params.items()}
        return True

    def state_dict(self) -> dict:
        return {"step": self.step, "score": self.score, "scores": [list(s) for s in self.scores],
                "params": {k: p.cpu() for k, p in self.params.items()} if self.params is not None else {}}

    def load_state_dict(self, state: dict) -> None:
        self.step, self.score = int(state["step"]), float(state["score"])
        self.scores = [(int(k), float(v)) for k, v in state["scores"]]
        self.params = dict(state["params"]) or None
