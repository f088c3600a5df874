"""The window on the shipped default model, as `make run` opens it: a portrait shows and a slider edits it."""

from __future__ import annotations

import numpy as np

from tests.ui.helpers import opened_window, settle, shown


def test_window_opens_on_the_default_model_and_edits_it(qtbot):
    w = opened_window(qtbot, "default")
    before = settle(qtbot, w)
    assert before.std() > 5
    w.doc.commit(w.doc.portrait.with_slider("PC1", 2.0), "PC1")
    after = settle(qtbot, w)
    assert np.abs(after.astype(int) - before.astype(int)).mean() > 1
    assert shown(w).shape[:2] == (w.model.G.resolution, w.model.G.resolution)
