"""The map canvas: the one widget that draws a session's map.

It draws all codes (coloured by the session's colouring, with a legend; per colour
group, or as a density raster when many are in view: see map_points.PointCloud),
the decode cursor, the hover and selection rings, the arrows with their traces, the
user's placed picture, and, when a comparison asks for them, a heatmap overlay (with the
cells outside the data's hull hatched), prior sample markers and, for a 2-D latent, the
decoded manifold grid behind the points. Gestures become calls on the session (decode here, draw an arrow there);
what is drawn comes from the session's signals. Left-click/drag decodes in the Explore
tool; the Arrow tool (or Shift+drag in any tool) draws an arrow; middle-drag pans and the
wheel zooms everywhere; the Pan tool pans with the left button too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QVBoxLayout, QWidget

from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.workspace import Tools

from .binding import SessionBinding
from .image_box import BACKGROUND
from .map_items import (
    MapViewBox,
    PassiveLegend,
    PassiveScatter,
    arrow_angle,
    heat_lut,
    ignore_mouse,
    palette,
    segment_distance,
)
from .map_points import POINTS_MAX, PointCloud

SNAP_PX = 10  # an arrow end released this close (in pixels) to a sample snaps to it
HOVER_PX = 6
POINT_SIZE = 5
HEAT_OPACITY = 0.7
MANIFOLD_OPACITY = 0.6  # the points must stay readable over the tiles
HATCH_COLOUR = QColor(170, 170, 170, 150)  # outside the hull: not scored, not in the scale
TRACE_COLOUR = "#ff4dff"  # magenta: no label colour is close to it
SAMPLE_COLOUR = "#ffd400"
SELECT_COLOUR = "#00e5ff"
class MapCanvas(QWidget):
    """Draws one session (see module docstring); `set_session` switches what it shows."""

    # The mouse's map position (x, y), or None when it leaves the map: the status line shows
    # it, so a user can find the coordinates `latent-atlas decode --xy` takes.
    pointerMoved = Signal(object)

    def __init__(self, tools: Tools, session: Session | None = None, *, title: str = "",
                 follow_bounds: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.tools = tools
        self.follow_bounds = follow_bounds  # a view linked to another one does not reset
        self._frame: tuple[float, float, float, float] | None = None  # see set_frame
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-weight: bold")
        self.title.setVisible(bool(title))
        self.vb = MapViewBox(tools)
        self.plot = pg.PlotWidget(viewBox=self.vb, background=BACKGROUND)
        self.plot.setAspectLocked(False)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMouseTracking(True)
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setOpacity(HEAT_OPACITY)
        self.heat.setZValue(-10)
        self.heat.setVisible(False)
        # Hatched in screen pixels (Qt draws pattern brushes cosmetically), so the hatch
        # reads the same at every zoom.
        self.heat_outside = QGraphicsPathItem()
        self.heat_outside.setBrush(QBrush(HATCH_COLOUR, Qt.BrushStyle.BDiagPattern))
        self.heat_outside.setPen(pg.mkPen(None))
        self.heat_outside.setZValue(-9)
        self.heat_outside.setVisible(False)
        self.manifold = pg.ImageItem(axisOrder="row-major")
        self.manifold.setOpacity(MANIFOLD_OPACITY)
        self.manifold.setZValue(-20)
        self.manifold.setVisible(False)
        self.points = PointCloud(size=POINT_SIZE)
        self.samples = PassiveScatter(pxMode=True, size=11, symbol="x",
                                      brush=pg.mkBrush(SAMPLE_COLOUR), pen=pg.mkPen("k", width=0.5))
        self.hover_ring = PassiveScatter(pxMode=True, size=12, symbol="o", brush=None,
                                         pen=pg.mkPen("w", width=1.5))
        self.select_ring = PassiveScatter(pxMode=True, size=18, brush=None,
                                          pen=pg.mkPen(SELECT_COLOUR, width=2.5))
        self.cursor = PassiveScatter(pxMode=True, size=20, symbol="+", brush=pg.mkBrush("w"),
                                     pen=pg.mkPen("k", width=1))
        self.placed = PassiveScatter(pxMode=True, size=22, symbol="star",
                                     brush=pg.mkBrush("#ffd400"), pen=pg.mkPen("k", width=1))
        self.draft = pg.PlotCurveItem(pen=pg.mkPen("w", width=2, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.manifold)
        self.plot.addItem(self.heat)
        self.plot.addItem(self.heat_outside)
        self.plot.addItem(self.points)
        for z, item in enumerate((self.samples, self.hover_ring, self.select_ring, self.cursor,
                                  self.placed, self.draft)):
            item.setZValue(20 + z)
            self.plot.addItem(item)
        # Items must not swallow clicks: a click on a sample decodes like any other click.
        for item in (self.manifold, self.heat, self.heat_outside, self.points, self.samples,
                     self.hover_ring, self.select_ring,
                     self.cursor, self.placed, self.draft):
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.legend = PassiveLegend(offset=(8, 8), labelTextColor="w",
                                    brush=pg.mkBrush(32, 33, 36, 200))
        self.legend.setParentItem(self.plot.getPlotItem().vb)
        self._legend_key: tuple | None = None
        self.arrow_items: list[tuple] = []
        self.n_paints = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)

        self.vb.clicked.connect(self._on_click)
        self.vb.dragged.connect(self._on_drag)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # Several signals often arrive together (new map: map + colours + cursor); the
        # points are redrawn once, when the event loop is next idle.
        self._pending: set[str] = set()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh)
        self._binding = SessionBinding([
            ("map_changed", self._on_map_changed), ("colours_changed", self._on_colours_changed),
            ("cursor_changed", self._update_cursor), ("hover_changed", self._update_rings),
            ("selection_changed", self._update_rings), ("arrows_changed", self._update_arrows),
            ("placed_changed", self._update_placed)], widget=self)
        self.set_session(session)

    @property
    def session(self) -> Session | None:
        return self._binding.session

    def set_session(self, session: Session | None) -> None:
        """Show `session` (None: an empty map)."""
        self._binding.bind(session)
        self._legend_key = None
        self._schedule("points")
        for update in (self._update_cursor, self._update_rings, self._update_arrows,
                       self._update_placed):
            update()

    def _on_map_changed(self) -> None:
        self._schedule("points")

    def _on_colours_changed(self) -> None:
        self._schedule("colours")

    # ---- helpers -------------------------------------------------------------------------
    def pixel_size(self) -> float:
        """Map units per screen pixel (for snapping and hover tolerance)."""
        px = self.vb.viewPixelSize()
        return float(max(abs(px[0]), abs(px[1]))) if px is not None else 0.0

    def visible_rect(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return float(x0), float(x1), float(y0), float(y1)

    def view_to_scene(self, xy) -> QPointF:
        return self.vb.mapViewToScene(QPointF(float(xy[0]), float(xy[1])))

    # ---- gestures ------------------------------------------------------------------------
    def _on_click(self, xy, _modifiers) -> None:
        s = self.session
        if s is None:
            return
        if self.tools.tool == "arrow":
            s.select_arrow(self._arrow_near(xy))
        elif self.tools.tool == "explore":
            s.select(s.nearest(xy, SNAP_PX * self.pixel_size()))
            s.request_decode(xy)

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

    def _on_drag(self, phase: str, xy, start, _modifiers) -> None:
        s = self.session
        if s is None:
            return
        kind, _, step = phase.partition(":")
        if kind == "explore":
            s.request_decode(xy)
        elif kind == "arrow":
            if step == "finish":
                self.draft.setData([], [])
                if np.linalg.norm(np.asarray(xy) - np.asarray(start)) > 2 * self.pixel_size():
                    s.add_arrow(start, xy, tolerance=SNAP_PX * self.pixel_size())
            else:
                self.draft.setData([start[0], xy[0]], [start[1], xy[1]])

    def _on_mouse_moved(self, scene_pos) -> None:
        s = self.session
        if s is None:
            return
        if not self.vb.sceneBoundingRect().contains(scene_pos):
            self.pointerMoved.emit(None)
            return s.set_hover(None)
        p = self.vb.mapSceneToView(scene_pos)
        self.pointerMoved.emit((p.x(), p.y()))
        s.hover_at((p.x(), p.y()), HOVER_PX * self.pixel_size())

    # ---- drawing -------------------------------------------------------------------------
    def _schedule(self, what: str) -> None:
        self._pending.add(what)
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh(self) -> None:
        pending, self._pending = self._pending, set()
        if "points" in pending:
            self._update_points()
        elif "colours" in pending:
            self._update_colours()

    def flush(self) -> None:
        """Apply scheduled updates now, and make the raster a settled view gets (tests,
        screenshots)."""
        if self._refresh_timer.isActive():
            self._refresh_timer.stop()
            self._refresh()
        self.vb.prepareForPaint()  # the view's transform follows its range when painted
        self.points.flush()

    def _update_points(self) -> None:
        s = self.session
        if s is None or s.latent_map is None:
            self.points.clear()
            self._update_legend(None)
            return
        m = s.latent_map
        # Many points are indexed by the map's grid (built once; hover picks use it too).
        self.points.set_points(m.positions, m.point_grid() if m.n_points > POINTS_MAX else None)
        self._update_colours()
        if self.follow_bounds:
            self._frame_view()
        # No auto-range: the heatmap (or a marker far out) must not move the view.
        self.vb.disableAutoRange()
        self._update_cursor()
        self._update_rings()
        self._update_placed()
        self._update_arrows()

    def set_frame(self, rect: tuple[float, float, float, float] | None) -> None:
        """Frame `rect` instead of the map's bounds (None: the bounds again), now and
        whenever the points are redrawn."""
        self._frame = rect
        s = self.session
        if self.follow_bounds and s is not None and s.latent_map is not None:
            self._frame_view()

    def _frame_view(self) -> None:
        s = self.session
        assert s is not None and s.latent_map is not None
        if self._frame is not None:
            xmin, xmax, ymin, ymax = self._frame
            self.vb.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.02)
        else:
            xmin, xmax, ymin, ymax = s.latent_map.bounds()
            self.vb.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.05)

    def _update_colours(self) -> None:
        s = self.session
        if s is None or s.latent_map is None:
            return
        col = s.colouring()
        n = self.points.n_points
        if col is None or len(col.index) != n:
            self.points.set_colours(np.zeros(n, np.int32), "categorical",
                                    palette("categorical", 1))
        else:
            self.points.set_colours(col.index, col.kind, palette(col.kind, col.n_colours))
        self._update_legend(col)

    def _update_legend(self, col: Any) -> None:
        key = None if col is None else (col.key, col.kind, tuple(col.names))
        if key == self._legend_key:
            return  # rebuilding legend items costs more than the scatter itself
        self._legend_key = key
        self.legend.clear()
        if col is None or col.key == "none":
            self.legend.hide()
            return
        colours = palette(col.kind, col.n_colours)
        if col.kind == "continuous":
            picks = sorted({0, col.n_colours // 4, col.n_colours // 2, 3 * col.n_colours // 4,
                            col.n_colours - 1})
            entries = [(colours[i], col.names[i]) for i in picks]
        else:
            entries = list(zip(colours, col.names, strict=True))
        for colour, name in entries:
            sample = pg.ScatterPlotItem(symbol="o", size=8, brush=pg.mkBrush(colour), pen=None)
            self.legend.addItem(sample, name)
        ignore_mouse(self.legend)
        self.legend.show()

    def _point(self, index: int | None) -> list:
        s = self.session
        if s is None or s.latent_map is None or index is None or index >= s.n_points:
            return []
        return [tuple(map(float, s.latent_map.positions[index]))]

    def _update_cursor(self) -> None:
        s = self.session
        xy = None if s is None else s.cursor_xy
        self.cursor.setData(pos=[] if xy is None else [tuple(map(float, xy))])

    def _update_rings(self) -> None:
        s = self.session
        self.hover_ring.setData(pos=self._point(None if s is None else s.hover_index))
        self.select_ring.setData(pos=self._point(None if s is None else s.selected_index))

    def _update_placed(self) -> None:
        s = self.session
        p = None if s is None else s.placed
        self.placed.setData(pos=[] if p is None else [tuple(map(float, p.xy))])

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

    # ---- overlays a comparison adds ---------------------------------------------------------
    def set_samples(self, positions: np.ndarray | None) -> None:
        """Mark prior samples (× markers) at map `positions` (None clears them)."""
        self.samples.setData(pos=[] if positions is None else np.asarray(positions, np.float32))

    def set_heat(self, grid: Any, levels: tuple[float, float] | None, visible: bool) -> None:
        """Show a heatmap (latent_atlas.explorer.core.analysis.gaps.heatmap.Heatmap) with explicit shared
        `levels`; its cells outside the data's hull are transparent and hatched."""
        from latent_atlas.explorer.session.panels.compare_views import outside_cells

        if grid is None or levels is None:
            self.heat.clear()
            self.heat.setVisible(False)
            self.heat_outside.setVisible(False)
            return
        xmin, xmax, ymin, ymax = grid.rect
        # Explicit shared levels: the same colour means the same score in both maps.
        # NaN (outside the hull) is drawn transparent.
        self.heat.setImage(grid.masked(), levels=levels, lut=heat_lut(), autoLevels=False)
        self.heat.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
        self.heat.setVisible(visible)
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.WindingFill)
        for x, y, w, h in outside_cells(grid):
            path.addRect(QRectF(x, y, w, h))
        self.heat_outside.setPath(path)
        self.heat_outside.setVisible(visible and not path.isEmpty())

    def set_manifold(self, grid: Any, visible: bool) -> None:
        """Show a decoded manifold grid (latent_atlas.explorer.core.analysis.claims.manifold.ManifoldGrid)
        behind the points, each tile over its own cell of the grid's rect."""
        if grid is None:
            self.manifold.clear()
            self.manifold.setVisible(False)
            return
        xmin, xmax, ymin, ymax = grid.rect
        # The mosaic's first pixel row is the top of the figure; the view's y points up
        # and an ImageItem draws its first row at the bottom, hence the flip.
        self.manifold.setImage(grid.mosaic()[::-1], levels=(0, 255), autoLevels=False)
        self.manifold.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
        self.manifold.setVisible(visible)

    def paintEvent(self, ev):  # noqa: N802 - Qt naming
        self.n_paints += 1
        super().paintEvent(ev)
