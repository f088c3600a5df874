"""The seeds a user types (``0-7``, ``1,5,9-12``), read without torch: the command line checks them while
parsing, before any model loads."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence

MAX_SEED = 2**32 - 1  # numpy's RandomState takes seeds 0 .. 2**32 - 1
_SEEDS_FORM = "whole numbers or ranges such as 0-7 or 1,5,9-12"


class Seeds(Sequence[int]):
    """Seeds as ``parse_seeds`` read them, held as ranges: ``0-10000000000`` has a length at once and costs
    no memory until someone iterates it (ask for a confirmation before doing that)."""

    def __init__(self, ranges: Iterable[range]) -> None:
        self.ranges = [r for r in ranges if len(r)]
        self._starts = list(itertools.accumulate((len(r) for r in self.ranges), initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def __iter__(self) -> Iterator[int]:
        return itertools.chain.from_iterable(self.ranges)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("seed index out of range")
        k = bisect.bisect_right(self._starts, index) - 1
        return self.ranges[k][index - self._starts[k]]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Seeds):
            return self.ranges == other.ranges or (len(self) == len(other) and list(self) == list(other))
        return isinstance(other, Sequence) and len(self) == len(other) and list(self) == list(other)

    def __contains__(self, seed: object) -> bool:
        return any(seed in r for r in self.ranges)

    def __str__(self) -> str:
        """The seeds in the form ``parse_seeds`` reads: '0-3,7'."""
        return ",".join(f"{r.start}-{r.stop - 1}" if len(r) > 1 else str(r.start) for r in self.ranges)

    def __repr__(self) -> str:
        return f"Seeds({self})"


def _seed(text: str, part: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{part!r} is not a seed: use {_SEEDS_FORM}") from None
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"seed {value} is out of range: seeds are whole numbers from 0 to {MAX_SEED}")
    return value


def parse_seeds(text: str) -> Seeds:
    """'0-3,7,10-11' -> [0, 1, 2, 3, 7, 10, 11], as a ``Seeds`` sequence (ranges stay ranges)."""
    ranges: list[range] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        if sep and not lo:  # "-1": a negative number, not a range
            _seed(part, part)
        if sep:
            a, b = _seed(lo, part), _seed(hi, part)
            if b < a:
                raise ValueError(f"seed range {part!r} runs backwards")
            ranges.append(range(a, b + 1))
        else:
            a = _seed(part, part)
            ranges.append(range(a, a + 1))
    if not ranges:
        raise ValueError(f"no seeds in {text!r}: use {_SEEDS_FORM}")
    return Seeds(ranges)
