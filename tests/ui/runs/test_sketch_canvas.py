"""The sketch canvas driven with real mouse events, offscreen: strokes, undo/redo, eraser, lines, files."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.engine.images import ImageError, save_png
from studio.ui.runs.sketch_canvas import HISTORY, SketchCanvas, sketch_toolbar, working_size

L = Qt.MouseButton.LeftButton


@pytest.fixture
def canvas(qtbot) -> SketchCanvas:
    c = SketchCanvas(512)
    qtbot.addWidget(c)
    c.resize(520, 520)  # the page maps 1:1 onto widget pixels (4 px margin)
    c.show()
    return c


def stroke(qtbot, canvas, points, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mousePress(canvas, L, modifier, QPoint(*points[0]))
    for pt in points[1:]:
        qtbot.mouseMove(canvas, QPoint(*pt))
    qtbot.mouseRelease(canvas, L, modifier, QPoint(*points[-1]))


def ink_at(img: np.ndarray, x: int, y: int) -> bool:
    """Page pixel under widget point (x, y)."""
    return img[y - 4, x - 4] < 128


def test_working_size():
    assert working_size(32) == 512 and working_size(512) == 1024 and working_size(2048) == 2048


def test_stroke_inks_and_undo_redo_restore_exactly(qtbot, canvas):
    blank = canvas.image()
    assert blank.shape == (512, 512) and blank.dtype == np.uint8 and (blank == 255).all()
    stroke(qtbot, canvas, [(100, 100), (200, 100), (300, 150)])
    drawn = canvas.image()
    assert ink_at(drawn, 150, 100) and ink_at(drawn, 250, 125) and not ink_at(drawn, 150, 300)
    stroke(qtbot, canvas, [(100, 300), (300, 300)])
    assert canvas.can_undo and not canvas.can_redo
    canvas.undo()
    np.testing.assert_array_equal(canvas.image(), drawn)  # one stroke, one step
    canvas.undo()
    np.testing.assert_array_equal(canvas.image(), blank)
    canvas.redo()
    np.testing.assert_array_equal(canvas.image(), drawn)


def test_eraser_and_tool_shortcuts(qtbot, canvas):
    bar = sketch_toolbar(canvas)
    stroke(qtbot, canvas, [(100, 200), (400, 200)])
    bar.eraser_action.trigger()
    assert canvas.tool == "eraser"
    stroke(qtbot, canvas, [(250, 170), (250, 230)])
    img = canvas.image()
    assert ink_at(img, 150, 200) and not ink_at(img, 250, 200)
    bar.pen_action.trigger()
    assert canvas.tool == "pen"
    width = canvas.pen_width
    bar.width_spin.stepUp()
    assert canvas.pen_width == width + 1
    bar.undo_action.trigger()
    assert ink_at(canvas.image(), 250, 200)


def test_shift_drag_draws_one_straight_line(qtbot, canvas):
    stroke(qtbot, canvas, [(100, 100), (300, 400), (400, 300), (400, 100)], Qt.KeyboardModifier.ShiftModifier)
    img = canvas.image()
    assert ink_at(img, 250, 100) and ink_at(img, 150, 100)  # on the line from the press to the release
    assert not ink_at(img, 300, 400) and not ink_at(img, 400, 300)  # the rubber band's old ends are gone
    canvas.undo()
    assert (canvas.image() == 255).all()


def test_history_is_bounded(qtbot, canvas):
    for i in range(HISTORY + 5):
        canvas.begin_stroke(canvas.to_page(QPoint(10 + i, 10).toPointF()))
        canvas.end_stroke()
    undone = 0
    while canvas.can_undo:
        canvas.undo()
        undone += 1
    assert undone == HISTORY


def test_clear_is_undoable(qtbot, canvas):
    stroke(qtbot, canvas, [(100, 100), (200, 200)])
    drawn = canvas.image()
    canvas.clear()
    assert (canvas.image() == 255).all()
    canvas.undo()
    np.testing.assert_array_equal(canvas.image(), drawn)


def test_export_import_round_trip_and_bad_file(qtbot, canvas, tmp_path):
    stroke(qtbot, canvas, [(100, 100), (400, 350)])
    drawn = canvas.image()
    canvas.export_png(tmp_path / "s.png")
    canvas.clear()
    canvas.import_png(tmp_path / "s.png")
    np.testing.assert_array_equal(canvas.image(), drawn)
    other = np.full((100, 200, 3), 255, np.uint8)  # a wide RGB picture: centre-cropped and scaled to the page
    other[40:60, 90:110] = 0
    save_png(tmp_path / "o.png", other)
    canvas.import_png(tmp_path / "o.png")
    img = canvas.image()
    assert img.shape == (512, 512) and img[256, 256] < 128 and img[20, 20] == 255
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ImageError, match="bad.png"):
        canvas.import_png(tmp_path / "bad.png")


def test_onion_skin_is_not_part_of_the_sketch(qtbot, canvas):
    portrait = np.zeros((32, 32, 3), np.uint8)
    canvas.set_onion(portrait)
    canvas.set_onion_opacity(0.5)
    canvas.repaint()
    assert (canvas.image() == 255).all()
    shown = canvas.grab().toImage().pixelColor(260, 260)
    assert 100 < shown.red() < 160  # half-opaque black over white paper
    canvas.set_onion_visible(False)
    canvas.repaint()
    assert canvas.grab().toImage().pixelColor(260, 260).red() == 255
