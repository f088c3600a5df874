"""Blend with base: weight and W blends of a customised model, latest-wins rendering, the main window's dock."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import studio.ui.panels.blend_panel as model_blend
from studio.engine import load_model, save_model
from studio.engine.edit.latents import z_from_seed
from studio.engine.images import tensor_to_images
from studio.ui.panels.blend_panel import BlendPanel

TIMEOUT = 30_000


@pytest.fixture
def custom_path(tiny_model_path, tmp_path):
    """A stand-in for a mapping-trained customization: the base with its mapping nudged, and the card saying so."""
    base = load_model(tiny_model_path)
    G = copy.deepcopy(base.G)
    with torch.no_grad():
        for p in G.mapping.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    card = {"name": "tiny-sketched", "customized": {
        "base_model": {"name": base.name, "weights_hash": base.weights_hash, "path": str(tiny_model_path)},
        "settings": {"train": "mapping"}, "finished": True}}
    return save_model(tmp_path / "custom.safetensors", G, base.D, card)


@pytest.fixture
def panel(qtbot):
    w = BlendPanel()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def render(G, seed: int, psi: float) -> np.ndarray:
    return tensor_to_images(G(z_from_seed(seed, G.z_dim), truncation_psi=psi, noise_mode="const"))[0]


def test_ends_are_the_base_and_the_custom_model(qtbot, panel, custom_path, tiny_model_path):
    custom, base = load_model(custom_path), load_model(tiny_model_path)
    panel.set_seed(5, 0.7)
    with qtbot.waitSignal(panel.rendered, timeout=TIMEOUT):
        panel.set_model(custom)
    weights, w = panel.frames
    np.testing.assert_array_equal(weights, render(custom.G, 5, 0.7))  # the slider starts at 1: the custom model
    np.testing.assert_array_equal(w, render(custom.G, 5, 0.7))
    with qtbot.waitSignal(panel.rendered, timeout=TIMEOUT):
        panel.slider.setValue(0)
    weights, w = panel.frames
    np.testing.assert_array_equal(weights, render(base.G, 5, 0.7))
    np.testing.assert_array_equal(w, render(base.G, 5, 0.7))  # mapping-only: one shared synthesis network
    assert "tiny" in panel.status.text()


def test_latest_wins_drops_stale_requests(qtbot, panel, custom_path, monkeypatch):
    rendered = []
    real = model_blend.blend_frames

    def counting(base_G, custom_G, seed, psi, alpha, *args, **kwargs):
        rendered.append(alpha)
        return real(base_G, custom_G, seed, psi, alpha, *args, **kwargs)

    monkeypatch.setattr(model_blend, "blend_frames", counting)
    with qtbot.waitSignal(panel.rendered, timeout=TIMEOUT):
        panel.set_model(load_model(custom_path))
    with qtbot.waitSignal(panel.rendered, timeout=TIMEOUT):
        for v in range(10, 60, 5):
            panel.slider.setValue(v)
    assert panel.tasks.wait_idle(TIMEOUT)
    assert rendered[-1] == 0.55 and len(rendered) <= 3  # the first, at most one in flight, then the newest


def test_plain_model_and_missing_base_are_explained(qtbot, panel, custom_path, tiny_model_path, tmp_path):
    panel.set_model(load_model(tiny_model_path))
    assert "not a customized one" in panel.status.text() and panel.frames is None
    moved = tmp_path / "elsewhere.safetensors"
    custom = load_model(custom_path)
    custom.card["customized"]["base_model"]["path"] = str(moved)
    panel.set_model(custom)
    assert panel.tasks.wait_idle(TIMEOUT)
    assert "elsewhere.safetensors" in panel.status.text() and panel.frames is None


def test_main_window_offers_the_blend_dock_for_customized_models(qtbot, custom_path, tiny_model_path):
    from studio.ui.window.main_window import MainWindow
    from tests.ui.helpers import open_and_wait

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    open_and_wait(qtbot, window, tiny_model_path)
    assert not window.window_actions.blend.isEnabled()
    open_and_wait(qtbot, window, custom_path)
    assert window.window_actions.blend.isEnabled()
    window.window_actions.blend.trigger()
    panel = window.findChild(BlendPanel)
    qtbot.waitUntil(lambda: panel.frames is not None, timeout=TIMEOUT)
    window.close()
