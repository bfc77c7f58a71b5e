"""The colour bar of a continuous colouring: the colour scale with values beside it,
floating in the map's top-left corner where the legend of a categorical colouring sits
(Home keeps both off the points). The values come from the colouring (its vmin, vmax)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

BAR_W, BAR_H, PAD = 14.0, 150.0, 6.0
N_TICKS = 5


def tick_values(vmin: float, vmax: float, n: int = N_TICKS) -> list[tuple[float, str]]:
    """(fraction from the bottom, text) of `n` evenly spaced values."""
    out = []
    for k in range(n):
        t = k / (n - 1)
        out.append((t, f"{vmin + t * (vmax - vmin):.3g}"))
    return out


class ColourBar(pg.GraphicsWidget):
    """A vertical colour scale with its title and values (see module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.colours: list[QColor] = []
        self.ticks: list[tuple[float, str]] = []
        self.title = ""
        self._font = QFont()
        self._font.setPointSizeF(8.0)
        self.hide()

    def set_scale(self, title: str, colours: list[QColor], vmin: float, vmax: float) -> None:
        self.title, self.colours = title, list(colours)
        self.ticks = tick_values(vmin, vmax)
        fm = QFontMetricsF(self._font)
        text_w = max([fm.horizontalAdvance(t) for _f, t in self.ticks] + [0.0])
        width = max(PAD * 3 + BAR_W + text_w, fm.horizontalAdvance(title) + 2 * PAD)
        height = PAD * 3 + fm.height() + BAR_H + fm.height() / 2
        self.setMinimumSize(width, height)
        self.setMaximumSize(width, height)
        self.resize(width, height)
        self.update()

    def tick_texts(self) -> list[str]:
        return [t for _f, t in self.ticks]

    def paint(self, p: QPainter, *_args) -> None:
        r = self.boundingRect()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(32, 33, 36, 200))
        p.drawRect(r)
        if not self.colours:
            return
        fm = QFontMetricsF(self._font)
        p.setFont(self._font)
        p.setPen(QColor("white"))
        p.drawText(QRectF(PAD, PAD, r.width() - 2 * PAD, fm.height()),
                   Qt.AlignmentFlag.AlignLeft, self.title)
        top = PAD * 2 + fm.height() + fm.height() / 4
        n = len(self.colours)
        step = BAR_H / n
        p.setPen(Qt.PenStyle.NoPen)
        for i, c in enumerate(self.colours):  # the first colour is the lowest value
            p.setBrush(c)
            p.drawRect(QRectF(PAD, top + BAR_H - (i + 1) * step, BAR_W, step + 0.5))
        p.setPen(QColor("white"))
        for t, text in self.ticks:
            y = top + BAR_H * (1 - t)
            p.drawLine(int(PAD + BAR_W), int(y), int(PAD + BAR_W + 3), int(y))
            p.drawText(QRectF(PAD * 2 + BAR_W, y - fm.height() / 2, r.width(), fm.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
