"""The mask painter on the canvas: mouse strokes, keep mode, exact per-stroke undo, fill, PNG round trip, tools."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.engine.images import save_png
from studio.ui.canvas.canvas import Canvas
from studio.ui.canvas.mask_painter import MaskPainter
from studio.ui.canvas.mask_tools import MaskTools

RES = 64


@pytest.fixture
def painter(qtbot) -> MaskPainter:
    canvas = Canvas()
    canvas.resolution = RES
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.show()
    p = MaskPainter(canvas, resolution=RES)
    p.set_active(True)
    p.brush.radius, p.brush.hardness, p.brush.opacity = 4.0, 1.0, 1.0
    return p


def test_mouse_stroke_paints_colour_and_weight_where_dragged(qtbot, painter):
    rect = painter.canvas.target_rect()
    at = lambda x, y: QPoint(round(rect.left() + (x + 0.5) * rect.width() / RES),
                             round(rect.top() + (y + 0.5) * rect.height() / RES))
    painter.brush.colour = (40, 80, 230)
    painter.brush.opacity = 0.5
    qtbot.mousePress(painter, Qt.MouseButton.LeftButton, pos=at(10, 20))
    qtbot.mouseMove(painter, at(30, 20))
    qtbot.mouseRelease(painter, Qt.MouseButton.LeftButton, pos=at(30, 20))
    paint = painter.paint_mask()
    assert paint.shape == (RES, RES, 4) and paint.dtype == np.uint8
    assert tuple(paint[20, 20]) == (40, 80, 230, 128)  # middle of the stroke: covered once, not built up
    assert paint[20, 9:32, 3].min() > 0 and paint[40, :, 3].max() == 0
    assert not painter.keep_mask().any()
    assert painter.undo_stack.count() == 1


def test_keep_mode_writes_the_keep_mask_only(painter):
    painter.brush.keep = True
    painter.begin_stroke(32, 32)
    painter.extend_stroke(40, 32)
    painter.end_stroke()
    keep = painter.keep_mask()
    assert keep.shape == (RES, RES) and keep[32, 36] == 255 and keep[0, 0] == 0
    assert not painter.paint_mask().any()


def test_undo_restores_exactly_and_redo_repeats(painter):
    painter.brush.hardness = 0.3
    painter.begin_stroke(10, 10)
    painter.extend_stroke(50, 40)
    painter.end_stroke()
    first = painter.paint_mask()
    painter.brush.colour, painter.brush.opacity = (230, 40, 40), 0.7
    painter.begin_stroke(20, 40)
    painter.extend_stroke(40, 10)
    painter.end_stroke()
    second = painter.paint_mask()
    painter.brush.tool, painter.brush.opacity = "eraser", 1.0
    painter.begin_stroke(30, 25)
    painter.end_stroke()
    assert painter.paint_mask()[25, 30, 3] == 0
    stack = painter.undo_stack
    stack.undo()
    np.testing.assert_array_equal(painter.paint_mask(), second)
    stack.undo()
    np.testing.assert_array_equal(painter.paint_mask(), first)
    stack.undo()
    assert not painter.paint_mask().any()
    stack.redo()
    stack.redo()
    np.testing.assert_array_equal(painter.paint_mask(), second)


def test_escape_drops_the_stroke_in_progress(painter):
    painter.begin_stroke(10, 10)
    painter.extend_stroke(30, 30)
    painter.abort_stroke()
    assert not painter.paint_mask().any() and painter.undo_stack.count() == 0


def test_fill_floods_the_portraits_colour_region_and_the_mask(painter):
    picture = np.zeros((RES, RES, 3), np.uint8)
    picture[:, 32:] = (200, 180, 90)  # right half a different colour
    painter.set_portrait(picture)  # what the window hands it: the portrait's full-quality render
    painter.brush.tool, painter.brush.colour = "fill", (10, 200, 30)
    painter.begin_stroke(50, 5)
    paint = painter.paint_mask()
    assert (paint[:, 32:, 3] == 255).all() and not paint[:, :32].any()
    assert tuple(paint[3, 40, :3]) == (10, 200, 30)
    # fill by mask: the still unpainted left half
    painter.brush.fill_by, painter.brush.colour = "mask", (0, 0, 255)
    painter.begin_stroke(5, 5)
    paint = painter.paint_mask()
    assert (paint[:, :32, 2] == 255).all() and tuple(paint[3, 40, :3]) == (10, 200, 30)
    painter.undo_stack.undo()
    assert not painter.paint_mask()[:, :32].any()


def test_export_import_round_trip_and_bad_file(tmp_path, painter):
    painter.brush.colour, painter.brush.opacity = (240, 140, 180), 0.6
    painter.begin_stroke(20, 20)
    painter.end_stroke()
    painter.brush.keep = True
    painter.begin_stroke(40, 40)
    painter.end_stroke()
    paint, keep = painter.paint_mask(), painter.keep_mask()
    painter.export_mask(tmp_path / "paint.png", keep=False)
    painter.export_mask(tmp_path / "keep.png", keep=True)
    painter.clear(False)
    painter.clear(True)
    assert not painter.paint_mask().any() and not painter.keep_mask().any()
    painter.import_mask(tmp_path / "paint.png", keep=False)
    painter.import_mask(tmp_path / "keep.png", keep=True)
    np.testing.assert_array_equal(painter.paint_mask(), paint)
    np.testing.assert_array_equal(painter.keep_mask(), keep)
    painter.undo_stack.undo()
    assert not painter.keep_mask().any()
    grey = np.zeros((RES, RES, 3), np.uint8)
    grey[:8] = 255  # an opaque black/white picture: white means keep
    save_png(tmp_path / "bw.png", grey)
    painter.import_mask(tmp_path / "bw.png", keep=True)
    assert painter.keep_mask()[:8].min() == 255 and painter.keep_mask()[8:].max() == 0
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="broken.png"):
        painter.import_mask(tmp_path / "broken.png", keep=False)


def test_tools_panel_shortcut_actions_drive_the_brush(qtbot, painter):
    tools = MaskTools(painter)
    qtbot.addWidget(tools)
    tools.set_resolution(128)
    assert painter.resolution == 128 and painter.brush.radius == 4
    tools.tool_actions["eraser"].trigger()
    assert painter.brush.tool == "eraser"
    tools.keep_action.trigger()
    assert painter.brush.keep
    size = tools.brush_size.value()
    next(a for a in tools.actions() if a.shortcut().toString() == "]").trigger()
    assert tools.brush_size.value() > size and painter.brush.radius == tools.brush_size.value()
    tools.show_action.trigger()
    assert not painter.show_masks
    tools.set_colour(tools.palette().window().color())
    assert painter.brush.tool == "brush" and not painter.brush.keep  # picking a colour means painting it
