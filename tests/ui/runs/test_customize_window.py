"""The customize window on a tiny model saved to tmp: sketch set, run, pause/resume, cancel, stop-and-keep, errors."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import load_model, save_model
from studio.engine.customize.config import CustomizeConfig
from studio.engine.images import save_png
from studio.engine.model.safetensors_io import card_path
from studio.ui.runs.customize_window import CustomizeWindow
from studio.ui.runs.sketch_set import SketchSetPanel
from tests.conftest import make_tiny_pair

TIMEOUT = 60_000


def bars(size: int, k: int) -> np.ndarray:
    """A page with a cross: a different bar height per ``k``."""
    img = np.full((size, size), 255, np.uint8)
    y = size // 4 + k * size // 8
    img[y : y + size // 40, size // 8 : -size // 8] = 0
    img[size // 8 : -size // 8, size // 2 : size // 2 + size // 40] = 0
    return img


@pytest.fixture
def model(tiny_model_path):
    return load_model(tiny_model_path)


@pytest.fixture
def window(qtbot, model, tmp_path):
    w = CustomizeWindow(model, portrait=np.full((32, 32, 3), 128, np.uint8), sketch_folder=tmp_path / "sketches")
    qtbot.addWidget(w)
    w.show()
    assert w.tasks.wait_idle(TIMEOUT)  # the extractor's view of the samples
    yield w
    w.close()


def two_sketches(window) -> None:
    window.canvas.set_image(bars(window.canvas.size_px, 0))
    window.sketch_set.add(bars(window.canvas.size_px, 1))


def setup_run(window, tmp_path, steps: int):
    two_sketches(window)
    window.steps.setValue(steps)
    window.batch.setValue(2)
    out = tmp_path / "custom.safetensors"
    window.output.setText(str(out))
    return out


def wait_done(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.running, timeout=TIMEOUT)


def test_titles_and_the_save_as_path_read_whole(window):
    gap = window.domain_strip.parentWidget()
    assert gap.width() >= gap.fontMetrics().horizontalAdvance(gap.title())  # "What the extractor sees", not cut
    assert window.output.cursorPosition() == 0 and window.output.toolTip() == window.output.text()


def test_opens_with_a_page_and_shows_the_extractor_view(window):
    assert len(window.sketch_set.sketches()) == 1
    assert window.domain_strip.pixmap() is not None and not window.domain_strip.pixmap().isNull()
    assert window.portrait_sketch is not None and window.portrait_sketch.shape == (32, 32)
    assert window.start_button.text() == "Start" and window.start_button.isEnabled()
    assert not window.keep_button.isEnabled() and not window.pause_button.isEnabled()


def test_a_plain_model_starts_from_the_config_defaults_and_the_edge_extractor(window):
    cfg = window.make_config()
    assert window.extractor.currentData() == "default" and cfg.extractor == "default"
    for k in ("steps", "batch", "train", "mapping_lr_multiplier"):
        assert getattr(cfg, k) == getattr(CustomizeConfig, k)


def test_a_world_model_starts_from_the_settings_its_card_recommends(qtbot, tmp_path):
    """A model trained on the world opens with the world extractor; its card's "customize" block (the benchmark's
    best settings for it, as the shipped default has) sets the rest, the hidden lr multiplier too."""
    G, D = make_tiny_pair()
    card = {"name": "world tiny", "train_config": {"data": "world"},
            "customize": {"steps": 42, "batch": 2, "mapping_lr_multiplier": 7.5}}
    w = CustomizeWindow(load_model(save_model(tmp_path / "w.safetensors", G, D, card=card)),
                        sketch_folder=tmp_path / "sketches")
    qtbot.addWidget(w)
    assert w.tasks.wait_idle(TIMEOUT)  # the world extractor's view of the samples ran without an error
    assert w.error.text() == ""
    assert w.extractor.currentData() == "world" and w.steps.value() == 42 and w.batch.value() == 2
    w.output.setText(str(tmp_path / "out.safetensors"))
    cfg = w.make_config()
    assert (cfg.extractor, cfg.steps, cfg.batch, cfg.train, cfg.mapping_lr_multiplier) == ("world", 42, 2, "mapping",
                                                                                           7.5)
    w.close()


def test_run_progress_pause_resume_and_loadable_result(qtbot, window, tmp_path, dialogs, model):
    out = setup_run(window, tmp_path, steps=3)
    offered = []
    window.model_offered.connect(lambda path, open_now: offered.append((path, open_now)))
    reports = []
    window.start_button.click()
    assert window.running and not window.settings_box.isEnabled() and window.start_button.text() == "Stop and discard"
    window.worker.progressed.connect(reports.append)
    window.pause_button.setChecked(True)  # before the first step: the worker blocks at its first check
    assert window.worker.token.paused and window.pause_button.text() == "Resume"
    qtbot.wait(400)
    assert not reports and window.running and "Paused" in window.eta.text()
    window.pause_button.setChecked(False)
    wait_done(qtbot, window)
    assert [p.done for p in reports] == [1, 2, 3]
    assert window.progress.value() == 3 and window.losses.series
    assert window.eta.text().startswith("Done: kept step 3 of 3, the closest to the sketches")
    assert window.preview.pixmap() is not None and not window.preview.pixmap().isNull()
    loaded = load_model(out)
    info = loaded.card["customized"]
    assert info["finished"] and info["steps"] == 3 and info["base_model"]["weights_hash"] == model.weights_hash
    assert offered == [(str(out), False)] and dialogs.texts("question")
    assert not out.with_suffix(".customize.pt").exists()
    assert window.output.text() != str(out)  # the next run gets a fresh name


def test_cancel_leaves_no_output(qtbot, window, tmp_path):
    out = setup_run(window, tmp_path, steps=10_000)
    window.start_button.click()
    qtbot.waitUntil(lambda: window.progress.value() >= 1, timeout=TIMEOUT)
    window.start_button.click()  # now "Stop and discard"
    wait_done(qtbot, window)
    assert not out.exists() and not card_path(out).exists() and not out.with_suffix(".customize.pt").exists()
    assert "nothing was saved" in window.eta.text()
    assert window.start_button.text() == "Start"


def test_stop_and_keep_leaves_a_loadable_model(qtbot, window, tmp_path):
    out = setup_run(window, tmp_path, steps=10_000)
    offered = []
    window.model_offered.connect(lambda path, open_now: offered.append(path))
    window.start_button.click()
    qtbot.waitUntil(lambda: window.progress.value() >= 1, timeout=TIMEOUT)
    window.keep_button.click()
    wait_done(qtbot, window)
    info = load_model(out).card["customized"]
    assert not info["finished"] and 1 <= info["steps"] < 10_000
    assert f"kept step {info['kept_step']} of {info['steps']}" in window.eta.text()  # the stopped step is scored too
    assert offered == [str(out)] and not out.with_suffix(".customize.pt").exists()


def test_blank_sketch_is_a_clear_error(qtbot, window, tmp_path):
    window.sketch_set.add_blank()
    window.canvas.set_image(bars(window.canvas.size_px, 0))
    window.output.setText(str(tmp_path / "x.safetensors"))
    window.sketch_set.list.setCurrentRow(0)  # page 1 stays blank
    window.start_button.click()
    assert not window.running
    assert window.error.text() == "sketch 1: the sketch is blank (no dark strokes found)."
    window.output.setText(str(tmp_path / "x.pt"))
    window.sketch_set.list.setCurrentRow(1)
    window.canvas.set_image(bars(window.canvas.size_px, 0))
    window.sketch_set.delete_current()
    window.sketch_set.list.setCurrentRow(0)
    window.canvas.set_image(bars(window.canvas.size_px, 0))
    window.start_button.click()
    assert not window.running and "safetensors" in window.error.text()


def test_sketch_set_autosaves_reorders_and_reloads(qtbot, tmp_path, dialogs):
    folder = tmp_path / "set"
    panel = SketchSetPanel(64, folder)
    qtbot.addWidget(panel)
    a, b = bars(64, 0), bars(64, 1)
    panel.update_current(a)
    panel.add(b)
    panel.duplicate()
    assert len(panel.sketches()) == 3 and panel.buttons["delete"].isEnabled()
    panel.move_current(-1)  # the copy of b moves above b
    panel.list.setCurrentRow(0)
    panel.delete_current()
    panel.save()
    assert sorted(p.name for p in folder.iterdir()) == ["01.png", "02.png"]
    again = SketchSetPanel(64, folder)
    qtbot.addWidget(again)
    assert len(again.sketches()) == 2 and all(np.array_equal(s, b) for s in again.sketches())
    save_png(tmp_path / "big.png", np.repeat(bars(200, 0)[..., None], 3, axis=2))
    (tmp_path / "bad.png").write_bytes(b"nope")
    again.import_files([tmp_path / "big.png", tmp_path / "bad.png"])
    assert len(again.sketches()) == 3 and again.sketches()[2].shape == (64, 64)
    shown = dialogs.texts("warning")
    assert len(shown) == 1 and "bad.png" in shown[0]


def test_selecting_a_sketch_loads_it_into_the_canvas(window):
    two_sketches(window)
    first, second = window.sketch_set.sketches()
    window.sketch_set.list.setCurrentRow(0)
    np.testing.assert_array_equal(window.canvas.image(), first)
    window.canvas.clear()  # edits on the canvas flow back into the selected page
    assert (window.sketch_set.sketches()[0] == 255).all()
    np.testing.assert_array_equal(window.sketch_set.sketches()[1], second)


def test_main_window_opens_the_window_and_takes_the_model_it_offers(qtbot, tiny_model_path, tmp_path):
    from studio.ui.window.main_window import MainWindow
    from tests.ui.helpers import TIMEOUT as WINDOW_TIMEOUT
    from tests.ui.helpers import open_and_wait

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    open_and_wait(qtbot, window, tiny_model_path)
    assert window.window_actions.customize.shortcut().toString() == "Ctrl+K"
    window.window_actions.customize.trigger()
    custom = window._customize_window
    assert custom.isVisible() and custom.model is window.model and custom.portrait is not None
    assert custom.tasks.wait_idle(TIMEOUT)
    made = tmp_path / "made.safetensors"
    made.write_bytes(tiny_model_path.read_bytes())
    with qtbot.waitSignal(window.model_changed, timeout=WINDOW_TIMEOUT):
        custom.model_offered.emit(str(made), True)
    assert window.session.recent_models()[0] == str(made) and window.model_path == str(made)
    window.close()
    assert not custom.isVisible()


def _settled(qtbot, widget) -> object:
    last = None
    for _ in range(40):
        qtbot.wait(25)
        now = widget.geometry()
        if now == last:
            return now
        last = now
    return last


def test_the_canvas_keeps_its_size_while_training_and_the_preview_fits(qtbot, window, tmp_path):
    window.resize(1346, 690)
    setup_run(window, tmp_path, steps=400)
    before = _settled(qtbot, window.canvas)
    window.start_button.click()
    qtbot.waitUntil(lambda: window.preview.pixmap() is not None and not window.preview.pixmap().isNull(),
                    timeout=TIMEOUT)
    assert _settled(qtbot, window.canvas) == before
    window.start_button.click()  # stop and discard
    wait_done(qtbot, window)
    assert _settled(qtbot, window.canvas) == before
    assert window.preview.pixmap().width() <= window.preview.contentsRect().width()
