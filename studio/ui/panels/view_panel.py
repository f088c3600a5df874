"""Move and turn the picture (StyleGAN3 models): two sliders slide it, a dial turns it, each with its reset.

The picture moves through the model's Fourier input (``Portrait.with_view``): the scene slides and turns under
the frame and nothing is resampled. As every slider in the studio: a drag previews (the canvas follows, latest
wins), the release commits one undo step, and undo, redo and reopened recipes come back through ``sync``. The
window shows the panel for a model that can move its picture (StyleGAN3); shown by hand for another, it says
why its controls are off.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDial, QFormLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from studio.engine.edit.portrait import Portrait
from studio.ui.document import PortraitDocument
from studio.ui.panels.sliders import ValueSlider
from studio.ui.theme import icon

MOVE_SPAN = (-1.0, 1.0)  # picture widths each way: the sliders reach a whole picture's move (a recipe may go further)


def turn_words(rotate: float) -> str:
    """A turn as a painter reads it: "upright", "15° ↺" (counter-clockwise) or "15° ↻" (clockwise)."""
    degrees = round(abs(rotate))
    return "upright" if degrees == 0 else f"{degrees}° {'↺' if rotate > 0 else '↻'}"


def dial_degrees(rotate: float) -> int:
    """The dial's value for a turn: degrees clockwise (the dial's pointer is where the picture's top went),
    within the dial's −180…180."""
    return (round(-rotate) + 180) % 360 - 180


class ViewPanel(QWidget):
    """Edits ``portrait.translate`` (x right, y down, in picture widths) and ``portrait.rotate`` through the
    document."""

    def __init__(self, doc: PortraitDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.x = ValueSlider(*MOVE_SPAN, "{:+.2f}", lambda v, final: self._move((v, None), final))
        self.x.setToolTip("Slide the picture left or right, in picture widths (the input's translation x)")
        self.y = ValueSlider(*MOVE_SPAN, "{:+.2f}", lambda v, final: self._move((None, v), final))
        self.y.setToolTip("Slide the picture up (left on the slider) or down (right), in picture widths "
                          "(the input's translation y)")
        self.centre = self._reset_button("Put the picture back in the middle")
        self.centre.clicked.connect(
            lambda: self.doc.commit(self.doc.portrait.with_view(translate=(0.0, 0.0)), "Centre the picture"))

        self.dial = QDial(wrapping=True, notchesVisible=True)
        self.dial.setRange(-180, 180)
        self.dial.setSingleStep(1)
        self.dial.setPageStep(15)
        self.dial.setNotchTarget(15)
        self.dial.setFixedSize(64, 64)
        self.dial.setToolTip("Turn the picture: the pointer shows where its top goes (the input's rotation, "
                             "in degrees)")
        self.dial.valueChanged.connect(lambda _: self._turn(final=not self.dial.isSliderDown()))
        self.dial.sliderReleased.connect(lambda: self._turn(final=True))
        self.angle = QLabel()
        self.angle.setMinimumWidth(48)
        self.upright = self._reset_button("Turn the picture back upright")
        self.upright.clicked.connect(lambda: self.doc.commit(self.doc.portrait.with_view(rotate=0.0), "Turn upright"))

        self.hint = QLabel("Only a StyleGAN3 model can move and turn its picture.", objectName="hint",
                           wordWrap=True)
        move_title = QHBoxLayout()
        move_title.addWidget(QLabel("Move the picture"), 1)
        move_title.addWidget(self.centre)
        turn = QHBoxLayout()
        turn.addWidget(self.dial)
        turn.addWidget(self.angle, 1)
        turn.addWidget(self.upright)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.hint)
        form.addRow(move_title)
        form.addRow("Left – right", self.x)
        form.addRow("Up – down", self.y)
        form.addRow("Turn", turn)
        doc.changed.connect(self.sync)
        self.set_movable(False)
        self.sync(doc.portrait)

    def set_movable(self, movable: bool) -> None:
        """A new model: the controls on for one that can move its picture, else off with the hint saying why."""
        self.movable = movable
        self.hint.setVisible(not movable)
        for control in (self.x, self.y, self.dial):
            control.setEnabled(movable)
        self.sync(self.doc.portrait)

    @staticmethod
    def _reset_button(tip: str) -> QToolButton:
        button = QToolButton(icon=icon("fa6s.rotate-left"), toolTip=tip, autoRaise=True)
        button.setText("Reset")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    def _move(self, xy: tuple[float | None, float | None], final: bool) -> None:
        old = self.doc.portrait.translate
        translate = tuple(old[i] if v is None else v for i, v in enumerate(xy))
        self._show(self.doc.portrait.with_view(translate=translate), final,
                   f"Move the picture to {translate[0]:+.2f}, {translate[1]:+.2f}")

    def _turn(self, final: bool) -> None:
        rotate = float(-self.dial.value())
        self.angle.setText(turn_words(rotate))
        self._show(self.doc.portrait.with_view(rotate=rotate), final, f"Turn {turn_words(rotate)}")

    def _show(self, new: Portrait, final: bool, words: str) -> None:
        """A drag previews ``new``; its release commits it as one undo step named ``words``."""
        if final:
            self.doc.commit(new, words)
        else:
            self.doc.preview(new)

    def sync(self, portrait: Portrait) -> None:
        self.x.set_value(portrait.translate[0])
        self.y.set_value(portrait.translate[1])
        self.dial.blockSignals(True)
        self.dial.setValue(dial_degrees(portrait.rotate))
        self.dial.blockSignals(False)
        self.angle.setText(turn_words(portrait.rotate))
        self.centre.setEnabled(self.movable and portrait.translate != (0.0, 0.0))
        self.upright.setEnabled(self.movable and portrait.rotate != 0.0)
