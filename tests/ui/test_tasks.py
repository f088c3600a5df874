"""The task runner: one task per owner (a superseded one never lands), latest-only requests, per-task
Cancel in the status bar, errors as sentences, Start ⇄ Cancel controls, and the idle signal."""

from __future__ import annotations

import threading

import pytest

from studio.engine.jobs import Progress
from studio.ui.tasks import TaskRunner
from studio.ui.widgets.run_controls import RunControls
from studio.ui.widgets.task_bar import TaskBar

TIMEOUT = 10_000


def gated(gate: threading.Event, value, progress, token):
    """A job that reports once, then waits for ``gate`` (checking cancel), then returns ``value``."""
    progress(Progress(1, 2, f"working on {value}"))
    while not gate.wait(0.01):
        token.check()
    return value


def fails(progress, token):
    raise ValueError("picture.png: not a picture.")


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    r.shutdown()


def test_a_new_task_of_the_owner_detaches_the_old_one(qtbot, runner):
    gate, seen, ended = threading.Event(), [], []
    first = runner.run(gated, gate, "old", title="Job", owner="o", on_done=seen.append, on_progress=seen.append,
                       on_end=lambda: ended.append("old"))
    second = runner.run(gated, gate, "new", title="Job", owner="o", on_done=seen.append,
                        on_end=lambda: ended.append("new"))
    assert runner.task("o") is second and not first.attached and first.token.cancelled
    gate.set()
    assert runner.wait_idle(TIMEOUT)
    assert seen == ["new"] and ended == ["new"]  # nothing of the first one landed, not even its progress
    assert not runner.busy


def test_latest_only_keeps_the_running_task_and_runs_only_the_newest_request(qtbot, runner):
    gates = [threading.Event() for _ in range(4)]
    done = []
    first = runner.run(gated, gates[0], 0, title="Frame", owner="f", latest_only=True, on_done=done.append)
    for i in (1, 2, 3):
        assert runner.run(gated, gates[i], i, title="Frame", owner="f", latest_only=True, on_done=done.append) is None
    assert runner.waiting("f") and runner.task("f") is first and not first.token.cancelled
    for g in gates:
        g.set()
    assert runner.wait_idle(TIMEOUT)
    assert done == [0, 3] and not runner.waiting("f")


def test_each_task_has_its_own_cancel_in_the_task_bar(qtbot, runner):
    bar = TaskBar(runner)
    qtbot.addWidget(bar)
    gate, outcomes = threading.Event(), []
    runner.run(gated, gate, "a", title="First", owner="a", on_done=outcomes.append,
               on_cancel=lambda: outcomes.append("a cancelled"))
    runner.run(gated, gate, "b", title="Second", owner="b", on_done=outcomes.append)
    assert [r.task.title for r in bar.rows] == ["First", "Second"]
    qtbot.waitUntil(lambda: "working on a" in bar.row("First").label.text(), timeout=TIMEOUT)
    bar.row("First").cancel_button.click()
    qtbot.waitUntil(lambda: outcomes == ["a cancelled"], timeout=TIMEOUT)
    assert runner.task("b") is not None and [r.task.title for r in bar.rows] == ["Second"]
    gate.set()
    assert runner.wait_idle(TIMEOUT)
    assert outcomes == ["a cancelled", "b"] and not bar.rows


def test_errors_arrive_as_their_sentence(qtbot, runner):
    errors = []
    with qtbot.waitSignal(runner.idle, timeout=TIMEOUT):
        runner.run(fails, title="Reading", on_error=errors.append)
    assert errors == ["picture.png: not a picture."]


def test_a_failed_write_arrives_as_one_sentence_naming_the_file(qtbot, runner, tmp_path):
    (tmp_path / "a file").write_text("x")
    target = tmp_path / "a file" / "out.txt"

    def job(progress, token):
        with open(target, "w") as f:  # a library's plain open(), not our atomic writer
            f.write("x")

    errors = []
    with qtbot.waitSignal(runner.idle, timeout=TIMEOUT):
        runner.run(job, title="Writing", on_error=errors.append)
    assert errors == [f"{target}: a part of the path is a file, not a folder."]  # not "[Errno 20] ..."


def test_stop_waits_and_shutdown_refuses_new_tasks(qtbot, runner):
    gate, seen = threading.Event(), []
    task = runner.run(gated, gate, 1, title="Job", owner="o", on_done=seen.append, on_cancel=lambda: seen.append("c"))
    runner.stop("o")
    assert not task.running and runner.task("o") is None and not runner.busy
    runner.shutdown()
    assert runner.run(gated, gate, 2, title="Job", owner="o") is None
    qtbot.wait(50)
    assert seen == []


def test_run_controls_turn_start_into_cancel_while_the_task_runs(qtbot, runner):
    controls = RunControls("Search", "fa6s.wand-magic-sparkles")
    qtbot.addWidget(controls)
    gate, cancelled = threading.Event(), []
    controls.start_requested.connect(lambda: controls.attach(runner.run(
        gated, gate, 1, title="Search", owner="s", on_cancel=lambda: cancelled.append(True))))
    controls.button.click()
    assert controls.running and controls.button.text() == "Cancel"
    qtbot.waitUntil(lambda: controls.progress.value() == 1 and controls.progress.maximum() == 2, timeout=TIMEOUT)
    controls.button.click()
    assert runner.wait_idle(TIMEOUT)
    assert cancelled == [True] and not controls.running and controls.button.text() == "Search"
