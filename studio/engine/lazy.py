"""Package names that load on first use (PEP 562 ``__getattr__``).

A package such as ``studio.engine.train`` offers ``Trainer`` at its top for callers' convenience; importing
it eagerly would make every import of a light sibling (``train.config``, for ``studio train --help``) pay for
torch and the training loop first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(package: str, sources: Mapping[str, Sequence[str]]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: each name in ``sources[module]`` is taken from
    ``package.module``, which is imported the first time one of its names is asked for."""
    where = {name: module for module, names in sources.items() for name in names}

    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    return __getattr__
