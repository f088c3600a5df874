"""``LoadedModel``: what opening a model gives, whatever the file's format: G, D if the file has one, where
it came from, and its card, with what the card says (the name, a conditional model's class names)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .stylegan2 import Discriminator, Generator
from .stylegan3 import Generator as SG3Generator


@dataclass
class LoadedModel:
    """A generator (EMA weights), its discriminator when the file has one, and where they came from."""

    G: Generator | SG3Generator
    D: Discriminator | None
    path: Path | None
    format: str
    card: dict = field(default_factory=dict)
    contents: list[str] = field(default_factory=list)
    _hash: str | None = None

    @property
    def name(self) -> str:
        return self.card.get("name") or (self.path.stem if self.path else "unsaved model")

    @property
    def classes(self) -> list[str]:
        """The class names of a conditional model (the card's, else "0", "1"…); empty for an unconditional one."""
        named = self.card.get("classes")
        if isinstance(named, list) and len(named) == self.G.c_dim and all(isinstance(n, str) for n in named):
            return list(named)
        return [str(i) for i in range(self.G.c_dim)]

    @property
    def weights_hash(self) -> str:
        """SHA-256 of G's weights (names, shapes, bytes): the model's identity for caches and recipes."""
        if self._hash is None:
            self._hash = weights_hash(self.G)
        return self._hash

    def resolve_class(self, spec: str | int) -> int:
        """The index of class ``spec``: a name from the card (exact, else case-insensitive) or an index."""
        classes = self.classes
        if not classes:
            raise ValueError(f"{self.name} is not class-conditional: it has no classes to choose from.")
        if isinstance(spec, str):
            text = spec.strip()
            named = [i for i, name in enumerate(classes) if name == text]
            named = named or [i for i, name in enumerate(classes) if name.lower() == text.lower()]
            if named:
                return named[0]
            if not text.isdigit():
                raise ValueError(f"{self.name} has no class {spec!r}; its classes are {', '.join(classes)}.")
            spec = int(text)
        if not 0 <= spec < len(classes):
            raise ValueError(f"{self.name} has classes 0 to {len(classes) - 1} ({', '.join(classes)}); "
                             f"there is no class {spec}.")
        return spec

    def class_fields(self, index: int | None) -> dict:
        """What a recipe records of the class a picture was made with: its name and index (nothing if None)."""
        return {} if index is None else {"class": self.classes[self.resolve_class(index)], "class_index": index}


def weights_hash(module: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().float().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()
