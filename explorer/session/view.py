"""Where a map view looks, without Qt: the Home frame.

Home fits the data with a margin and keeps the legend (or the colour bar) off the points:
the legend's corner is reserved as a band along the left or along the top, whichever
leaves the data more room. The compare window frames both maps' bounds together, so the
two share one frame.
"""

from __future__ import annotations

from collections.abc import Iterable

Rect = tuple[float, float, float, float]  # x0, x1, y0, y1

HOME_MARGIN = 0.05  # of the view's width and height, kept empty around the data
LEGEND_GAP_PX = 10.0


def union_bounds(rects: Iterable[Rect | None]) -> Rect | None:
    """The smallest rectangle holding every given one (None when none is given)."""
    rs = [r for r in rects if r is not None]
    if not rs:
        return None
    return (min(r[0] for r in rs), max(r[1] for r in rs),
            min(r[2] for r in rs), max(r[3] for r in rs))


def home_range(bounds: Rect, view_px: tuple[float, float],
               legend_px: tuple[float, float] = (0.0, 0.0),
               margin: float = HOME_MARGIN) -> Rect:
    """The view range (x0, x1, y0, y1) that shows `bounds` inside a `view_px` (width,
    height) view with `margin` around it, clear of a legend of `legend_px` (width, height)
    in the top-left corner (see module docstring)."""
    x0, x1, y0, y1 = (float(v) for v in bounds)
    if not x1 > x0:
        x0, x1 = x0 - 0.5, x1 + 0.5
    if not y1 > y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    w, h = max(float(view_px[0]), 16.0), max(float(view_px[1]), 16.0)
    lw, lh = (max(0.0, float(v)) for v in legend_px)
    mx, my = margin * w, margin * h
    left, top = mx, my
    if lw > 0 and lh > 0:
        # Reserve a band beside the legend or under it: the one that leaves more area.
        beside = max(w - lw - LEGEND_GAP_PX - 2 * mx, 1.0) * max(h - 2 * my, 1.0)
        under = max(w - 2 * mx, 1.0) * max(h - lh - LEGEND_GAP_PX - 2 * my, 1.0)
        if beside >= under:
            left = max(mx, lw + LEGEND_GAP_PX)
        else:
            top = max(my, lh + LEGEND_GAP_PX)
    inner_w, inner_h = max(w - left - mx, 1.0), max(h - top - my, 1.0)
    ux, uy = (x1 - x0) / inner_w, (y1 - y0) / inner_h  # map units per pixel
    return (x0 - left * ux, x1 + mx * ux, y0 - my * uy, y1 + top * uy)


def contains(outer: Rect, inner: Rect) -> bool:
    return (outer[0] <= inner[0] and outer[1] >= inner[1]
            and outer[2] <= inner[2] and outer[3] >= inner[3])


THUMBNAILS_MAX = 300  # at most this many points in view: draw their images instead


def thumbnails_in_view(positions, view: Rect, limit: int = THUMBNAILS_MAX):
    """Indices of the points in `view` when there are at most `limit` of them, else None
    (too many to draw as pictures: the dots stay)."""
    import numpy as np

    pos = np.asarray(positions)
    x0, x1, y0, y1 = view
    inside = np.flatnonzero((pos[:, 0] >= x0) & (pos[:, 0] <= x1)
                            & (pos[:, 1] >= y0) & (pos[:, 1] <= y1))
    return inside if len(inside) <= limit else None
