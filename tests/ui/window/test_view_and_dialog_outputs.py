"""Issue 13 in the window: a fitted picture is scaled smoothly (sharp pixels on demand), the loss plot's axis
labels are never clipped."""

from __future__ import annotations

import numpy as np

from studio.ui.canvas.canvas import Canvas
from studio.ui.runs.loss_plot import LossPlot
from studio.ui.theme import qimage_to_array


def _checkerboard(n: int = 8) -> np.ndarray:
    tile = (np.indices((n, n)).sum(0) % 2 * 255).astype(np.uint8)
    return np.repeat(tile[..., None], 3, axis=2)


def _distinct_greys(canvas: Canvas) -> int:
    shot = qimage_to_array(canvas.grab().toImage())
    rect = canvas.target_rect().toRect().adjusted(4, 4, -4, -4)
    inside = shot[rect.top():rect.bottom(), rect.left():rect.right(), 0]
    return len(np.unique(inside))


def test_a_fitted_picture_is_scaled_smoothly_and_pixels_are_shown_on_demand(qtbot):
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.set_image(_checkerboard())
    assert canvas.fit and canvas.zoom > 10
    assert _distinct_greys(canvas) > 10  # blended edges: smooth scaling (was two colours of blocks)
    canvas.pixels_action.setChecked(True)
    assert canvas.pixels_action.isChecked() and _distinct_greys(canvas) == 2  # nearest neighbour: the pixels
    canvas.zoom_actual()
    assert canvas.zoom == 1.0


def test_loss_plot_labels_fit_their_margin(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(300, 160)
    plot.add(1, {"loss_G": 0.0087, "loss_D": 0.0123})
    plot.add(2, {"loss_G": -0.000123, "loss_D": 12345.6})
    metrics = plot.fontMetrics()
    for label in plot.axis_labels():
        assert metrics.horizontalAdvance(label) <= plot.margin() - 4, label  # was clipped to "0087"
    plot.grab()  # paints without error
