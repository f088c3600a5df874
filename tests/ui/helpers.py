"""Driving the studio window in tests: drag a slider, wait for the canvas to settle, open a model and wait for it."""

from __future__ import annotations

import numpy as np
import torch

from studio.engine.edit.portrait import Portrait
from studio.engine.images import tensor_to_images
from studio.ui.theme import qimage_to_array
from studio.ui.window.main_window import MainWindow

TIMEOUT = 20_000
EXPORT_TIMEOUT = 600_000  # a tiny model's export takes seconds alone, minutes on a shared CI core


def drag(slider, value: int) -> None:
    """Press, move through a few values, release: what a mouse drag does to a QSlider (or a QDial)."""
    slider.setSliderDown(True)
    for v in np.linspace(slider.value(), value, 4)[1:]:
        slider.setValue(int(v))
    slider.setSliderDown(False)


@torch.no_grad()
def drawn(window: MainWindow, portrait: Portrait) -> np.ndarray:
    """What the engine draws for ``portrait`` with the open model (its sliders, mixing, move and turn)."""
    G = window.model.G
    return tensor_to_images(G.synthesis(window.session.render_ws(portrait), transform=portrait.transform()))[0]


def shown(window: MainWindow) -> np.ndarray:
    return qimage_to_array(window.canvas.image)


def settle(qtbot, window: MainWindow) -> np.ndarray:
    """Wait until the canvas shows the current portrait at full quality; return its pixels."""
    qtbot.waitUntil(lambda: window.last_full is not None and window.last_full[0] == window.doc.portrait,
                    timeout=TIMEOUT)
    assert window.tasks.wait_idle(TIMEOUT)
    return shown(window)


def open_and_wait(qtbot, window: MainWindow, path) -> None:
    with qtbot.waitSignal(window.directions_ready, timeout=TIMEOUT):
        window.open_model(str(path))
    settle(qtbot, window)


def opened_window(qtbot, path) -> MainWindow:
    """A shown main window with the model at ``path`` loaded and its first seed page rendered."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    open_and_wait(qtbot, w, path)
    assert w.tasks.wait_idle(TIMEOUT)  # the seed page too
    return w


def paint_and_search(qtbot, window: MainWindow, colour: tuple[int, int, int], stroke: tuple[int, int, int, int],
                     steps: int) -> None:
    """Paint one stroke (x0, y0, x1, y1) of ``colour`` with the Paint tool and run a colour search of ``steps``
    steps from the portrait, waiting for it to finish."""
    window.window_actions.paint.trigger()
    p = window.painter
    p.brush.colour, p.brush.radius = colour, 3.0
    p.begin_stroke(*stroke[:2])
    p.extend_stroke(*stroke[2:])
    p.end_stroke()
    panel = window.search_panel
    panel.steps.setValue(steps)
    panel.search_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=TIMEOUT)
