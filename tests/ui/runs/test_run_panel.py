"""A run's face tells one story: the step it is paused at, the chart and the status bar agree; the time left
settles rather than swinging; a stopped run's bar is empty."""

from __future__ import annotations

import time

from studio.engine.jobs import Progress
from studio.ui.runs.run_panel import RunPanel, StepClock, format_eta
from studio.ui.tasks import TaskRunner

TIMEOUT = 20_000


def test_time_left_settles_over_slow_and_fast_steps():
    clock, t, estimates = StepClock(), 0.0, []
    for step in range(1, 61):
        t += 3.0 if step % 5 == 0 else 1.0  # a preview every fifth step takes three times as long
        clock.tick(t, step)
        if step >= 10:
            estimates.append(clock.left(300))
    truth = [(300 - s) * 1.4 for s in range(10, 61)]
    assert max(abs(e - r) / r for e, r in zip(estimates, truth)) < 0.15


def test_time_left_is_said_without_false_precision():
    assert format_eta(153) == "2m 30s" and format_eta(224) == "3m 40s" and format_eta(1500) == "25m"
    assert format_eta(7260) == "2h 01m"


def _steps(progress, token, total: int = 400) -> None:
    for step in range(1, total + 1):
        token.check()  # blocks while paused, as the trainers do between steps
        time.sleep(0.01)
        progress(Progress(step, total, f"step {step}/{total}", metrics={"loss_G": 1.0 / step}))


def test_paused_step_chart_and_status_agree_and_a_stop_empties_the_bar(qtbot):
    panel, runner = RunPanel("hint"), TaskRunner()
    qtbot.addWidget(panel)
    task = runner.run(_steps, title="Training", owner="train")
    panel.attach(task, 400)
    qtbot.waitUntil(lambda: task.last.done >= 3, timeout=TIMEOUT)
    panel.pause_button.click()
    qtbot.wait(200)  # the step in flight lands after the click
    step = task.last.done
    assert panel.eta.text() == f"Paused at step {step:,} of 400"
    assert panel.losses.series["loss_G"][-1][0] == step == panel.progress.value()
    panel.stop(keep=False)
    qtbot.waitUntil(lambda: not panel.running, timeout=TIMEOUT)
    assert panel.progress.value() <= 0 and runner.wait_idle(TIMEOUT)
