"""Lasso and box selection on a map canvas: the drag becomes a polygon or a box drawn
over the map, and, on release, one call on the session (Shift adds, Alt removes). The
selected samples are the session's (latent_atlas.explorer.session.selection); this only draws."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

SELECT_PEN = "#00e5ff"
MIN_LASSO_POINTS = 3


def selection_mode(modifiers: Any) -> str:
    """Shift adds to the selection, Alt removes from it, otherwise it is replaced."""
    if modifiers & Qt.KeyboardModifier.AltModifier:
        return "remove"
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        return "add"
    return "replace"


class RegionGesture:
    """The outline of a lasso or box being drawn, and the selection it makes."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.outline = pg.PlotCurveItem(pen=pg.mkPen(SELECT_PEN, width=1.5,
                                                     style=Qt.PenStyle.DashLine))
        self.outline.setZValue(30)
        self.outline.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        plot.addItem(self.outline)
        self._points: list[tuple[float, float]] = []

    def drag(self, session: Any, kind: str, step: str, xy: Any, start: Any,
             modifiers: Any) -> None:
        """One step of a lasso or box drag ("start", "move", "finish")."""
        if step == "start" or not self._points:
            self._points = [(float(start[0]), float(start[1]))]
        self._points.append((float(xy[0]), float(xy[1])))
        if kind == "box":
            (x0, y0), (x1, y1) = self._points[0], self._points[-1]
            shape = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
        else:
            shape = np.array(self._points + self._points[:1])
        if step != "finish":
            self.outline.setData(shape[:, 0], shape[:, 1])
            return
        self.outline.setData([], [])
        points, self._points = self._points, []
        mode = selection_mode(modifiers)
        if kind == "box":
            session.select_box(points[0], points[-1], mode=mode)
        elif len(points) >= MIN_LASSO_POINTS:
            session.select_polygon(np.asarray(points), mode=mode)

    def click(self, session: Any, modifiers: Any) -> None:
        """A click without a drag in the lasso or box tool clears the selection (a click
        with Shift or Alt keeps it)."""
        if selection_mode(modifiers) == "replace":
            session.clear_selection()
