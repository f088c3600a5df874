"""Seed boxes hold every seed the engine and the CLI take (0 to 2³²−1), beyond a QSpinBox's 2³¹−1."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.engine.edit.seeds import MAX_SEED
from studio.ui.panels.seed_browser import SeedBrowser
from studio.ui.widgets.seed_box import SeedBox


def test_typed_seed_up_to_the_engines_limit(qtbot):
    box = SeedBox()
    qtbot.addWidget(box)
    got = []
    box.valueChanged.connect(got.append)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, str(MAX_SEED))
    assert got == []  # no tracking: nothing until Enter
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == MAX_SEED and got == [MAX_SEED] and box.text() == f"seed {MAX_SEED}"
    box.stepBy(1)  # clamps at the top
    box.stepBy(-2)
    assert got == [MAX_SEED, MAX_SEED - 2]
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, str(MAX_SEED + 1))  # one digit too many is refused as typed
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.value() <= MAX_SEED and box.value() == int(box.text().removeprefix("seed "))


def test_tracking_box_follows_typing(qtbot):
    box = SeedBox(tracking=True)
    qtbot.addWidget(box)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "3000000000")
    assert box.value() == 3_000_000_000


def test_seed_browser_goes_to_the_last_seed(qtbot):
    browser = SeedBrowser(cols=2, rows=2)
    qtbot.addWidget(browser)
    picked = []
    browser.seed_chosen.connect(picked.append)
    browser.goto.setValue(MAX_SEED)
    assert picked == [MAX_SEED] and browser.seeds[-1] == MAX_SEED and browser.buttons[3].isChecked()
