"""The numbers behind drawing a map of many points: colour groups and density rasters.

A view never styles points one by one. Points are drawn per colour group (one draw call
per group, from one numpy array), and when more points are on screen than can be drawn
smoothly, as a density raster: the points are binned into the pixels of the view with
`np.bincount`, each pixel takes the mean colour of its points (categories blend where
they mix; a continuous colouring takes the colour of its mean value) and an opacity that
grows with the log of its count, datashader-style. Binning (which pixel each point is
in) depends on the view only and is kept, so a recolour costs one to three weighted
counts. Qt-free: the canvas turns the arrays into pixmaps and an image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from latent_atlas.explorer.core.latent.point_grid import PointGrid, Rect

MIN_ALPHA = 0.65  # opacity of a pixel holding one point (denser pixels reach 1)


@dataclass
class ColourGroups:
    """Points ordered by colour: group k is `order[starts[k]:starts[k + 1]]`."""

    order: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]

    def group(self, k: int) -> npt.NDArray[np.int64]:
        return self.order[self.starts[k]:self.starts[k + 1]]


def colour_groups(index: npt.ArrayLike, n_colours: int) -> ColourGroups:
    """Group points by their colour index (0 <= index < n_colours), keeping their order."""
    idx = np.asarray(index).ravel()
    if len(idx) and (idx.min() < 0 or idx.max() >= n_colours):
        raise ValueError(f"colour indices must lie in 0..{n_colours - 1}")
    key = idx.astype(np.uint16) if n_colours <= 1 << 16 else idx
    order = np.argsort(key, kind="stable").astype(np.int64)  # radix sort for 16-bit keys
    starts = np.zeros(n_colours + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n_colours)[:n_colours], out=starts[1:])
    return ColourGroups(order, starts)


@dataclass
class RasterBins:
    """Which pixel of a `shape` (rows, columns) raster over `rect` each point falls in.

    Row 0 is the rectangle's ymin. `points` are the binned points' indices (None: all
    points, in their own order); `pixel` their flat pixel index; `counts` points per pixel.
    """

    rect: Rect
    shape: tuple[int, int]
    points: npt.NDArray[np.int64] | None
    pixel: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]

    @property
    def n_binned(self) -> int:
        return len(self.pixel)


def bin_points(grid: PointGrid, positions: np.ndarray, rect: Rect,
               shape: tuple[int, int]) -> RasterBins:
    """Bin the points inside `rect` into a raster of `shape` (rows, columns) pixels.

    `positions` are the points `grid` was built on. A rectangle holding all of them bins
    them in their own order; one holding most of them tests every point (cheaper than
    gathering); a smaller one bins only the grid's candidates.
    """
    rows, cols = max(int(shape[0]), 1), max(int(shape[1]), 1)
    x0, x1, y0, y1 = (float(v) for v in rect)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"a raster needs a rectangle of positive size, not {rect}")
    bx0, bx1, by0, by1 = grid.bounds
    points: npt.NDArray[np.int64] | None = None
    everything = bx0 >= x0 and bx1 <= x1 and by0 >= y0 and by1 <= y1
    most = not everything and grid.count_in(rect) > 0.4 * grid.n_points
    if everything or most:
        xy = positions
    else:
        k = grid.sorted_in(rect)
        points = grid.order[k]
        # one 8-byte gather per point (a row of two float32), far faster than xy[k]
        xy = grid.sorted_xy.view(np.uint64).ravel().take(k).view(np.float32).reshape(-1, 2)
    # float32 arithmetic: a pixel index needs ~12 bits, and it halves the memory traffic
    fx = (xy[:, 0] - np.float32(x0)) * np.float32(cols / (x1 - x0))
    fy = (xy[:, 1] - np.float32(y0)) * np.float32(rows / (y1 - y0))
    if most:
        inside = (fx >= 0) & (fx <= cols) & (fy >= 0) & (fy <= rows)
        points = np.flatnonzero(inside)
        fx, fy = fx[inside], fy[inside]
    ix = np.minimum(fx.astype(np.int32), cols - 1)
    iy = np.minimum(fy.astype(np.int32), rows - 1)
    np.maximum(ix, 0, out=ix)
    np.maximum(iy, 0, out=iy)
    pixel = iy.astype(np.int64) * cols + ix
    counts = np.bincount(pixel, minlength=rows * cols).astype(np.int64)
    return RasterBins((x0, x1, y0, y1), (rows, cols), points, pixel, counts)


def _spread(a: np.ndarray, spread: int) -> np.ndarray:
    """Sum of `a` (... x rows x cols) over a spread x spread box: each point covers that
    many pixels, so a lone point stays visible on a large screen."""
    if spread <= 1:
        return a
    rows, cols = a.shape[-2:]
    out = a.copy()
    for dy in range(spread):
        for dx in range(spread):
            if dx or dy:
                out[..., dy:, dx:] += a[..., :rows - dy, :cols - dx]
    return out


def density_rgba(bins: RasterBins, index: npt.ArrayLike, colours: npt.ArrayLike, kind: str,
                 spread: int = 2) -> npt.NDArray[np.uint8]:
    """The raster (rows x cols x 4 RGBA, straight alpha) of binned points coloured by
    `index` (one colour index per point of the map) through `colours` (K x 3 uint8).

    Categorical: the mean colour of a pixel's points. Continuous: the colour of the mean
    index. Opacity: MIN_ALPHA for one point, rising with log(count) to 1 at the densest.
    """
    rows, cols = bins.shape
    npix = rows * cols
    pal = np.asarray(colours, dtype=np.uint8).reshape(-1, 3)
    idx = np.asarray(index)
    c = idx if bins.points is None else idx[bins.points]
    continuous = kind == "continuous"
    # per pixel: the count, then the sum of the index (continuous) or of R, G and B
    acc = np.empty((2 if continuous else 4, rows, cols), dtype=np.float32)
    acc[0] = bins.counts.reshape(rows, cols)
    if continuous:
        acc[1] = np.bincount(bins.pixel, weights=c, minlength=npix).reshape(rows, cols)
    else:
        for ch in range(3):
            weights = pal[:, ch].astype(np.float32).take(c)
            acc[1 + ch] = np.bincount(bins.pixel, weights=weights,
                                      minlength=npix).reshape(rows, cols)
    acc = _spread(acc, spread)
    counts = acc[0]
    filled = counts > 0
    inverse = np.float32(1.0) / np.maximum(counts, np.float32(1.0))
    out = np.zeros((rows, cols, 4), dtype=np.uint8)
    if continuous:
        k = (acc[1] * inverse + np.float32(0.5)).astype(np.intp)
        out[..., :3] = pal[np.minimum(k, len(pal) - 1)]
    else:
        for ch in range(3):  # a mean of values in 0..255 stays in 0..255
            out[..., ch] = (acc[1 + ch] * inverse + np.float32(0.5)).astype(np.uint8)
    top = float(counts.max()) if filled.any() else 1.0
    scale = np.float32((1.0 - MIN_ALPHA) / np.log(max(top, 2.0)))
    alpha = np.log(np.maximum(counts, np.float32(1.0))) * scale + np.float32(MIN_ALPHA)
    out[..., 3] = np.where(filled, alpha * np.float32(255) + np.float32(0.5), 0).astype(np.uint8)
    return out


def premultiplied_argb32(rgba: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """RGBA uint8 (straight alpha) -> 0xAARRGGBB uint32 with premultiplied colour, the
    pixel format a raster paint engine draws without converting."""
    a = rgba[..., 3].astype(np.uint32)
    out = a << 24
    for ch, shift in ((0, 16), (1, 8), (2, 0)):
        out |= ((rgba[..., ch].astype(np.uint32) * a + 127) // 255) << shift
    return out.astype(np.uint32, copy=False)
