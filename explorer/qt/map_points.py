"""The map's points at any scale, in one graphics item that never styles a point alone.

Two ways to draw, chosen by how many points the view holds (counted in the map's
`PointGrid`, latent_atlas.explorer.core.latent.point_grid):

- points: the points in (and a margin around) the view, grouped by colour; each group is
  one `drawPixmapFragments` call stamping one pre-rendered dot (the dot pyqtgraph's own
  scatter draws), so a recolour regroups indices and a frame transforms numpy arrays;
- density: over `POINTS_MAX` points in view, a raster binned with numpy
  (latent_atlas.explorer.core.latent.map_render): an overview of all points, made when the data or
  its colours change, and a sharper one of the view, made when a pan or zoom settles.

The numbers (grids, groups, rasters) are computed in core; this module turns them into
pixmaps and images and decides when to recompute them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QRegion

from latent_atlas.explorer.core.latent.map_render import (
    ColourGroups,
    RasterBins,
    bin_points,
    colour_groups,
    density_rgba,
    premultiplied_argb32,
)
from latent_atlas.explorer.core.latent.point_grid import PointGrid, Rect

POINTS_MAX = 50_000  # more points than this in view: the density raster
POINTS_BACK = 40_000  # ...and back to points at this many (no flicker at the threshold)
MARGIN = 0.15  # points and rasters cover this fraction of the view more on each side
SETTLE_MS = 60  # a view raster is made once a pan or zoom pauses this long
MAX_RASTER_SIDE = 4096
SPREAD = 2  # a point covers spread x spread raster pixels


class _Raster:
    """One density image: its binning (kept across recolours) and the QImage drawn."""

    def __init__(self, bins: RasterBins):
        self.bins = bins
        self.image: QImage | None = None
        self._buffer: np.ndarray | None = None  # the QImage's memory

    @property
    def rect(self) -> QRectF:
        x0, x1, y0, y1 = self.bins.rect
        return QRectF(x0, y0, x1 - x0, y1 - y0)

    def cell_size(self) -> float:
        x0, x1, _y0, _y1 = self.bins.rect
        return (x1 - x0) / self.bins.shape[1]

    def colour(self, index: np.ndarray, rgb: np.ndarray, kind: str) -> None:
        argb = premultiplied_argb32(density_rgba(self.bins, index, rgb, kind, SPREAD))
        rows, cols = argb.shape
        self._buffer = np.ascontiguousarray(argb)
        self.image = QImage(self._buffer.data, cols, rows, cols * 4,
                            QImage.Format.Format_ARGB32_Premultiplied)


class PointCloud(pg.GraphicsObject):
    """All points of a map, drawn per colour group or as a density raster (see module)."""

    def __init__(self, size: float = 5.0):
        super().__init__()
        self.size = float(size)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.positions = np.zeros((0, 2), np.float32)
        self.index = np.zeros(0, np.int32)
        self.kind = "categorical"
        self.colours: list[QColor] = []
        self.mode = "points"  # or "density"
        self.drawn = 0  # points (or raster pixels) drawn by the last paint, for tests
        self._grid: PointGrid | None = None
        self._rgb = np.zeros((0, 3), np.uint8)
        self._dots: list[QPixmap] = []
        self._dots_dpr = 0.0
        self._bounds = QRectF()
        self._bounding: QRectF | None = None  # _bounds plus a dot's radius, in view units
        self._subset_rect: Rect | None = None  # what the point subset covers
        self._subset = np.zeros(0, np.int64)  # map indices of the subset, by colour group
        self._subset_xy = np.zeros((0, 2), np.float64)
        self._subset_starts = np.zeros(1, np.int64)
        self._overview: _Raster | None = None
        self._view_raster: _Raster | None = None
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_settle)

    # ---- data ------------------------------------------------------------------------------
    @property
    def n_points(self) -> int:
        return len(self.positions)

    def set_points(self, positions: np.ndarray, grid: PointGrid | None) -> None:
        """New positions (N x 2); `grid` indexes them (needed above POINTS_MAX points)."""
        self.prepareGeometryChange()
        self._bounding = None
        self.positions = np.ascontiguousarray(positions, dtype=np.float32)
        n = len(self.positions)
        self._grid = grid if n > POINTS_MAX else None
        if n > POINTS_MAX and grid is None:
            raise ValueError(f"{n} points need their PointGrid")
        if n:
            x0, x1, y0, y1 = (grid.bounds if grid is not None else (
                float(self.positions[:, 0].min()), float(self.positions[:, 0].max()),
                float(self.positions[:, 1].min()), float(self.positions[:, 1].max())))
            self._bounds = QRectF(x0, y0, x1 - x0, y1 - y0)
        else:
            self._bounds = QRectF()
        self.index = np.zeros(n, np.int32)
        self.mode = "points"
        self._subset_rect = None
        self._overview = self._view_raster = None
        self._choose_mode()
        self.informViewBoundsChanged()
        self.update()

    def set_colours(self, index: np.ndarray, kind: str, colours: list[QColor]) -> None:
        """Colour index of every point, `kind` ("categorical" or "continuous") and the
        colour of each index."""
        index = np.asarray(index)
        if index.shape != (self.n_points,):
            raise ValueError(f"need one colour index per point ({self.n_points}), "
                             f"not {index.shape}")
        self.index = index
        self.kind = kind
        self.colours = list(colours)
        self._rgb = np.array([[c.red(), c.green(), c.blue()] for c in self.colours],
                             np.uint8).reshape(-1, 3)
        self._dots_dpr = 0.0  # render the dots again
        if self._subset_rect is not None:
            self._group_subset(self._subset)
        if self._overview is not None:
            self._overview.image = None  # coloured again when drawn
        if self._view_raster is not None:
            self._view_raster.image = None
        self.update()

    def point_colour(self, i: int) -> QColor:
        """The colour point `i` is drawn with."""
        return self.colours[int(self.index[i])] if self.colours else QColor()

    def clear(self) -> None:
        self.set_points(np.zeros((0, 2), np.float32), None)

    # ---- view -------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt naming
        if self._bounding is None:
            if self.n_points == 0:
                self._bounding = QRectF()
            else:
                # Dots stick out of the positions' rectangle by their radius, in pixels.
                pw, ph = self._pixel_size()
                pad_x, pad_y = pw * self.size, ph * self.size
                self._bounding = self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)
        return QRectF(self._bounding)

    def _pixel_size(self) -> tuple[float, float]:
        """Map units per screen pixel along x and y (0 before the item is in a view)."""
        vb = self.getViewBox()
        if vb is None:
            return 0.0, 0.0
        px = vb.viewPixelSize()
        return (abs(float(px[0])), abs(float(px[1]))) if px is not None else (0.0, 0.0)

    def viewTransformChanged(self):  # noqa: N802 - pyqtgraph naming
        super().viewTransformChanged()  # forgets the cached view rectangle
        self.prepareGeometryChange()
        self._bounding = None
        self._choose_mode()

    def _view(self) -> Rect | None:
        r = self.viewRect()
        if r is None or r.width() <= 0 or r.height() <= 0:
            return None
        return (r.left(), r.right(), r.top(), r.bottom())

    def visible_count(self) -> float:
        """Points in view (estimated by the grid above POINTS_MAX points; all below)."""
        view = self._view()
        if self._grid is None or view is None:
            return float(self.n_points)
        return self._grid.count_in(view)

    def _choose_mode(self) -> None:
        """Points or raster for the current view; the point subset follows at once, a
        sharper raster once the view settles."""
        if self._grid is None:
            self.mode = "points"
            if self._subset_rect is None:
                self._subset_rect = (-np.inf, np.inf, -np.inf, np.inf)
                self._group_subset(np.arange(self.n_points, dtype=np.int64))
            return
        view = self._view()
        if view is None:
            return
        count = self._grid.count_in(view)
        limit = POINTS_BACK if self.mode == "density" else POINTS_MAX
        if count <= limit:
            self.mode = "points"
            if not _covers(self._subset_rect, view):
                self._take_subset(view)
        else:
            self.mode = "density"
            self._settle.start()

    def _take_subset(self, view: Rect) -> None:
        assert self._grid is not None
        rect = _expand(view, MARGIN)
        k = self._grid.sorted_in(rect)
        self._subset_rect = rect
        self._group_subset(self._grid.order[k])

    def _group_subset(self, members: np.ndarray) -> None:
        """Order the subset's points by colour group (one draw call per group)."""
        k = max(len(self.colours), int(self.index.max()) + 1 if len(self.index) else 1, 1)
        groups: ColourGroups = colour_groups(self.index[members], k)
        self._subset = members[groups.order]
        self._subset_xy = self.positions[self._subset].astype(np.float64)
        self._subset_starts = groups.starts

    def flush(self) -> None:
        """Make the raster a settled view would get now (tests, screenshots)."""
        if self._settle.isActive():
            self._settle.stop()
            self._on_settle()

    def _on_settle(self) -> None:
        if self.mode != "density" or self._grid is None:
            return
        view = self._view()
        pw, _ph = self._pixel_size()
        if view is None or pw <= 0:
            return
        self._ensure_overview()
        sharp_enough = self._overview is not None and self._overview.cell_size() <= 1.5 * pw
        r = self._view_raster
        if sharp_enough:
            self._view_raster = None
        elif r is None or not _covers(r.bins.rect, view) or not (
                0.6 * pw <= r.cell_size() <= 1.5 * pw):
            self._view_raster = self._make_raster(_expand(view, MARGIN))
        self.update()

    # ---- rasters ----------------------------------------------------------------------------
    def _make_raster(self, rect: Rect) -> _Raster | None:
        """A raster of `rect` at the view's pixel size (capped)."""
        pw, ph = self._pixel_size()
        if self._grid is None or pw <= 0 or ph <= 0:
            return None
        x0, x1, y0, y1 = rect
        cols = int(np.clip(np.ceil((x1 - x0) / pw), 1, MAX_RASTER_SIDE))
        rows = int(np.clip(np.ceil((y1 - y0) / ph), 1, MAX_RASTER_SIDE))
        return _Raster(bin_points(self._grid, self.positions, rect, (rows, cols)))

    def _ensure_overview(self) -> None:
        """The raster of all points, at the pixel size of the view that shows them all."""
        if self._overview is not None or self._grid is None:
            return
        vb = self.getViewBox()
        if vb is None:
            return
        x0, x1, y0, y1 = self._grid.bounds
        w, h = max(x1 - x0, 1e-12), max(y1 - y0, 1e-12)
        # The size the data has in a view fitted to it (the canvas adds 5 % padding).
        scale = 0.9 * min(max(vb.width(), 64.0) / w, max(vb.height(), 64.0) / h)
        pad_x, pad_y = 0.5 / scale, 0.5 / scale  # half a pixel: no point on an edge lost
        rect = (x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y)
        cols = int(np.clip(np.ceil((rect[1] - rect[0]) * scale), 1, MAX_RASTER_SIDE))
        rows = int(np.clip(np.ceil((rect[3] - rect[2]) * scale), 1, MAX_RASTER_SIDE))
        self._overview = _Raster(bin_points(self._grid, self.positions, rect, (rows, cols)))

    # ---- painting -----------------------------------------------------------------------------
    def paint(self, p: QPainter, *args) -> None:
        widget = args[1] if len(args) > 1 else None
        self.drawn = 0
        if self.n_points == 0 or not self.colours:
            return
        if self.mode == "density":
            self._paint_density(p)
        else:
            self._paint_points(p, widget)

    def _paint_density(self, p: QPainter) -> None:
        self._ensure_overview()
        detail, view = self._view_raster, self._view()
        if detail is not None:
            if detail.image is None:
                detail.colour(self.index, self._rgb, self.kind)
            p.drawImage(detail.rect, detail.image)
            self.drawn += detail.image.width() * detail.image.height()
            if view is not None and _covers(detail.bins.rect, view):
                return  # the overview would be hidden: not even recoloured
        overview = self._overview
        if overview is None:
            return
        if overview.image is None:
            overview.colour(self.index, self._rgb, self.kind)
        p.save()
        if detail is not None:
            # The sharp raster is transparent where it is empty: the overview must not
            # show through it, so it is drawn only around it (a clip in device pixels).
            t = p.transform()
            outside = QRegion(t.mapRect(overview.rect).toAlignedRect())
            outside -= QRegion(t.mapRect(detail.rect).toRect())
            p.resetTransform()
            p.setClipRegion(outside, Qt.ClipOperation.IntersectClip)
            p.setTransform(t)
        p.drawImage(overview.rect, overview.image)
        p.restore()
        self.drawn += overview.image.width() * overview.image.height()

    def _paint_points(self, p: QPainter, widget) -> None:
        dpr = float(widget.devicePixelRatioF()) if widget is not None else 1.0
        if dpr != self._dots_dpr or len(self._dots) != len(self.colours):
            no_pen = QPen(Qt.PenStyle.NoPen)
            self._dots = [QPixmap.fromImage(renderSymbol("o", self.size, no_pen, pg.mkBrush(c),
                                                         dpr=dpr)) for c in self.colours]
            self._dots_dpr = dpr
        xy = self._subset_xy
        if not len(xy):
            return
        view = self._view()
        keep = None
        if view is not None:
            pw, ph = self._pixel_size()
            x0, x1, y0, y1 = view
            rx, ry = pw * self.size, ph * self.size
            keep = ((xy[:, 0] >= x0 - rx) & (xy[:, 0] <= x1 + rx)
                    & (xy[:, 1] >= y0 - ry) & (xy[:, 1] <= y1 + ry))
        t = p.transform()
        dev_x = xy[:, 0] * t.m11() + xy[:, 1] * t.m21() + t.m31()
        dev_y = xy[:, 0] * t.m12() + xy[:, 1] * t.m22() + t.m32()
        p.resetTransform()
        starts = self._subset_starts
        for k, dot in enumerate(self._dots):
            a, b = int(starts[k]), int(starts[k + 1])
            if a == b:
                continue
            if keep is None:
                gx, gy = dev_x[a:b], dev_y[a:b]
            else:
                m = keep[a:b]
                gx, gy = dev_x[a:b][m], dev_y[a:b][m]
            if not len(gx):
                continue
            self._fragments.resize(len(gx))
            frags = self._fragments.ndarray()
            frags[:, 0] = gx
            frags[:, 1] = gy
            frags[:, 2:6] = (0.0, 0.0, dot.width(), dot.height())  # source rect
            frags[:, 6:10] = (1.0 / dpr, 1.0 / dpr, 0.0, 1.0)  # scale x, y, rotation, opacity
            p.drawPixmapFragments(*self._fragments.drawargs(), dot)
            self.drawn += len(gx)
        p.setTransform(t)


def _expand(rect: Rect, fraction: float) -> Rect:
    x0, x1, y0, y1 = rect
    dx, dy = (x1 - x0) * fraction, (y1 - y0) * fraction
    return x0 - dx, x1 + dx, y0 - dy, y1 + dy


def _covers(outer: Rect | None, inner: Rect) -> bool:
    return (outer is not None and outer[0] <= inner[0] and outer[1] >= inner[1]
            and outer[2] <= inner[2] and outer[3] >= inner[3])
