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
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QVBoxLayout, QWidget

from latent_atlas.explorer.core.palette import UNSELECTED_COLOUR
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.view import Rect, contains, home_range
from latent_atlas.explorer.session.workspace import Tools

from .binding import SessionBinding
from .canvas_arrows import ArrowDrawing
from .canvas_overlays import ComparisonOverlays
from .colour_bar import ColourBar
from .image_box import BACKGROUND
from .map_items import (
    MapViewBox,
    PassiveLegend,
    PassiveScatter,
    ignore_mouse,
    palette,
)
from .map_points import POINTS_MAX, PointCloud
from .map_select import RegionGesture
from .thumbnails import ThumbnailLayer

SNAP_PX = 10  # an arrow end released this close (in pixels) to a sample snaps to it
HOVER_PX = 6
POINT_SIZE = 5
HEAT_OPACITY = 0.7
MANIFOLD_OPACITY = 0.6  # the points must stay readable over the tiles
HATCH_COLOUR = QColor(170, 170, 170, 150)  # outside the hull: not scored, not in the scale
SAMPLE_COLOUR = "#ffd400"
SELECT_COLOUR = "#00e5ff"
class MapCanvas(ArrowDrawing, ComparisonOverlays, QWidget):
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
        self.thumbs = ThumbnailLayer(self.points)  # the pictures, when few are in view
        self.thumbs.setZValue(5)
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
        self.plot.addItem(self.thumbs)
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
        self.colour_bar = ColourBar()  # in the legend's corner, for continuous colourings
        self.colour_bar.setParentItem(self.plot.getPlotItem().vb)
        self.colour_bar.setPos(8, 8)
        self.region = RegionGesture(self.plot)
        self.frame_source = None  # a callable giving the rect Home frames (the compare view)
        self._home_range: Rect | None = None  # the range Home set, until the user moves
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
        self.vb.sigResized.connect(self._on_resized)
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
            ("selection_set_changed", self._on_colours_changed),
            ("data_changed", self._update_thumbnails),
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
    def _on_click(self, xy, modifiers) -> None:
        s = self.session
        if s is None:
            return
        if self.tools.tool in ("lasso", "box"):
            self.region.click(s, modifiers)
        elif self.tools.tool == "arrow":
            s.select_arrow(self._arrow_near(xy))
        elif self.tools.tool == "explore":
            s.select(s.nearest(xy, SNAP_PX * self.pixel_size()))
            s.request_decode(xy)

    def _on_drag(self, phase: str, xy, start, modifiers) -> None:
        s = self.session
        if s is None:
            return
        kind, _, step = phase.partition(":")
        if kind in ("lasso", "box"):
            self.region.drag(s, kind, step, xy, start, modifiers)
        elif kind == "explore":
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
        self._update_thumbnails()
        # Many points are indexed by the map's grid (built once; hover picks use it too).
        self.points.set_points(m.positions, m.point_grid() if m.n_points > POINTS_MAX else None)
        self._update_colours()
        if self.follow_bounds:
            self.home()
        # No auto-range: the heatmap (or a marker far out) must not move the view.
        self.vb.disableAutoRange()
        self._update_cursor()
        self._update_rings()
        self._update_placed()
        self._update_arrows()

    def _update_thumbnails(self) -> None:
        s = self.session
        ok = s is not None and s.data_matches_map()
        self.thumbs.set_images(s.images if ok else None)

    def set_frame(self, rect: tuple[float, float, float, float] | None) -> None:
        """Frame `rect` instead of the map's bounds (None: the bounds again), now and
        whenever the points are redrawn."""
        self._frame = rect
        s = self.session
        if self.follow_bounds and s is not None and s.latent_map is not None:
            self.home()

    def home_rect(self) -> Rect | None:
        """What Home frames: a frame set by `set_frame`, the window's (both maps of a
        pair), or this map's bounds."""
        if self._frame is not None:
            return self._frame
        if self.frame_source is not None:
            return self.frame_source()
        s = self.session
        if s is None or s.latent_map is None:
            return None
        return tuple(float(v) for v in s.latent_map.bounds())  # type: ignore[return-value]

    def legend_size(self) -> tuple[float, float]:
        """The pixel size of the legend or colour bar in the top-left corner (0 if none)."""
        for item in (self.legend, self.colour_bar):
            if item.isVisible():
                r = item.boundingRect()
                return float(r.width()) + 8.0, float(r.height()) + 8.0
        return 0.0, 0.0

    def home(self) -> None:
        """Fit the data with a margin, the legend off the points (Home)."""
        rect = self.home_rect()
        if rect is None:
            return
        size = (float(self.vb.width()), float(self.vb.height()))
        x0, x1, y0, y1 = home_range(rect, size, self.legend_size())
        self.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
        self._home_range = self.visible_rect()

    def keep_view(self) -> None:
        """The view was set on purpose (a saved view): a resize no longer re-frames it."""
        self._home_range = None

    def _on_resized(self, *_args) -> None:
        # A window that opens (or is resized) before the user moved the view stays framed.
        if self._home_range is not None and self.visible_rect() == self._home_range:
            self.home()

    def data_in_view(self) -> bool:
        """Every point of the home rectangle is in view (tests)."""
        rect = self.home_rect()
        return rect is not None and contains(self.visible_rect(), rect)

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
            colours = palette(col.kind, col.n_colours, col.other)
            mask = s.selection_mask() if len(s.selection) else None
            if mask is not None and len(mask) == n:  # the rest greyed, not hidden
                index = np.where(mask, col.index, col.n_colours).astype(np.int32)
                self.points.set_colours(index, col.kind, [*colours, QColor(UNSELECTED_COLOUR)])
            else:
                self.points.set_colours(col.index, col.kind, colours)
        self._update_legend(col)

    def _update_legend(self, col: Any) -> None:
        key = None if col is None else (col.key, col.kind, tuple(col.names))
        if key == self._legend_key:
            return  # rebuilding legend items costs more than the scatter itself
        self._legend_key = key
        self.legend.clear()
        self.colour_bar.hide()
        if col is None or col.key == "none":
            self.legend.hide()
            return
        colours = palette(col.kind, col.n_colours, col.other)
        if col.kind == "continuous":  # a scale with values, not five loose entries
            self.legend.hide()
            self.colour_bar.set_scale(col.title, colours, col.vmin, col.vmax)
            self.colour_bar.show()
            return
        for colour, name in zip(colours, col.names, strict=True):
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

    def paintEvent(self, ev):  # noqa: N802 - Qt naming
        self.n_paints += 1
        super().paintEvent(ev)
