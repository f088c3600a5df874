"""The open document: the current ``Portrait`` (pure engine data) plus its undo history.

Widgets never keep their own copy of the truth: they ``preview`` while a slider is held (nothing
recorded), ``commit`` on release (one undo step), and redraw from ``changed``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from studio.engine.edit.portrait import Portrait


class _SetPortrait(QUndoCommand):
    def __init__(self, doc: PortraitDocument, old: Portrait, new: Portrait, text: str) -> None:
        super().__init__(text)
        self.doc, self.old, self.new = doc, old, new

    def redo(self) -> None:
        self.doc._set(self.new)

    def undo(self) -> None:
        self.doc._set(self.old)


class PortraitDocument(QObject):
    changed = Signal(object)  # the committed Portrait (after an edit, undo or redo)
    previewed = Signal(object)  # a Portrait being dragged towards; not in the history

    def __init__(self, portrait: Portrait | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.portrait = portrait or Portrait()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(200)

    def preview(self, portrait: Portrait) -> None:
        self.previewed.emit(portrait)

    def commit(self, portrait: Portrait, text: str) -> None:
        """Make ``portrait`` current as one undo step (nothing is recorded if it changes nothing)."""
        if portrait == self.portrait:
            self.changed.emit(self.portrait)  # a drag that came back: redraw at full quality
            return
        self.undo_stack.push(_SetPortrait(self, self.portrait, portrait, text))

    def replace(self, portrait: Portrait) -> None:
        """Start afresh from ``portrait`` (a new model, a restored autosave): the history is cleared."""
        self.undo_stack.clear()
        self._set(portrait)

    def _set(self, portrait: Portrait) -> None:
        self.portrait = portrait
        self.changed.emit(portrait)
