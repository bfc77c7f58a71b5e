"""How far a map position lies outside the data: the convex hull of the map's points.

`decode --xy` and the window say so when a point lies outside (the inverse there only
repeats the codes at the hull's edge, or, for a 2-D latent shown as itself, extrapolates
far from every code the model was trained on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HullDistance:
    """Distance of each point to the data's convex hull (0 inside) and the map's size (the
    larger of its x and y extents), to say "how far" in terms a user can read."""

    distance: np.ndarray  # (M,) map units, 0 inside the hull
    extent: float

    @property
    def outside(self) -> np.ndarray:
        return self.distance > 0


def hull_distance(positions: np.ndarray, xy: np.ndarray) -> HullDistance:
    """Distance of the points `xy` (M x 2) to the convex hull of `positions` (N x 2)."""
    pos = np.asarray(positions, dtype=np.float64)
    pts = np.atleast_2d(np.asarray(xy, dtype=np.float64))
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    extent = float(max(hi - lo))
    polygon = _hull_polygon(pos)
    with np.errstate(over="ignore", invalid="ignore"):  # --xy 1e308,1e308 is far, not an error
        distance = np.array([_outside_distance(polygon, p) for p in pts])
    distance = np.where(np.isfinite(distance), distance, np.inf)
    return HullDistance(distance=distance, extent=extent)


def _hull_polygon(pos: np.ndarray) -> np.ndarray:
    """The hull's corners in counter-clockwise order (fewer than 3 distinct points: the
    points themselves, a segment or one point)."""
    unique = np.unique(pos, axis=0)
    if len(unique) < 3:
        return unique
    try:
        from scipy.spatial import ConvexHull

        return unique[ConvexHull(unique).vertices]
    except Exception:  # noqa: BLE001 - all points on one line: the segment's two ends
        order = np.lexsort((unique[:, 1], unique[:, 0]))
        return unique[[order[0], order[-1]]]


def _outside_distance(polygon: np.ndarray, p: np.ndarray) -> float:
    """0 inside a counter-clockwise convex polygon, else the distance to its nearest edge."""
    n = len(polygon)
    if n >= 3:
        edges = np.roll(polygon, -1, axis=0) - polygon
        rel = p - polygon
        cross = edges[:, 0] * rel[:, 1] - edges[:, 1] * rel[:, 0]
        scale = np.abs(edges).max() or 1.0
        if np.all(cross >= -1e-12 * scale * scale):
            return 0.0
    if n == 1:
        return float(np.hypot(*(p - polygon[0])))
    starts = polygon if n >= 3 else polygon[:1]
    ends = np.roll(polygon, -1, axis=0) if n >= 3 else polygon[1:2]
    seg = ends - starts
    length2 = (seg ** 2).sum(axis=1)
    t = np.clip(((p - starts) * seg).sum(axis=1) / np.where(length2 > 0, length2, 1.0), 0, 1)
    nearest = starts + t[:, None] * seg
    return float(np.sqrt(((nearest - p) ** 2).sum(axis=1)).min())
