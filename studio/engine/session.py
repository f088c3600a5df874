"""The studio's state without Qt: the open model, its directions, the recent models, and what a recipe needs.

The window binds a ``Session`` to widgets (and its settings to QSettings); the logic lives here, so it is
tested without a window. Listeners are plain callbacks: ``on_directions(directions)`` runs whenever the
open model's directions change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from .edit.directions import Direction, named_by_card, saved_directions
from .edit.latents import w_sampling_rates
from .edit.portrait import Portrait
from .library.recipe import RecipeError, portrait_from_recipe
from .model.checkpoints import SHIPPED_MODELS
from .model.loaded import LoadedModel

MAX_RECENT = 8


class Store(Protocol):
    """Where the session keeps what outlives it (QSettings in the studio; a dict does in tests)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def __setitem__(self, key: str, value: Any) -> None: ...


class ModelNeeded(RecipeError):
    """A recipe needs a model the session does not know where to find."""


@dataclass(frozen=True)
class RecipePlan:
    """How to open a recipe: its portrait, and the model file to open first (None: the open model fits)."""

    portrait: Portrait
    model_hash: str | None
    open_first: str | None = None


class Session:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.model: LoadedModel | None = None
        self.model_path: str | None = None
        self.directions: dict[str, Direction] = {}
        self.directions_for: str | None = None  # the weights hash the directions belong to
        self.on_directions: list[Callable[[dict[str, Direction]], None]] = []

    # --- the open model --------------------------------------------------------------------------------

    def install(self, model: LoadedModel, path: str) -> None:
        """Make ``model`` (read from ``path`` or a shipped model's name) the open one; its directions come later."""
        self.model, self.model_path = model, path
        self.store[f"model_hashes/{model.weights_hash}"] = path
        if path not in SHIPPED_MODELS:
            self.remember_recent(path)
        self.directions, self.directions_for = {}, None

    @property
    def layer_rates(self) -> tuple[int, ...] | None:
        """The sampling rate of the layer each W+ entry drives, for a StyleGAN3 model (its groups follow them);
        None for StyleGAN2, whose groups follow the layers' resolutions."""
        return w_sampling_rates(self.model.G)

    @property
    def movable(self) -> bool:
        """Whether the open model can move and turn its picture (a StyleGAN3 model, through its Fourier input)."""
        return self.model is not None and self.model.G.architecture != "sg2"

    def set_directions(self, found: list[Direction]) -> None:
        """The open model's computed directions, named as its card says, joined by the ones the user saved for it
        that fit its W+ (a damaged file's that do not are left out)."""
        G = self.model.G
        shapes = ((G.w_dim,), (G.num_ws, G.w_dim))
        saved = [d for d in saved_directions(self.model.weights_hash) if d.vector.shape in shapes]
        found = named_by_card(found, self.model.card, G.num_ws, self.layer_rates) + saved
        self.directions, self.directions_for = {d.name: d for d in found}, self.model.weights_hash
        self._directions_changed()

    def add_direction(self, direction: Direction) -> None:
        self.directions[direction.name] = direction
        self._directions_changed()

    def _directions_changed(self) -> None:
        for listener in self.on_directions:
            listener(self.directions)

    @property
    def directions_ready(self) -> bool:
        return self.model is not None and self.directions_for == self.model.weights_hash

    def render_ws(self, portrait: Portrait, with_before: bool = False) -> torch.Tensor:
        """The W+ to show ``portrait`` with the open model (and its unedited 'before' after it).

        KeyError while a slider's direction is missing (e.g. the directions are still being computed),
        ValueError if the portrait does not fit the model.
        """
        G = self.model.G
        ws = portrait.ws(G, self.directions)
        return torch.cat([ws, portrait.without_edits().ws(G)]) if with_before else ws

    def view_transform(self, portrait: Portrait) -> torch.Tensor | None:
        """The input transform that moves and turns ``portrait`` (None: unmoved); ValueError if the open model
        cannot draw it moved (a StyleGAN2 model)."""
        if portrait.moved and not self.movable:
            raise ValueError("only a StyleGAN3 model can move or turn the picture")
        return portrait.transform()

    # --- recent models ---------------------------------------------------------------------------------

    def recent_models(self) -> list[str]:
        value = self.store.get("recent_models") or []
        return [value] if isinstance(value, str) else list(value)  # QSettings gives a lone entry as a string

    def remember_recent(self, path: str) -> None:
        recent = [p for p in self.recent_models() if p != path]
        self.store["recent_models"] = [path, *recent][:MAX_RECENT]

    # --- recipes ---------------------------------------------------------------------------------------

    def plan_recipe(self, recipe: Mapping, where: str = "The recipe") -> RecipePlan:
        """What opening ``recipe`` takes; RecipeError (one sentence naming ``where``) if it cannot be opened."""
        try:
            portrait = portrait_from_recipe(recipe)
        except ValueError as e:
            raise RecipeError(f"{where}: {e}.") from None
        wanted = recipe.get("model_hash")
        if self.model is not None and wanted in (None, self.model.weights_hash):
            return RecipePlan(portrait, wanted)
        path = self.store.get(f"model_hashes/{wanted}")
        if not path or (path not in SHIPPED_MODELS and not Path(path).is_file()):
            name = recipe.get("model", "unknown")
            raise ModelNeeded(f"{where} was made with the model “{name}”, which is not among your recent models; "
                              "open that checkpoint first, then the recipe again.")
        return RecipePlan(portrait, wanted, open_first=str(path))

    def fits(self, plan: RecipePlan) -> bool:
        """True if the open model is the one ``plan``'s recipe was made with."""
        return self.model is not None and plan.model_hash in (None, self.model.weights_hash)
