"""The "Train on my pictures" window on a tiny model and a folder of a few world portraits: summary and few-shot
lines, a short run to completion and the blend with its start model, pause/resume, stop-and-keep, discard,
closing while training, and a killed run resumed from Model → Recent runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from studio.engine import load_model
from studio.engine.edit.latents import z_from_seed
from studio.engine.images import tensor_to_images
from studio.engine.jobs import Progress
from studio.engine.train import preset
from studio.engine.train.runs import Run, list_runs, new_run, train_run
from studio.ui.panels.blend_panel import BlendPanel
from studio.ui.runs.train_window import TrainWindow
from tests.conftest import write_pictures
from tests.engine.train.test_train import one_thread  # noqa: F401 - the fixture applies to this module too

TIMEOUT = 60_000



@pytest.fixture
def pictures(tmp_path):
    write_pictures(tmp_path / "pictures")
    return tmp_path / "pictures"


@pytest.fixture
def model(tiny_model_path):
    return load_model(tiny_model_path)


@pytest.fixture
def window(qtbot, model, pictures):
    w = TrainWindow(model)
    qtbot.addWidget(w)
    w.show()
    w.set_folder(pictures)
    assert w.tasks.wait_idle(TIMEOUT)
    w.batch.setValue(4)
    w.snapshot_every.setValue(5)
    yield w
    w.tasks.shutdown()


def start(window, kimg: float) -> list[Progress]:
    """Start a run of ``kimg``; returns the list its reports land in."""
    window.kimg.setValue(kimg)
    window.run_panel.start_button.click()
    assert window.running
    reports: list[Progress] = []
    window.run_panel.task.progressed.connect(reports.append)
    return reports


def wait_done(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.running, timeout=TIMEOUT)
    assert window.tasks.wait_idle(TIMEOUT)


def trained(reports: list[Progress]) -> list[int]:
    return [p.done for p in reports if p.metrics]


def test_summary_contact_sheet_and_few_shot_lines(window, pictures):
    text = window.summary_label.text()
    assert text.startswith("6 usable picture(s)") and "1 file(s) skipped" in text and "broken.png" in text
    assert "6 are smaller than 32 px" not in text and "1 are cropped" in text  # the tiny model paints 32 px
    assert window.sheet.pixmap() is not None and window.sheet.pixmap().width() > 64 * 5
    plan, details = window.plan.text().splitlines(), window.plan_details.text().splitlines()
    assert plan[0] == "• 6 pictures: settings for small folders:" and plan[1].startswith("• Varied copies")
    assert details[0] == "• 6 pictures: few-shot settings (for folders under 5,000 pictures)."
    assert details[1].startswith("• DiffAugment on") and len(plan) == len(details) == 6
    assert not any(word in window.plan.text() for word in ("DiffAugment", "R1", "EMA", "kimg", "γ"))
    assert window.plan.toolTip() == window.plan_details.text() and not window.plan_details.isVisible()
    window.advanced.button.click()
    assert window.plan_details.isVisible()
    window.few_shot.setChecked(False)
    assert window.plan_details.text() == "• Few-shot settings off: the cpu64 recipe as it is."
    window.from_scratch.setChecked(True)
    window.few_shot.setChecked(True)
    window.preset.setCurrentIndex(window.preset.findData("default128"))
    assert "= 0.819:" in window.plan_details.text() and "6 are smaller than 128 px" in window.summary_label.text()
    assert "Shorter side: 6 under 64 px." in window.summary_label.text()


def test_a_class_conditional_model_is_not_offered_as_the_warm_start(qtbot, tiny_cond_model_path, pictures):
    w = TrainWindow(load_model(tiny_cond_model_path))
    qtbot.addWidget(w)
    assert not w.from_model.isEnabled() and w.from_scratch.isChecked()
    assert "studio train --cond --init" in w.from_model.toolTip()
    w.set_folder(pictures)
    assert w.tasks.wait_idle(TIMEOUT)
    assert w.make_config()[0].init is None
    w.tasks.shutdown()


def test_a_short_run_finishes_and_blends_with_its_start_model(qtbot, window, model, pictures, dialogs):
    offered = []
    window.model_offered.connect(lambda path, now: offered.append((path, now)))
    reports = start(window, 0.1)  # 25 steps of 4 pictures
    lines = []
    window.run_panel.task.progressed.connect(lambda p: lines.append(window.run_panel.eta.text()))
    assert not window.setup.isEnabled() and window.run_panel.start_button.text() == "Stop and discard"
    assert window.name.text() == pictures.name  # greyed out, the Name field says the run's name, not a hint
    wait_done(qtbot, window)
    assert trained(reports) == list(range(1, 26))
    assert window.run_panel.progress.value() == 25 and window.run_panel.losses.series
    assert window.run_panel.preview.pixmap() is not None and "Done: saved" in window.run_panel.eta.text()
    assert "Step 25 of 25 · " in lines[-1] and " images/s · about 0m 00s left" in lines[-1]
    path = window.result
    card = load_model(path).card
    info = card["trained_on_pictures"]
    assert info["folder"] == str(pictures) and info["pictures"] == 6 and info["finished"] and info["kimg"] == 0.1
    assert info["start_model"]["weights_hash"] == model.weights_hash and card["name"] == "pictures"
    assert offered == [(str(path), False)] and "blended" in dialogs.texts("question")[0]
    assert window.setup.isEnabled() and window.active is None  # the next Start makes a new run

    panel = BlendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_seed(3, 0.7)
    with qtbot.waitSignal(panel.rendered, timeout=TIMEOUT):
        panel.set_model(load_model(path))
    with qtbot.waitSignal(panel.rendered, timeout=TIMEOUT):
        panel.slider.setValue(0)
    start_image = tensor_to_images(model.G(z_from_seed(3, model.G.z_dim), truncation_psi=0.7, noise_mode="const"))[0]
    np.testing.assert_array_equal(panel.frames[0], start_image)
    assert panel.frames[1] is None and "mapping-trained" in panel.w_view.text()  # every weight was trained
    panel.shutdown()


def test_pause_blocks_training_until_resumed(qtbot, window):
    reports = start(window, 0.1)
    window.run_panel.pause_button.setChecked(True)  # before the first step: the run blocks at its first check
    assert window.run_panel.task.token.paused and window.run_panel.pause_button.text() == "Resume"
    qtbot.wait(500)
    assert not trained(reports) and window.running and "Paused" in window.run_panel.eta.text()
    window.run_panel.pause_button.setChecked(False)
    wait_done(qtbot, window)
    assert trained(reports)[-1] == 25


def test_stop_and_keep_publishes_what_was_trained_and_start_continues(qtbot, window, dialogs):
    offered = []
    window.model_offered.connect(lambda path, now: offered.append(path))
    start(window, 1000.0)
    qtbot.waitUntil(lambda: window.run_panel.progress.value() >= 2, timeout=TIMEOUT)
    window.run_panel.keep_button.click()
    wait_done(qtbot, window)
    run = Run.load(window.active.folder)
    assert run.status == "stopped" and run.step >= 2 and offered == [run.model]
    info = load_model(run.model).card["trained_on_pictures"]
    assert not info["finished"] and "kept" in window.run_panel.eta.text()
    reports = start(window, 1000.0)  # Start continues the same run from its checkpoint
    qtbot.waitUntil(lambda: len(trained(reports)) >= 1, timeout=TIMEOUT)
    assert trained(reports)[0] == run.step + 1 and window.active.folder == run.folder
    window.run_panel.stop(keep=False)
    wait_done(qtbot, window)
    assert not run.folder.exists() and window.active is None


def test_stop_and_discard_deletes_the_run(qtbot, window):
    start(window, 1000.0)
    qtbot.waitUntil(lambda: window.run_panel.progress.value() >= 1, timeout=TIMEOUT)
    folder = window.active.folder
    window.run_panel.start_button.click()  # now "Stop and discard"
    wait_done(qtbot, window)
    assert not folder.exists() and list_runs() == [] and "discarded" in window.run_panel.eta.text()
    assert window.run_panel.start_button.text() == "Start" and window.setup.isEnabled()


def test_closing_while_training_asks_and_keeps(qtbot, window, dialogs):
    offered = []
    window.model_offered.connect(lambda path, now: offered.append(path))
    start(window, 1000.0)
    qtbot.waitUntil(lambda: window.run_panel.progress.value() >= 1, timeout=TIMEOUT)
    dialogs.answer = dialogs.answer.No
    window.close()
    assert window.isVisible() and window.running and "Stop training and close?" in dialogs.texts("question")[0]
    dialogs.answer = dialogs.answer.Yes
    window.close()
    assert not window.isVisible() and not window.running
    run = list_runs()[0]
    assert run.status == "stopped" and offered == [run.model] and run.step >= 1


def test_killed_run_resumes_from_recent_runs(qtbot, tiny_model_path, model, pictures):
    from tests.ui.helpers import opened_window

    cfg = preset("cpu64", data=str(pictures), batch=4, steps=6, checkpoint_every=2, sample_every=2, workers=0)
    run = new_run("killed", replace(cfg, xflip=True), 6, "cpu64", start=model, few_shot=["a line"])

    def killed(p: Progress) -> None:
        if p.done == 3:
            raise RuntimeError("the process was killed")

    with pytest.raises(RuntimeError):
        train_run(run, progress=killed)

    w = opened_window(qtbot, tiny_model_path)
    w.window_actions.runs_menu.aboutToShow.emit()
    entries = [a for a in w.window_actions.runs_menu.actions() if a.isEnabled()]
    assert [a.text() for a in entries] == ["killed — 0.0 of 0.0 kimg, interrupted"]
    entries[0].trigger()
    train = w._train_window
    assert train.isVisible() and train.active.folder == run.folder and not train.setup.isEnabled()
    assert "Interrupted at step 2 of 6" in train.run_panel.eta.text() and train.plan_details.text() == "• a line"
    assert train.tasks.wait_idle(TIMEOUT)  # the folder's summary
    train.run_panel.start_button.click()
    reports: list[Progress] = []
    train.run_panel.task.progressed.connect(reports.append)
    wait_done(qtbot, train)
    assert trained(reports) == [3, 4, 5, 6] and Run.load(run.folder).status == "finished"
    assert w.session.recent_models()[0] == Run.load(run.folder).model  # the model joined the picker
    w.window_actions.train.trigger()  # the finished window is reused for a new run
    assert w._train_window is train
    w.window_actions.runs_menu.aboutToShow.emit()
    with qtbot.waitSignal(w.model_changed, timeout=TIMEOUT):
        w.window_actions.runs_menu.actions()[0].trigger()  # a finished run opens its model
    assert w.model_path == Run.load(run.folder).model and w.window_actions.blend.isEnabled()
    w.close()


def test_the_studio_stays_open_while_the_user_keeps_training(qtbot, tiny_model_path, pictures, dialogs):
    from tests.ui.helpers import opened_window

    w = opened_window(qtbot, tiny_model_path)
    train = w.open_train_window()
    assert train.model is w.model and train.from_model.isChecked()
    train.set_folder(pictures)
    assert train.tasks.wait_idle(TIMEOUT)
    train.batch.setValue(4)
    start(train, 1000.0)
    qtbot.waitUntil(lambda: train.run_panel.progress.value() >= 1, timeout=TIMEOUT)
    assert w.open_train_window() is train  # Model → Train on my pictures… shows the running window
    dialogs.answer = dialogs.answer.No
    w.close()
    assert w.isVisible() and train.running
    dialogs.answer = dialogs.answer.Yes
    w.close()
    assert not w.isVisible() and not train.running and list_runs()[0].status == "stopped"
