"""A small live plot of training losses drawn with QPainter: enough to see a run settle or diverge."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

COLORS = ("#e0a040", "#5fb0e0", "#80c070", "#d070b0", "#e06060", "#b0b0b0")
MARGIN = 36  # the least room left of the plot; it grows to fit the axis labels


class LossPlot(QWidget):
    """One line per ``loss_*`` metric against the step; ``add`` a report, ``clear`` for a new run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: dict[str, list[tuple[int, float]]] = {}
        self.setMinimumSize(240, 140)

    def add(self, step: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            if name.startswith("loss_") and math.isfinite(value):
                self.series.setdefault(name, []).append((step, value))
        self.update()

    def clear(self) -> None:
        self.series.clear()
        self.update()

    def _bounds(self) -> tuple[float, float, float, float]:
        points = [pt for s in self.series.values() for pt in s]
        x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
        y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
        return x0, max(x1, x0 + 1), y0, (y1 if y1 > y0 else y0 + 1)

    def axis_labels(self) -> tuple[str, str]:
        """The y axis's top and bottom labels (empty before the first report)."""
        if not self.series:
            return "", ""
        _, _, y0, y1 = self._bounds()
        return f"{y1:.2g}", f"{y0:.2g}"

    def margin(self) -> int:
        """Room left of the plot: wide enough for the longest axis label in the widget's font, never clipped."""
        metrics = self.fontMetrics()
        return max(MARGIN, *(metrics.horizontalAdvance(label) + 8 for label in self.axis_labels()))

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1f1f22"))
        margin = self.margin()
        plot = QRectF(self.rect()).adjusted(margin, 8, -8, -20)
        p.setPen(QColor("#555"))
        p.drawRect(plot)
        if not self.series:
            p.setPen(QColor("#808080"))
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Losses appear here once training starts")
            return
        x0, x1, y0, y1 = self._bounds()

        def at(step: float, value: float) -> QPointF:
            return QPointF(plot.left() + (step - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (value - y0) / (y1 - y0) * plot.height())

        p.setPen(QColor("#a0a0a0"))
        top, bottom = self.axis_labels()
        p.drawText(QRectF(0, plot.top() - 4, margin - 4, 16), Qt.AlignmentFlag.AlignRight, top)
        p.drawText(QRectF(0, plot.bottom() - 12, margin - 4, 16), Qt.AlignmentFlag.AlignRight, bottom)
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 16), Qt.AlignmentFlag.AlignRight,
                   f"step {int(x1)}")
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for i, (name, pts) in enumerate(sorted(self.series.items())):
            color = QColor(COLORS[i % len(COLORS)])
            path = QPainterPath(at(*pts[0]))
            for pt in pts[1:]:
                path.lineTo(at(*pt))
            p.setPen(QPen(color, 1.5))
            p.drawPath(path)
            label = f"{name.removeprefix('loss_')} {pts[-1][1]:.3f}"
            p.drawText(QPointF(plot.left() + 6, plot.top() + 14 + 14 * i), label)
