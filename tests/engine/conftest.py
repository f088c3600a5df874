"""Fixtures shared by the portrait and recipe tests: the tiny generator and two directions for it."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine.edit.directions import Direction


@pytest.fixture
def G(tiny_pair):  # noqa: N802 - the generator, named as in the papers
    return tiny_pair[0]


@pytest.fixture
def dirs(G):
    """A PCA-like W direction and a saved W+ one."""
    rng = np.random.RandomState(0)
    return {
        "PC1": Direction("PC1", rng.randn(G.w_dim).astype(np.float32), 0.5),
        "mine": Direction("mine", rng.randn(G.num_ws, G.w_dim).astype(np.float32), 1.0, kind="saved"),
    }
