"""A uniform grid over a map's points: the spatial index of the map at scale.

The map canvas asks three things of up to a few million points, many times a second:
how many lie in the visible rectangle (to choose between drawing points and a density
raster), which ones they are (to draw them), and which one is nearest the mouse (hover
and click). The points are sorted by grid cell once (a radix sort of 16-bit cell ids,
tens of milliseconds at a million points, far less than building a k-d tree); then a
count is four lookups in a summed-area table of the cell counts, the points of a
rectangle are one slice of the sorted order per row of cells, and the nearest point is
searched in a block of cells around the query that grows until nothing outside it can
be nearer.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

MAX_CELLS_PER_SIDE = 256  # cell ids fit in 16 bits: numpy sorts them by radix sort
POINTS_PER_CELL = 8  # the average the grid aims at (fewer cells for fewer points)

Rect = tuple[float, float, float, float]  # (xmin, xmax, ymin, ymax), map units


def ranges_to_indices(starts: np.ndarray, ends: np.ndarray) -> npt.NDArray[np.int64]:
    """The integers of the half-open ranges [starts[i], ends[i]) concatenated, in order."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.maximum(np.asarray(ends, dtype=np.int64) - starts, 0)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    # Each output position is its range's start plus its offset within the range.
    first = np.cumsum(lengths) - lengths
    return np.repeat(starts - first, lengths) + np.arange(total, dtype=np.int64)


class PointGrid:
    """Points (N x 2) binned into a grid of at most 256 x 256 cells over their bounds.

    `sorted_xy` holds the positions in cell order (row by row, `order` maps them back
    to the caller's indices); `starts[c]:starts[c + 1]` are cell c's points in it.
    """

    def __init__(self, positions: npt.ArrayLike, cells_per_side: int | None = None):
        pos = np.ascontiguousarray(positions, dtype=np.float32)
        if pos.ndim != 2 or pos.shape[1] != 2:
            raise ValueError(f"positions must be an N x 2 array, not shape {pos.shape}")
        n = len(pos)
        if cells_per_side is None:
            cells_per_side = int(math.sqrt(max(n, 1) / POINTS_PER_CELL))
        g = int(min(max(cells_per_side, 1), MAX_CELLS_PER_SIDE))
        self.n_points = n
        self.cells_per_side = g
        if n:
            # column by column: a reduction along axis 0 of an N x 2 array is 30x slower
            lo = np.array([pos[:, 0].min(), pos[:, 1].min()], dtype=np.float64)
            hi = np.array([pos[:, 0].max(), pos[:, 1].max()], dtype=np.float64)
        else:
            lo, hi = np.zeros(2), np.ones(2)
        span = np.maximum(hi - lo, 1e-12 * np.maximum(np.abs(lo), 1.0))
        self.bounds: Rect = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
        self.origin = lo
        self.cell_size = span / g
        cx = self._cell_coord(pos[:, 0], 0)
        cy = self._cell_coord(pos[:, 1], 1)
        cell = (cy * g + cx).astype(np.uint16 if g * g <= 1 << 16 else np.uint32)
        self.order = np.argsort(cell, kind="stable").astype(np.int64)
        # One 8-byte gather per point (a row of two float32) is ~5x faster than pos[order].
        self.sorted_xy = pos.view(np.uint64).ravel().take(self.order).view(np.float32)
        self.sorted_xy = self.sorted_xy.reshape(n, 2)
        counts = np.bincount(cell, minlength=g * g).astype(np.int64)
        self.starts = np.zeros(g * g + 1, dtype=np.int64)
        np.cumsum(counts, out=self.starts[1:])
        self._table = np.zeros((g + 1, g + 1), dtype=np.int64)  # summed-area table
        self._table[1:, 1:] = counts.reshape(g, g).cumsum(axis=0).cumsum(axis=1)

    def _cell_coord(self, v: np.ndarray, axis: int) -> np.ndarray:
        c = np.floor((v - self.origin[axis]) / self.cell_size[axis])
        return np.clip(c, 0, self.cells_per_side - 1).astype(np.int32)

    def _cell_span(self, lo: float, hi: float, axis: int) -> tuple[int, int] | None:
        """Inclusive range of cells along `axis` that [lo, hi] touches (None: none)."""
        g = self.cells_per_side
        a = math.floor((lo - self.origin[axis]) / self.cell_size[axis])
        b = math.floor((hi - self.origin[axis]) / self.cell_size[axis])
        if not (math.isfinite(a) and math.isfinite(b)) or b < 0 or a > g - 1 or hi < lo:
            return None
        return max(a, 0), min(b, g - 1)

    # ---- rectangles ----------------------------------------------------------------------
    def count_in(self, rect: Rect) -> float:
        """Estimated points inside `rect`: exact for a rectangle on cell borders, and for
        cells it cuts, their count times the fraction it covers (enough to choose how to
        draw; O(1) by the summed-area table)."""
        if not (rect[1] >= rect[0] and rect[3] >= rect[2]):
            return 0.0
        return (self._cumulative(rect[1], rect[3]) - self._cumulative(rect[0], rect[3])
                - self._cumulative(rect[1], rect[2]) + self._cumulative(rect[0], rect[2]))

    def _cumulative(self, x: float, y: float) -> float:
        """Points below and left of (x, y): the summed-area table, interpolated
        bilinearly inside a cell."""
        g = self.cells_per_side
        fx = min(max((x - self.origin[0]) / self.cell_size[0], 0.0), float(g))
        fy = min(max((y - self.origin[1]) / self.cell_size[1], 0.0), float(g))
        if not (math.isfinite(fx) and math.isfinite(fy)):
            return 0.0
        i, j = min(int(fx), g - 1), min(int(fy), g - 1)
        tx, ty = fx - i, fy - j
        t = self._table
        return float((1 - ty) * ((1 - tx) * t[j, i] + tx * t[j, i + 1])
                     + ty * ((1 - tx) * t[j + 1, i] + tx * t[j + 1, i + 1]))

    def _block(self, i0: int, i1: int, j0: int, j1: int) -> npt.NDArray[np.int64]:
        """Positions in `sorted_xy` of the points in cells i0..i1 x j0..j1 (inclusive)."""
        g = self.cells_per_side
        rows = np.arange(j0, j1 + 1, dtype=np.int64) * g
        return ranges_to_indices(self.starts[rows + i0], self.starts[rows + i1 + 1])

    def sorted_in(self, rect: Rect) -> npt.NDArray[np.int64]:
        """Positions in `sorted_xy` of the points inside `rect` (borders included)."""
        xs, ys = self._cell_span(rect[0], rect[1], 0), self._cell_span(rect[2], rect[3], 1)
        if xs is None or ys is None:
            return np.zeros(0, dtype=np.int64)
        k = self._block(xs[0], xs[1], ys[0], ys[1])
        p = self.sorted_xy[k]
        inside = ((p[:, 0] >= rect[0]) & (p[:, 0] <= rect[1])
                  & (p[:, 1] >= rect[2]) & (p[:, 1] <= rect[3]))
        return k[inside]

    def indices_in(self, rect: Rect) -> npt.NDArray[np.int64]:
        """Indices (into the positions given) of the points inside `rect`, ascending."""
        return np.sort(self.order[self.sorted_in(rect)])

    # ---- nearest point -------------------------------------------------------------------
    def nearest(self, xy: npt.ArrayLike, max_distance: float | None = None) -> tuple[int, float]:
        """(index, distance) of the point nearest `xy`; (-1, inf) when there is none (or
        none within `max_distance`). Ties go to the lower index."""
        q = np.asarray(xy, dtype=np.float64).reshape(2)
        if self.n_points == 0 or not np.isfinite(q).all():
            return -1, math.inf
        if max_distance is not None:  # a query far off the points' bounding box
            x0, x1, y0, y1 = self.bounds
            dx, dy = max(x0 - q[0], q[0] - x1, 0.0), max(y0 - q[1], q[1] - y1, 0.0)
            if dx * dx + dy * dy > max_distance * max_distance:
                return -1, math.inf
        g = self.cells_per_side
        ci = math.floor((q[0] - self.origin[0]) / self.cell_size[0])
        cj = math.floor((q[1] - self.origin[1]) / self.cell_size[1])
        # Keep the block's cell numbers bounded for a query far outside the grid.
        ci, cj = min(max(ci, -2 * g), 3 * g), min(max(cj, -2 * g), 3 * g)
        best, best_d2 = -1, math.inf
        r = 0
        while True:
            i0, i1, j0, j1 = max(ci - r, 0), min(ci + r, g - 1), max(cj - r, 0), min(cj + r, g - 1)
            if i0 <= i1 and j0 <= j1:
                k = self._block(i0, i1, j0, j1)
                if len(k):
                    d2 = ((self.sorted_xy[k].astype(np.float64) - q) ** 2).sum(axis=1)
                    m = float(d2.min())
                    if m <= best_d2:
                        cand = int(self.order[k[d2 == m]].min())
                        if m < best_d2 or cand < best:
                            best, best_d2 = cand, m
            everything = ci - r <= 0 and cj - r <= 0 and ci + r >= g - 1 and cj + r >= g - 1
            # Every point outside the block is at least this far from q.
            margin = min(q[0] - (self.origin[0] + (ci - r) * self.cell_size[0]),
                         self.origin[0] + (ci + r + 1) * self.cell_size[0] - q[0],
                         q[1] - (self.origin[1] + (cj - r) * self.cell_size[1]),
                         self.origin[1] + (cj + r + 1) * self.cell_size[1] - q[1])
            if everything or best_d2 < margin * margin:
                break
            if max_distance is not None and margin > max_distance:
                break
            r = 2 * r + 1
        dist = math.sqrt(best_d2)
        if best < 0 or (max_distance is not None and dist > max_distance):
            return -1, math.inf
        return best, dist

    def nearest_many(self, xy: npt.ArrayLike, max_distance: float | None = None
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """`nearest` for M x 2 queries: (indices M, distances M)."""
        q = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        idx = np.empty(len(q), dtype=np.int64)
        dist = np.empty(len(q), dtype=np.float64)
        for i, p in enumerate(q):
            idx[i], dist[i] = self.nearest(p, max_distance)
        return idx, dist
