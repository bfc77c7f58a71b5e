"""The latent map: one scatter of all codes, the decode cursor, arrows and their traces.

Gestures become calls on the state object (decode here, draw an arrow there); what is
drawn comes from the state's signals. Left-click/drag decodes in the Explore tool;
the Arrow tool (or Shift+drag in any tool) draws an arrow; middle-drag pans and the
wheel zooms everywhere; the Pan tool pans with the left button too.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from .image_box import BACKGROUND
from .state import AtlasState

SNAP_PX = 10  # an arrow end released this close (in pixels) to a sample snaps to it
HOVER_PX = 6
POINT_SIZE = 5
TRACE_COLOUR = "#ff4dff"  # magenta: no label colour is close to it
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


class PassiveScatter(pg.ScatterPlotItem):
    """A scatter that never takes clicks: a click on a sample must reach the ViewBox and
    decode like a click anywhere else (pyqtgraph would otherwise accept it here)."""

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt naming
        ev.ignore()


class MapViewBox(pg.ViewBox):
    """A ViewBox whose left-button gestures are reported instead of panning."""

    clicked = Signal(object, object)  # xy (view coords), keyboard modifiers
    dragged = Signal(str, object, object, object)  # phase, xy, start xy, modifiers

    def __init__(self, state: AtlasState):
        super().__init__()
        self._state = state
        self._drag_kind: str | None = None

    def _xy(self, pos) -> np.ndarray:
        p = self.mapToView(pos)
        return np.array([p.x(), p.y()], dtype=np.float32)

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(self._xy(ev.pos()), ev.modifiers())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        if ev.isStart():
            shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            tool = self._state.tool
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


class MapView(QWidget):
    """The map widget; reads everything from `state`."""

    def __init__(self, state: AtlasState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.vb = MapViewBox(state)
        self.plot = pg.PlotWidget(viewBox=self.vb, background=BACKGROUND)
        self.plot.setAspectLocked(False)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMouseTracking(True)
        self.scatter = PassiveScatter(pxMode=True, pen=None, size=POINT_SIZE, antialias=False)
        self.plot.addItem(self.scatter)
        self.hover_ring = PassiveScatter(pxMode=True, size=12, symbol="o", brush=None,
                                             pen=pg.mkPen("w", width=1.5))
        self.cursor = PassiveScatter(pxMode=True, size=20, symbol="+", brush=pg.mkBrush("w"),
                                         pen=pg.mkPen("k", width=1))
        self.placed = PassiveScatter(pxMode=True, size=22, symbol="star",
                                         brush=pg.mkBrush("#ffd400"), pen=pg.mkPen("k", width=1))
        self.draft = pg.PlotCurveItem(pen=pg.mkPen("w", width=2, style=Qt.PenStyle.DashLine))
        for item in (self.hover_ring, self.cursor, self.placed, self.draft):
            item.setZValue(20)
            self.plot.addItem(item)
        # Items must not swallow clicks: a click on a sample decodes like any other click.
        for item in (self.scatter, self.hover_ring, self.cursor, self.placed, self.draft):
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.legend = pg.LegendItem(offset=(8, 8), labelTextColor="w",
                                    brush=pg.mkBrush(32, 33, 36, 200))
        self.legend.setParentItem(self.plot.getPlotItem().vb)
        self._arrow_items: list[tuple] = []
        self._brushes: list = []
        self.n_paints = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

        self.vb.clicked.connect(self._on_click)
        self.vb.dragged.connect(self._on_drag)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # Several signals often arrive together (new model: active + colours + map); the
        # scatter is rebuilt once, when the event loop is next idle.
        self._pending: set[str] = set()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh)
        self._legend_key: tuple | None = None
        state.activeChanged.connect(lambda: self._schedule("points"))
        state.mapChanged.connect(lambda: self._schedule("points"))
        state.coloursChanged.connect(lambda: self._schedule("colours"))
        state.cursorChanged.connect(self._update_cursor)
        state.hoverChanged.connect(self._update_hover)
        state.arrowsChanged.connect(self._update_arrows)
        state.placedChanged.connect(self._update_placed)

    # ---- helpers -------------------------------------------------------------------------
    def pixel_size(self) -> float:
        """Map units per screen pixel (for snapping and hover tolerance)."""
        px = self.vb.viewPixelSize()
        return float(max(abs(px[0]), abs(px[1]))) if px is not None else 0.0

    def view_to_scene(self, xy) -> QPointF:
        return self.vb.mapViewToScene(QPointF(float(xy[0]), float(xy[1])))

    # ---- gestures ------------------------------------------------------------------------
    def _on_click(self, xy, modifiers) -> None:
        if self.state.tool == "arrow":
            self.state.select_arrow(self._arrow_near(xy))
        elif self.state.tool == "explore":
            self.state.request_decode(xy)

    def _arrow_near(self, xy) -> int | None:
        e = self.state.active
        if e is None:
            return None
        best, best_d = None, 12 * self.pixel_size()
        for i, a in enumerate(e.arrows):
            if a.trace is None:
                continue
            pts = np.vstack([a.xy0[None], a.trace, a.xy1[None]])
            d = float(np.min(np.linalg.norm(pts - np.asarray(xy)[None], axis=1)))
            d = min(d, _segment_distance(xy, a.xy0, a.xy1))
            if d <= best_d:
                best, best_d = i, d
        return best

    def _on_drag(self, phase: str, xy, start, modifiers) -> None:
        kind, _, step = phase.partition(":")
        if kind == "explore":
            self.state.request_decode(xy)
        elif kind == "arrow":
            if step == "finish":
                self.draft.setData([], [])
                if np.linalg.norm(np.asarray(xy) - np.asarray(start)) > 2 * self.pixel_size():
                    self.state.add_arrow(start, xy, tolerance=SNAP_PX * self.pixel_size())
            else:
                self.draft.setData([start[0], xy[0]], [start[1], xy[1]])

    def _on_mouse_moved(self, scene_pos) -> None:
        if not self.vb.sceneBoundingRect().contains(scene_pos):
            return self.state.set_hover(None)
        p = self.vb.mapSceneToView(scene_pos)
        self.state.hover_at((p.x(), p.y()), HOVER_PX * self.pixel_size())

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
        """Apply scheduled scatter updates now (tests, screenshots)."""
        if self._refresh_timer.isActive():
            self._refresh_timer.stop()
            self._refresh()

    def _update_points(self) -> None:
        e = self.state.active
        if e is None or e.latent_map is None:
            self.scatter.clear()
            return
        pos = np.asarray(e.latent_map.positions, dtype=np.float32)
        self._set_scatter(pos)
        xmin, xmax, ymin, ymax = e.latent_map.bounds()
        self.vb.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.05)
        self._update_cursor()
        self._update_hover()
        self._update_placed()

    def _set_scatter(self, pos: np.ndarray) -> None:
        col = self.state.colouring()
        n = len(pos)
        if col is None or len(col.index) != n:
            brushes = np.full(n, pg.mkBrush(CATEGORY_COLOURS[0]), dtype=object)
        else:
            shared = np.empty(max(col.n_colours, 1), dtype=object)
            shared[:] = [pg.mkBrush(c) for c in palette(col.kind, col.n_colours)]
            brushes = shared[col.index]
        self.scatter.setData(pos=pos, data=np.arange(n), brush=brushes, pen=None,
                             size=POINT_SIZE)
        self._update_legend(col)

    def _update_colours(self) -> None:
        e = self.state.active
        if e is None or e.latent_map is None:
            return
        self._set_scatter(np.asarray(e.latent_map.positions, dtype=np.float32))

    def _update_legend(self, col) -> None:
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
        self.legend.show()

    def _update_cursor(self) -> None:
        xy = self.state.cursor_xy
        self.cursor.setData(pos=[] if xy is None else [tuple(map(float, xy))])

    def _update_hover(self) -> None:
        e, i = self.state.active, self.state.hover_index
        if e is None or e.latent_map is None or i is None or i >= e.n_points:
            self.hover_ring.setData(pos=[])
        else:
            self.hover_ring.setData(pos=[tuple(map(float, e.latent_map.positions[i]))])

    def _update_placed(self) -> None:
        e = self.state.active
        p = e.placed if e is not None else None
        self.placed.setData(pos=[] if p is None else [tuple(map(float, p.xy))])

    def _update_arrows(self) -> None:
        for items in self._arrow_items:
            for it in items:
                self.plot.removeItem(it)
        self._arrow_items = []
        e = self.state.active
        if e is None:
            return
        for i, a in enumerate(e.arrows):
            if a.xy0 is None or a.trace is None:
                continue
            chosen = i == self.state.selected_arrow
            colour = "#ffffff" if chosen else "#9aa0a6"
            line = pg.PlotCurveItem([a.xy0[0], a.xy1[0]], [a.xy0[1], a.xy1[1]],
                                    pen=pg.mkPen(colour, width=3 if chosen else 2))
            trace = pg.PlotDataItem(a.trace[:, 0], a.trace[:, 1],
                                    pen=pg.mkPen(TRACE_COLOUR, width=2 if chosen else 1),
                                    symbol="o", symbolSize=7 if chosen else 5,
                                    symbolBrush=TRACE_COLOUR, symbolPen=None)
            head = pg.ArrowItem(pos=(float(a.xy1[0]), float(a.xy1[1])), angle=_angle(a.xy0, a.xy1),
                                headLen=16, tailLen=None, brush=colour, pen=None)
            for it in (line, trace, head):
                it.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
                it.setZValue(15 if chosen else 10)
                self.plot.addItem(it)
            self._arrow_items.append((line, trace, head))

    def paintEvent(self, ev):  # noqa: N802 - Qt naming
        self.n_paints += 1
        super().paintEvent(ev)


def _angle(xy0, xy1) -> float:
    """ArrowItem angle for a head at xy1 coming from xy0.

    ArrowItem measures on screen: 0 points left, angles grow clockwise. The view's y axis
    points up while the screen's points down, hence the sign flip of dy.
    """
    d = np.asarray(xy1, float) - np.asarray(xy0, float)
    return 180.0 + float(np.degrees(np.arctan2(-d[1], d[0]))) if np.any(d) else 0.0


def _segment_distance(p, a, b) -> float:
    p, a, b = (np.asarray(v, float) for v in (p, a, b))
    ab = b - a
    t = 0.0 if not np.any(ab) else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
    return float(np.linalg.norm(p - (a + t * ab)))
