"""A seed box that holds every seed the engine takes (0 to 2³²−1): a QSpinBox stops at 2³¹−1, its int being 32-bit.

Like a QSpinBox: with ``tracking`` off (keyboardTracking), typing changes nothing until Enter or leaving the box;
the arrows, the wheel and Page Up/Down step at once.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QSizePolicy, QStyle, QStyleOptionSpinBox, QWidget

from studio.engine.edit.seeds import MAX_SEED


class SeedBox(QAbstractSpinBox):
    """A whole number from 0 to ``MAX_SEED`` shown after ``prefix``; ``valueChanged`` carries a Python int."""

    valueChanged = Signal(object)  # QSpinBox's name; object, as Qt's int signals stop at 2³¹−1

    def __init__(self, value: int = 0, prefix: str = "seed ", tracking: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prefix = prefix
        self._value = min(max(int(value), 0), MAX_SEED)
        self.lineEdit().setText(self._text())
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # may shrink to a 7-digit seed
        self.editingFinished.connect(self._typed)
        if tracking:
            self.lineEdit().textEdited.connect(self._typing)

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802 (QSpinBox's name)
        value = min(max(int(value), 0), MAX_SEED)
        changed = value != self._value
        self._value = value
        if self.lineEdit().text() != self._text():
            self.lineEdit().setText(self._text())
        if changed:
            self.valueChanged.emit(value)

    def _text(self) -> str:
        return f"{self._prefix}{self._value}"

    def _digits(self, text: str) -> str:
        return text[len(self._prefix):] if text.startswith(self._prefix) else text.strip()

    def _typed(self) -> None:
        digits = self._digits(self.lineEdit().text())
        self.setValue(int(digits) if digits.isascii() and digits.isdigit() else self._value)

    def _typing(self, text: str) -> None:
        """Keyboard tracking: each whole number typed is the value at once (the text stays as typed)."""
        digits = self._digits(text)
        if digits.isascii() and digits.isdigit() and int(digits) != self._value:
            self._value = int(digits)
            self.valueChanged.emit(self._value)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        digits = self._digits(text)
        if not digits:
            return QValidator.State.Intermediate, text, pos
        if digits.isascii() and digits.isdigit() and int(digits) <= MAX_SEED:
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Invalid, text, pos

    def fixup(self, text: str) -> str:
        return self._text()

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt's override)
        self.setValue(self._value + steps)

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:  # noqa: N802 (Qt's override)
        flag = QAbstractSpinBox.StepEnabledFlag
        return (flag.StepUpEnabled if self._value < MAX_SEED else flag.StepNone) | (
            flag.StepDownEnabled if self._value > 0 else flag.StepNone)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's override): room for the longest seed
        return self._fitting(f"{self._prefix}{MAX_SEED} ")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's override)
        return self._fitting(f"{self._prefix}0000000")

    def _fitting(self, text: str) -> QSize:
        """The box's size with room for ``text``."""
        hint = super().sizeHint()
        option = QStyleOptionSpinBox()
        self.initStyleOption(option)
        inner = QSize(self.fontMetrics().horizontalAdvance(text), hint.height())
        return self.style().sizeFromContents(QStyle.ContentsType.CT_SpinBox, option, inner, self).expandedTo(
            QSize(0, hint.height()))
