"""One map of the compare view: scatter, gap heatmap, linked hover/selection rings, the
shared decode point, the shared arrow and the prior-sample markers of its model."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..image_box import BACKGROUND
from ..map_view import (
    CATEGORY_COLOURS,
    HOVER_PX,
    POINT_SIZE,
    SNAP_PX,
    TRACE_COLOUR,
    MapViewBox,
    PassiveScatter,
    _angle,
    palette,
)
from .state import SIDE_TITLES, CompareState

HEAT_OPACITY = 0.7
SAMPLE_COLOUR = "#ffd400"


def heat_lut() -> np.ndarray:
    """The heatmap's colour table (magma: dark = plausible, bright = gap)."""
    return pg.colormap.get("magma").getLookupTable(0.0, 1.0, 256)


class ComparePane(QWidget):
    """The map of side `side` (0 = left, AE; 1 = right, VAE)."""

    def __init__(self, state: CompareState, side: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.state, self.side = state, side
        self.title = QLabel(SIDE_TITLES[side])
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-weight: bold")
        self.vb = MapViewBox(state)
        self.plot = pg.PlotWidget(viewBox=self.vb, background=BACKGROUND)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMouseTracking(True)
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setOpacity(HEAT_OPACITY)
        self.heat.setZValue(-10)
        self.heat.setVisible(False)
        self.scatter = PassiveScatter(pxMode=True, pen=None, size=POINT_SIZE, antialias=False)
        self.hover_ring = PassiveScatter(pxMode=True, size=12, brush=None,
                                         pen=pg.mkPen("w", width=1.5))
        self.select_ring = PassiveScatter(pxMode=True, size=18, brush=None,
                                          pen=pg.mkPen("#00e5ff", width=2.5))
        self.cursor = PassiveScatter(pxMode=True, size=20, symbol="+", brush=pg.mkBrush("w"),
                                     pen=pg.mkPen("k", width=1))
        self.samples = PassiveScatter(pxMode=True, size=11, symbol="x",
                                      brush=pg.mkBrush(SAMPLE_COLOUR), pen=pg.mkPen("k", width=0.5))
        self.line = pg.PlotCurveItem(pen=pg.mkPen("w", width=2))
        self.trace = pg.PlotDataItem(pen=pg.mkPen(TRACE_COLOUR, width=2), symbol="o",
                                     symbolSize=6, symbolBrush=TRACE_COLOUR, symbolPen=None)
        self.head = pg.ArrowItem(headLen=16, tailLen=None, brush="w", pen=None)
        self.draft = pg.PlotCurveItem(pen=pg.mkPen("w", width=2, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.heat)
        self.plot.addItem(self.scatter)
        for z, item in enumerate((self.samples, self.line, self.trace, self.head, self.hover_ring,
                                  self.select_ring, self.cursor, self.draft)):
            item.setZValue(10 + z)
            self.plot.addItem(item)
        for item in (self.heat, self.scatter, self.samples, self.line, self.trace, self.head,
                     self.hover_ring, self.select_ring, self.cursor, self.draft):
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.head.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)

        self.vb.clicked.connect(self._on_click)
        self.vb.dragged.connect(self._on_drag)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        state.mapsChanged.connect(self._update_points)
        state.dataChanged.connect(self._update_points)
        state.hoverChanged.connect(self._update_rings)
        state.selectionChanged.connect(self._update_rings)
        state.cursorChanged.connect(self._update_cursor)
        state.arrowChanged.connect(self._update_arrow)
        state.samplesChanged.connect(self._update_samples)
        state.gapsChanged.connect(self._update_heat)

    # ---- helpers ------------------------------------------------------------------------
    @property
    def model_side(self):
        return self.state.sides[self.side] if self.side < len(self.state.sides) else None

    def pixel_size(self) -> float:
        px = self.vb.viewPixelSize()
        return float(max(abs(px[0]), abs(px[1]))) if px is not None else 0.0

    def visible_rect(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return float(x0), float(x1), float(y0), float(y1)

    # ---- gestures -----------------------------------------------------------------------
    def _on_click(self, xy, _modifiers) -> None:
        if self.state.tool == "pan":
            return
        self.state.select(self.state.nearest(self.side, xy, SNAP_PX * self.pixel_size()))
        self.state.decode_at(xy)

    def _on_drag(self, phase: str, xy, start, _modifiers) -> None:
        kind, _, step = phase.partition(":")
        if kind == "explore":
            self.state.decode_at(xy)
        elif kind == "arrow":
            if step == "finish":
                self.draft.setData([], [])
                if np.linalg.norm(np.asarray(xy) - np.asarray(start)) > 2 * self.pixel_size():
                    self.state.set_arrow(start, xy, side=self.side,
                                         tolerance=SNAP_PX * self.pixel_size())
            else:
                self.draft.setData([start[0], xy[0]], [start[1], xy[1]])

    def _on_mouse_moved(self, scene_pos) -> None:
        if not self.vb.sceneBoundingRect().contains(scene_pos):
            return
        p = self.vb.mapSceneToView(scene_pos)
        self.state.set_hover(self.state.nearest(self.side, (p.x(), p.y()),
                                                HOVER_PX * self.pixel_size()))

    # ---- drawing ------------------------------------------------------------------------
    def _update_points(self) -> None:
        s = self.model_side
        if s is None or s.latent_map is None:
            self.scatter.clear()
            return
        pos = np.asarray(s.latent_map.positions, np.float32)
        labels = self.state.labels
        if labels is None:
            brushes = np.full(len(pos), pg.mkBrush(CATEGORY_COLOURS[0]), dtype=object)
        else:
            _, inv = np.unique(labels, return_inverse=True)
            shared = np.empty(int(inv.max()) + 1, dtype=object)
            shared[:] = [pg.mkBrush(c) for c in palette("categories", len(shared))]
            brushes = shared[inv]
        self.scatter.setData(pos=pos, data=np.arange(len(pos)), brush=brushes, pen=None,
                             size=POINT_SIZE)
        if self.side == 0:  # the right view is linked to this one
            xmin, xmax, ymin, ymax = s.latent_map.bounds()
            self.vb.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.05)
        # No auto-range: the heatmap (or a marker far out) must not move the view, which
        # would rescore the visible area and grow the view again.
        self.vb.disableAutoRange()
        self.title.setText(f"{SIDE_TITLES[self.side]} — {s.name} ({s.kind.upper()}, "
                           f"{s.latent_map.method}{', aligned' if self.side else ''})")
        self._update_rings()
        self._update_arrow()
        self._update_samples()

    def _point(self, index: int | None) -> list:
        s = self.model_side
        if s is None or index is None or index >= s.n_points:
            return []
        return [tuple(map(float, s.latent_map.positions[index]))]

    def _update_rings(self) -> None:
        self.hover_ring.setData(pos=self._point(self.state.hover_index))
        self.select_ring.setData(pos=self._point(self.state.selected_index))

    def _update_cursor(self) -> None:
        xy = self.state.cursor_xy
        self.cursor.setData(pos=[] if xy is None else [tuple(map(float, xy))])

    def _update_arrow(self) -> None:
        s, a = self.model_side, self.state.arrow
        if s is None or a is None or s.trace is None:
            for item in (self.line, self.trace):
                item.setData([], [])
            self.head.setVisible(False)
            return
        m = s.latent_map
        xy0 = m.positions[a.index0] if a.index0 is not None else s.trace[0]
        xy1 = m.positions[a.index1] if a.index1 is not None else s.trace[-1]
        self.line.setData([xy0[0], xy1[0]], [xy0[1], xy1[1]])
        self.trace.setData(s.trace[:, 0], s.trace[:, 1])
        self.head.setPos(float(xy1[0]), float(xy1[1]))
        self.head.setStyle(angle=_angle(xy0, xy1))
        self.head.setVisible(True)

    def _update_samples(self) -> None:
        s = self.model_side
        pos = None if s is None or s.samples is None else s.samples.positions
        self.samples.setData(pos=[] if pos is None else np.asarray(pos, np.float32))

    def set_heat_visible(self, visible: bool) -> None:
        self.heat.setVisible(visible and self.model_side is not None
                             and self.model_side.gap is not None)

    def _update_heat(self) -> None:
        s, levels = self.model_side, self.state.gap_levels
        if s is None or s.gap is None or levels is None:
            self.heat.clear()
            self.heat.setVisible(False)
            return
        xmin, xmax, ymin, ymax = s.gap.rect
        # Explicit shared levels: the same colour means the same score in both maps.
        self.heat.setImage(s.gap.scores, levels=levels, lut=heat_lut(), autoLevels=False)
        self.heat.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
