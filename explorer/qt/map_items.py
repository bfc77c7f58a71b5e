"""The graphics items a map canvas is built from: scatter and legend that let gestures
through to the map, the view box that reports gestures, palettes and arrow geometry."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor

from latent_atlas.explorer.session.workspace import Tools

# A qualitative palette for labels (readable on the dark background).
CATEGORY_COLOURS = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#86bcb6", "#d37295", "#fabfd2", "#8cd17d", "#b6992d", "#499894",
    "#79706e", "#d4a6c8", "#f1ce63", "#a0cbe8", "#ffbe7d", "#ff9d9a", "#9d7660", "#d7b5a6",
]


def palette(kind: str, n: int) -> list[QColor]:
    """Colours for `n` colour indices: qualitative for categories, viridis for values."""
    if kind == "continuous":
        cmap = pg.colormap.get("viridis")
        return [cmap.map(float(t), mode="qcolor") for t in np.linspace(0.05, 1.0, max(n, 1))]
    return [QColor(CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]) for i in range(max(n, 1))]


def heat_lut() -> np.ndarray:
    """The heatmap's colour table (magma: dark = plausible, bright = gap)."""
    return pg.colormap.get("magma").getLookupTable(0.0, 1.0, 256)


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter that never takes clicks: a click on a sample must reach the ViewBox and
    decode like a click anywhere else (pyqtgraph would otherwise accept it here)."""

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt naming
        ev.ignore()


class PassiveLegend(pg.LegendItem):
    """A legend that floats over the map without taking gestures: pyqtgraph's legend
    claims every drag that starts over it (to move itself), which would swallow arrows
    drawn from the samples underneath."""

    def hoverEvent(self, ev):  # noqa: N802 - pyqtgraph naming
        pass

    def mouseDragEvent(self, ev):  # noqa: N802 - pyqtgraph naming
        ev.ignore()


class MapViewBox(pg.ViewBox):
    """A ViewBox whose left-button gestures are reported instead of panning."""

    clicked = Signal(object, object)  # xy (view coords), keyboard modifiers
    dragged = Signal(str, object, object, object)  # phase, xy, start xy, modifiers

    def __init__(self, tools: Tools):
        super().__init__()
        self._tools = tools
        self._drag_kind: str | None = None

    def _xy(self, pos) -> np.ndarray:
        p = self.mapToView(pos)
        return np.array([p.x(), p.y()], dtype=np.float32)

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt naming
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(self._xy(ev.pos()), ev.modifiers())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - Qt naming
        if ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        if ev.isStart():
            shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            tool = self._tools.tool
            self._drag_kind = "arrow" if (tool == "arrow" or shift) else tool
        if self._drag_kind in (None, "pan"):
            if ev.isFinish():
                self._drag_kind = None
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        phase = "start" if ev.isStart() else "finish" if ev.isFinish() else "move"
        self.dragged.emit(f"{self._drag_kind}:{phase}", self._xy(ev.pos()),
                          self._xy(ev.buttonDownPos()), ev.modifiers())
        if ev.isFinish():
            self._drag_kind = None


def ignore_mouse(item: Any) -> None:
    """The legend floats over the map: a click or drag on it (or on its entries, which
    would hide their plot items) must reach the map instead."""
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    for child in item.childItems():
        ignore_mouse(child)


def arrow_angle(xy0, xy1) -> float:
    """ArrowItem angle for a head at xy1 coming from xy0.

    ArrowItem measures on screen: 0 points left, angles grow clockwise. The view's y axis
    points up while the screen's points down, hence the sign flip of dy.
    """
    d = np.asarray(xy1, float) - np.asarray(xy0, float)
    return 180.0 + float(np.degrees(np.arctan2(-d[1], d[0]))) if np.any(d) else 0.0


def segment_distance(p, a, b) -> float:
    p, a, b = (np.asarray(v, float) for v in (p, a, b))
    ab = b - a
    t = 0.0 if not np.any(ab) else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
    return float(np.linalg.norm(p - (a + t * ab)))
