"""The masks without Qt: strokes as one edit with the changed box's old and new pixels, abort, fills on the
mask's own data or a guide image, whole-mask edits and PNG files."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine.images import ImageError, save_png
from studio.engine.masks import Brush, Masks, flood_region

RES = 64


def test_a_stroke_is_one_edit_holding_its_box_before_and_after():
    masks, brush = Masks(RES), Brush(colour=(40, 80, 230), radius=4, hardness=1.0, opacity=0.5)
    first = masks.begin_stroke(brush, 10, 20)
    moved = masks.extend_stroke(30, 20)
    assert first is not None and moved is not None and masks.stroking
    brush.colour = (255, 0, 0)  # a brush change mid-stroke does not change the stroke
    masks.extend_stroke(30, 21)
    edit = masks.commit_stroke()
    assert not masks.stroking and edit.text == "Paint colour stroke" and not edit.keep
    ys, xs = edit.box
    assert ys.start <= 16 and ys.stop >= 25 and xs.start <= 6 and xs.stop >= 35 and xs.stop <= RES
    assert tuple(masks.paint[20, 20]) == (40, 80, 230, 128)  # covered twice in one stroke, not built up
    assert not edit.old.any() and np.array_equal(edit.new, masks.paint[edit.box])
    masks.put(edit.keep, edit.box, edit.old)  # what undo does
    assert not masks.paint.any()
    masks.put(edit.keep, edit.box, edit.new)  # and redo
    assert masks.paint[20, 20, 3] == 128


def test_abort_restores_the_mask_and_records_nothing():
    masks = Masks(RES)
    masks.begin_stroke(Brush(keep=True), 10, 10)
    masks.extend_stroke(30, 30)
    assert masks.keep.any()
    box = masks.abort_stroke()
    assert box is not None and not masks.keep.any() and masks.commit_stroke() is None


def test_eraser_takes_weight_away():
    masks = Masks(RES)
    masks.fill(Brush(colour=(1, 2, 3), fill_by="mask"), 0, 0)
    masks.begin_stroke(Brush(tool="eraser", radius=3, hardness=1.0), 32, 32)
    edit = masks.commit_stroke()
    assert edit.text == "Erase colour stroke" and masks.paint[32, 32, 3] == 0 and masks.paint[0, 0, 3] == 255


def test_fill_floods_the_masks_own_region():
    masks = Masks(RES)
    masks.keep[:, 30:34] = 255  # a wall in the keep mask
    edit = masks.fill(Brush(keep=True, fill_by="mask", tolerance=10), 5, 5)
    assert edit.text == "Fill keep" and (masks.keep[:, :30] == 255).all() and not masks.keep[:, 34:].any()
    assert edit.box == (slice(0, RES), slice(0, 30))
    assert masks.fill(Brush(), RES, 0) is None  # outside: nothing


def test_fill_with_a_guide_floods_its_colour_region():
    masks = Masks(RES)
    picture = np.zeros((RES, RES, 3), np.uint8)
    picture[:, 32:] = (200, 180, 90)
    masks.fill(Brush(colour=(10, 200, 30)), 50, 5, guide=picture)
    assert (masks.paint[:, 32:, 3] == 255).all() and not masks.paint[:, :32].any()
    assert tuple(masks.paint[3, 40, :3]) == (10, 200, 30)
    with pytest.raises(ValueError, match="does not fit"):
        masks.fill(Brush(), 1, 1, guide=picture[:10])


def test_flood_region_follows_a_winding_path_only():
    allowed = np.zeros((9, 9), bool)
    allowed[1, 1:8] = allowed[1:8, 7] = allowed[7, 1:8] = allowed[3:8, 1] = allowed[3, 1:6] = True
    allowed[0, 0] = True  # only diagonally connected: stays out
    region = flood_region(allowed, 3, 5)
    assert region.sum() == allowed.sum() - 1 and not region[0, 0]


def test_clear_import_and_export(tmp_path):
    masks = Masks(RES)
    assert masks.clear(False) is None  # nothing to clear: no edit
    masks.begin_stroke(Brush(colour=(240, 140, 180), opacity=0.6), 20, 20)
    masks.commit_stroke()
    paint = masks.paint.copy()
    masks.export_mask(tmp_path / "paint.png", keep=False)
    cleared = masks.clear(False)
    assert cleared.text == "Clear colour mask" and not masks.paint.any()
    imported = masks.import_mask(tmp_path / "paint.png", keep=False)
    np.testing.assert_array_equal(masks.paint, paint)
    assert imported.text == "Import colour mask" and not imported.old.any()
    grey = np.zeros((RES, RES, 3), np.uint8)
    grey[:8] = 255  # an opaque black/white picture: white means keep
    save_png(tmp_path / "bw.png", grey)
    masks.import_mask(tmp_path / "bw.png", keep=True)
    assert masks.keep[:8].min() == 255 and masks.keep[8:].max() == 0
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ImageError, match="broken.png"):
        masks.import_mask(tmp_path / "broken.png", keep=False)


def test_a_colour_mask_without_transparency_is_refused_by_name(tmp_path):
    save_png(tmp_path / "opaque.png", np.full((RES, RES, 3), 200, np.uint8))  # would paint the whole portrait
    masks = Masks(RES)
    with pytest.raises(ImageError, match="opaque.png has no transparency, and a mask's alpha marks where it applies"):
        masks.import_mask(tmp_path / "opaque.png", keep=False)
    assert not masks.paint.any()
