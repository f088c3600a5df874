"""One training iteration as a list of phases, the shape of NVlabs' ``training_loop.py`` with ``loss.py``.

Each phase zeroes its optimizers' gradients, lets the objective accumulate them (``accumulate_gradients``: the
losses of that phase, forward and backward, nothing stepped) and steps the optimizers (one per network: a second
critic keeps an Adam of its own); a lazy regulariser is a phase that runs on every ``interval``-th iteration
only. The loop owns the schedule, the data and the state; the objective owns the mathematics. Both trainers
run this way: StyleGAN2's (``train.loop`` with ``train.objective``) and Sketch Your Own GAN's (``customize.loop``
with ``customize.objective``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn


class Objective(Protocol):
    def accumulate_gradients(self, phase: str, batch: Any) -> dict[str, Any]:
        """The losses of ``phase`` on ``batch``, back-propagated into the parameters' gradients; what to report."""


@dataclass(frozen=True)
class Phase:
    name: str  # which of the objective's terms it computes
    opts: tuple[torch.optim.Optimizer, ...]  # what it steps
    interval: int = 1  # it runs on iterations divisible by this (a lazy regulariser's interval)
    critic: bool = False  # the critics train in it, so their parameters need gradients (and not otherwise)
    finite: tuple[nn.Module, ...] = ()  # networks whose gradients are made finite before the step (others as they are)


def run_phases(
    phases: Sequence[Phase], step: int, objective: Objective, batch: Any, critic_params: Iterable[nn.Parameter]
) -> dict[str, Any]:
    """Run the phases due at iteration ``step`` in order; returns what the objective reported."""
    critic_params = list(critic_params)
    report: dict[str, Any] = {}
    for phase in phases:
        if step % phase.interval:
            continue
        for p in critic_params:
            p.requires_grad_(phase.critic)
        for opt in phase.opts:
            opt.zero_grad(set_to_none=True)
        report.update(objective.accumulate_gradients(phase.name, batch))
        for net in phase.finite:
            for p in net.parameters():
                if p.grad is not None:
                    torch.nan_to_num(p.grad, nan=0, posinf=1e5, neginf=-1e5, out=p.grad)
        for opt in phase.opts:
            opt.step()
    return report
