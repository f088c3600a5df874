"""A running command's face on the terminal: the engine's progress as a tqdm bar, Ctrl-C as a cancel."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

from tqdm import tqdm

from ..engine.jobs import CancelToken, Progress


class TqdmProgress:
    """Turns the engine's Progress reports into a tqdm bar (rate and ETA included)."""

    def __init__(self, desc: str, unit: str = "it") -> None:
        self.bar: tqdm | None = None
        self.desc, self.unit = desc, unit

    def __call__(self, p: Progress) -> None:
        if self.bar is None:  # a resumed job starts part-way: count the rate from there
            self.bar = tqdm(total=p.total, initial=p.done, desc=self.desc, unit=self.unit, dynamic_ncols=True)
        self.bar.update(p.done - self.bar.n)
        if p.metrics:
            self.bar.set_postfix({k: f"{v:.3g}" if isinstance(v, float) else v for k, v in p.metrics.items()})
        elif p.message and len(p.message) < 120:  # a phase before the counted work (e.g. rendering a cache)
            self.bar.set_postfix_str(p.message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> TqdmProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def cancel_on_interrupt() -> Iterator[CancelToken]:
    """Ctrl-C cancels the job through its token, so it can save its state before it stops."""
    token = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: token.cancel())
    try:
        yield token
    finally:
        signal.signal(signal.SIGINT, previous)
