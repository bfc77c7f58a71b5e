"""How a map canvas draws its session's arrows (line, decoded-step trace, head) and finds
the arrow under a click. A mixin of `MapCanvas` (canvas.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .map_items import arrow_angle, segment_distance

TRACE_COLOUR = "#ff4dff"  # magenta: no label colour is close to it


class ArrowDrawing:
    """`_update_arrows` and `_arrow_near` of a map canvas."""

    session: Any
    plot: Any
    arrow_items: list[tuple]

    def pixel_size(self) -> float: ...  # the canvas's

    def _arrow_near(self, xy) -> int | None:
        s = self.session
        if s is None:
            return None
        best, best_d = None, 12 * self.pixel_size()
        for i, a in enumerate(s.arrows):
            if a.trace is None or a.xy0 is None or a.xy1 is None:
                continue
            pts = np.vstack([np.asarray(a.xy0)[None], a.trace, np.asarray(a.xy1)[None]])
            d = float(np.min(np.linalg.norm(pts - np.asarray(xy)[None], axis=1)))
            d = min(d, segment_distance(xy, a.xy0, a.xy1))
            if d <= best_d:
                best, best_d = i, d
        return best

    def _update_arrows(self) -> None:
        for items in self.arrow_items:
            for it in items:
                self.plot.removeItem(it)
        self.arrow_items = []
        s = self.session
        if s is None:
            return
        for i, a in enumerate(s.arrows):
            if a.xy0 is None or a.xy1 is None or a.trace is None:
                continue
            chosen = i == s.selected_arrow
            colour = "#ffffff" if chosen else "#9aa0a6"
            line = pg.PlotCurveItem([a.xy0[0], a.xy1[0]], [a.xy0[1], a.xy1[1]],
                                    pen=pg.mkPen(colour, width=3 if chosen else 2))
            trace = pg.PlotDataItem(a.trace[:, 0], a.trace[:, 1],
                                    pen=pg.mkPen(TRACE_COLOUR, width=2 if chosen else 1),
                                    symbol="o", symbolSize=7 if chosen else 5,
                                    symbolBrush=TRACE_COLOUR, symbolPen=None)
            head = pg.ArrowItem(pos=(float(a.xy1[0]), float(a.xy1[1])),
                                angle=arrow_angle(a.xy0, a.xy1), headLen=16, tailLen=None,
                                brush=colour, pen=None)
            for it in (line, trace, head):
                it.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
                it.setZValue(15 if chosen else 10)
                self.plot.addItem(it)
            self.arrow_items.append((line, trace, head))
