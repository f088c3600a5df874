"""The studio's small widgets on their own: document undo, canvas zoom/compare, seed browser, preview."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt

from studio.engine.edit.portrait import Portrait
from studio.engine.model.loaded import LoadedModel
from studio.ui.canvas.canvas import Canvas
from studio.ui.document import PortraitDocument
from studio.ui.panels.seed_browser import SeedBrowser
from studio.ui.theme import qimage_to_array
from studio.ui.window.preview import Preview, make_backend


def test_document_commit_undo_redo_and_preview(qtbot):
    doc = PortraitDocument()
    seen, previews = [], []
    doc.changed.connect(seen.append)
    doc.previewed.connect(previews.append)
    p1 = doc.portrait.with_psi(0.5)
    doc.preview(p1)
    assert previews == [p1] and doc.undo_stack.count() == 0 and doc.portrait != p1
    doc.commit(p1, "psi")
    doc.commit(p1, "psi again")  # no change: no step, but a redraw
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "psi"
    doc.undo_stack.undo()
    assert doc.portrait == Portrait() and seen[-1] == Portrait()
    doc.replace(Portrait.from_seed(3))
    assert doc.undo_stack.count() == 0 and doc.portrait.base.seed == 3


def test_canvas_zoom_fit_and_divider(qtbot):
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.set_image(np.zeros((64, 64, 3), np.uint8), np.full((64, 64, 3), 255, np.uint8))
    assert canvas.fit and canvas.zoom == pytest.approx((300 - 16) / 64)
    canvas.zoom_actual()
    assert canvas.zoom == 1.0 and canvas.target_rect().width() == 64
    canvas.zoom_in()
    assert canvas.zoom == pytest.approx(1.25)
    canvas.zoom_fit()
    canvas.set_compare(True)
    rect = canvas.target_rect()
    mid = QPoint(int(rect.center().x()), int(rect.center().y()))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=mid)
    qtbot.mouseMove(canvas, QPoint(int(rect.left() + rect.width() * 0.25), mid.y()))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=mid)
    assert canvas.divider == pytest.approx(0.25, abs=0.02)
    shot = qimage_to_array(canvas.grab().toImage())
    x_before = int(rect.left() + rect.width() * 0.1)
    x_after = int(rect.left() + rect.width() * 0.9)
    assert shot[mid.y(), x_before].min() > 200 and shot[mid.y(), x_after].max() < 50


def test_low_level_frames_are_drawn_at_model_size(qtbot):
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resolution = 64
    canvas.set_image(np.zeros((16, 16, 3), np.uint8))
    canvas.zoom_actual()
    assert canvas.target_rect().width() == 64


def test_seed_browser_pages_and_picks(qtbot, tiny_pair):
    browser = SeedBrowser(cols=2, rows=2)
    qtbot.addWidget(browser)
    picked = []
    browser.seed_chosen.connect(picked.append)
    browser.set_model(tiny_pair[0], 0.7)
    assert browser.tasks.wait_idle(20_000)
    browser.next_page()
    browser.previous_page()
    browser.previous_page()  # clamps at 0
    assert browser.first == 0
    browser.go_to(9)
    assert browser.tasks.wait_idle(20_000)
    assert browser.first == 8 and picked == [9] and browser.buttons[1].isChecked()
    browser.random_page()
    assert browser.first % 4 == 0
    browser.shutdown()


def test_preview_delivers_latest_frame_on_ui_thread(qtbot, tiny_pair):
    G = tiny_pair[0]
    model = LoadedModel(G, None, None, "test", {"name": "t"})
    preview = Preview(make_backend(model, prefer="torch"))
    frames = []
    preview.frame_ready.connect(frames.append)
    ws = G.mapping(torch.randn(1, G.z_dim))
    try:
        with qtbot.waitSignal(preview.frame_ready, timeout=20_000):
            preview.submit(ws, level="full", tag="a")
        assert frames[-1].image.shape == (1, 32, 32, 3) and frames[-1].tag == "a"
        for i in range(5):
            preview.submit(ws, level="16px", tag=i)
        qtbot.waitUntil(lambda: frames[-1].tag == 4, timeout=20_000)
        assert frames[-1].image.shape[1] == 16 and frames[-1].level == "16px"
        assert preview.backend_name
    finally:
        preview.close()


def test_preview_passes_noise_maps_to_the_renderer(qtbot, tiny_pair):
    G = tiny_pair[0]
    backend = make_backend(LoadedModel(G, None, None, "test", {"name": "t"}), prefer="torch")
    preview = Preview(backend)
    frames = []
    preview.frame_ready.connect(frames.append)
    ws = G.mapping(torch.randn(1, G.z_dim)).detach().numpy()
    maps = {"b32.conv0": np.random.default_rng(0).standard_normal((32, 32)).astype(np.float32) * 3}
    try:
        with pytest.raises(ValueError, match="'b32.conv1' must have shape"):
            preview.submit(ws, noise={"b32.conv1": np.zeros((8, 8))})
        with qtbot.waitSignal(preview.frame_ready, timeout=20_000):
            preview.submit(ws, tag="detail", noise=maps)
        assert frames[-1].tag == "detail" and np.array_equal(frames[-1].image, backend.render(ws, noise=maps))
        assert not np.array_equal(frames[-1].image, backend.render(ws))
    finally:
        preview.close()
