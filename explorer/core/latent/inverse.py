"""The fast map inverse: any point of the plane -> a latent code, in well under a millisecond.

Why a triangulation: `umap.inverse_transform` re-triangulates the whole embedding on
every call (seconds per click). We build one Delaunay triangulation of the 2-D positions
once (tens of milliseconds for 10,000 points) and answer each query with a point
location plus barycentric interpolation of the three vertex codes. That is

- exact at the data points (a vertex's barycentric weight is 1 there),
- continuous (piecewise linear; neighbouring triangles share their edges' values),
- defined everywhere: outside the convex hull a point takes the code of its nearest
  point on the hull boundary (a linear blend along the nearest hull edge), which joins
  the inside continuously and never extrapolates to implausible codes.

A small learned inverse (an MLP from 2-D to d-D) would be smoother but is not exact at
the data points and needs training time; the triangulation needs neither.

Degenerate layouts are handled without exceptions: duplicate positions share the mean of
their codes, collinear positions use piecewise-linear interpolation along the line, and
a single distinct position maps everything to its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from latent_atlas.explorer.core.threads import single_threaded_blas

if TYPE_CHECKING:
    from scipy.spatial import Delaunay


def _as_points(xy: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], bool]:
    """(2,) or (M, 2) -> float64 (M, 2) and whether the input was a single point."""
    arr = np.asarray(xy, dtype=np.float64)
    single = arr.ndim == 1
    if single:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"map positions must be (2,) or (M, 2), not shape {np.shape(xy)}")
    if not np.isfinite(arr).all():
        raise ValueError("map positions must be finite numbers")
    return arr, single


def _nearest_on_segments(p: np.ndarray, a: np.ndarray, d: np.ndarray,
                         dd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For points p (M, 2) and segments a + t d (E, 2): index of the nearest segment and t."""
    rel = p[:, None, :] - a[None, :, :]                      # M x E x 2
    t = np.einsum("mej,ej->me", rel, d) / dd[None, :]
    np.clip(t, 0.0, 1.0, out=t)
    off = rel - t[..., None] * d[None, :, :]
    dist2 = np.einsum("mej,mej->me", off, off)
    best = np.argmin(dist2, axis=1)
    return best, t[np.arange(len(p)), best]


def _merge_duplicates(positions: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique positions, each with the mean code of the samples sharing it."""
    uniq, inv = np.unique(positions, axis=0, return_inverse=True)
    if len(uniq) == len(positions):
        return positions, codes
    inv = inv.reshape(-1)
    sums = np.zeros((len(uniq), codes.shape[1]), dtype=np.float64)
    np.add.at(sums, inv, codes)
    counts = np.bincount(inv, minlength=len(uniq)).astype(np.float64)
    return uniq, sums / counts[:, None]


class TriangulationInverse:
    """Piecewise-linear interpolation of codes over a Delaunay triangulation of positions."""

    def __init__(self, positions: np.ndarray, codes: np.ndarray) -> None:
        pos = np.asarray(positions, dtype=np.float64)
        z = np.asarray(codes, dtype=np.float64)
        if pos.ndim != 2 or pos.shape[1] != 2 or z.ndim != 2 or len(z) != len(pos) or not len(pos):
            raise ValueError(f"need N x 2 positions and N x d codes (N >= 1), got {pos.shape} "
                             f"and {z.shape}")
        if not (np.isfinite(pos).all() and np.isfinite(z).all()):
            raise ValueError("positions and codes must be finite")
        self.dim = z.shape[1]
        import scipy.spatial  # noqa: F401  (load scipy's BLAS before limiting its threads)

        with single_threaded_blas():  # thousands of tiny LAPACK calls (see threads.py)
            self._build(pos, z)

    def _build(self, pos: np.ndarray, z: np.ndarray) -> None:
        self.points, self.values = _merge_duplicates(pos, z)
        self._centre = self.points.mean(axis=0)
        self._reach = 1e6 * max(float(np.ptp(self.points, axis=0).max()), 1.0)
        self.mode = "constant"
        self._tri: Delaunay | None = None
        if len(self.points) >= 3 and not self._collinear(self.points):
            try:
                self._build_triangulation()
                self.mode = "triangulation"
            except Exception:  # qhull refuses nearly-degenerate input: fall back to the line
                self._tri = None
        if self.mode != "triangulation" and len(self.points) >= 2:
            self._build_line()
            self.mode = "line"

    @staticmethod
    def _collinear(points: np.ndarray) -> bool:
        centred = points - points.mean(axis=0)
        s = np.linalg.svd(centred, compute_uv=False)
        return bool(s[1] <= 1e-9 * max(s[0], 1e-300))

    def _build_triangulation(self) -> None:
        from scipy.spatial import Delaunay

        tri = Delaunay(self.points)
        self._tri = tri
        self._simplices = tri.simplices
        # computed here, once: find_simplex needs it and would otherwise compute it lazily
        # on the first click (outside the single-thread guard)
        self._transform = tri.transform               # nsimplex x 3 x 2 (barycentric)
        self._bad = ~np.isfinite(self._transform).all(axis=(1, 2))  # flat triangles
        edges = tri.convex_hull                        # hull segments as vertex pairs
        self._edge_i = edges[:, 0]
        self._edge_j = edges[:, 1]
        self._edge_a = self.points[self._edge_i]
        self._edge_d = self.points[self._edge_j] - self._edge_a
        self._edge_dd = np.maximum(np.einsum("ej,ej->e", self._edge_d, self._edge_d), 1e-300)

    def _build_line(self) -> None:
        origin = self.points.mean(axis=0)
        centred = self.points - origin
        direction = np.linalg.svd(centred, full_matrices=False)[2][0]
        s = centred @ direction
        s_u, inv = np.unique(s, return_inverse=True)
        values = np.zeros((len(s_u), self.dim))
        np.add.at(values, inv.reshape(-1), self.values)
        values /= np.bincount(inv.reshape(-1), minlength=len(s_u))[:, None]
        self._line = (origin, direction, s_u, values)
        if len(s_u) < 2:
            self.mode = "constant"

    def __call__(self, xy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Codes at map position(s): (2,) -> (d,), (M, 2) -> (M, d), float32."""
        p, single = _as_points(xy)
        p = self._pull_in(p)
        if self.mode == "triangulation":
            z = self._interpolate(p)
        elif self.mode == "line":
            z = self._interpolate_line(p)
        else:
            z = np.repeat(self.values[:1], len(p), axis=0)
        z = z.astype(np.float32)
        return z[0] if single else z

    def inside(self, xy: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True for the position(s) inside the convex hull of the data, where the inverse
        interpolates between codes; False outside, where it only projects onto the hull
        (a line or a single point has no inside). (2,) -> (1,), (M, 2) -> (M,)."""
        p, _ = _as_points(xy)
        if self.mode != "triangulation":
            return np.zeros(len(p), dtype=bool)
        assert self._tri is not None  # mode "triangulation" means it was built
        return np.asarray(self._tri.find_simplex(self._pull_in(p)) >= 0)

    def _pull_in(self, p: np.ndarray) -> np.ndarray:
        """Move points farther than a million map extents from the data towards it, along
        the same ray: their nearest hull point does not change, and the distances can no
        longer overflow (--xy 1e308,1e308 gives the edge of the map, not inf or NaN)."""
        rel = p - self._centre
        size = np.abs(rel).max(axis=1)  # the max-norm cannot overflow
        far = size > self._reach
        if not far.any():
            return p
        p = p.copy()
        p[far] = self._centre + rel[far] * (self._reach / size[far])[:, None]
        return p

    def _interpolate(self, p: np.ndarray) -> np.ndarray:
        assert self._tri is not None  # mode "triangulation" means it was built
        s = self._tri.find_simplex(p)
        out = np.empty((len(p), self.dim), dtype=np.float64)
        inside = s >= 0
        if inside.any():
            si = s[inside]
            good = ~self._bad[si]
            if good.all():
                out[inside] = self._barycentric(p[inside], si)
            else:  # a zero-area triangle: interpolate along its nearest edge instead
                idx = np.flatnonzero(inside)
                out[idx[good]] = self._barycentric(p[idx[good]], si[good])
                for k in idx[~good]:
                    out[k] = self._on_triangle_edges(p[k], s[k])
        outside = ~inside
        if outside.any():
            q = p[outside]
            e, t = _nearest_on_segments(q, self._edge_a, self._edge_d, self._edge_dd)
            zi = self.values[self._edge_i[e]]
            zj = self.values[self._edge_j[e]]
            out[outside] = zi + t[:, None] * (zj - zi)
        return out

    def _barycentric(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        tr = self._transform[s]
        b01 = np.einsum("mij,mj->mi", tr[:, :2, :], p - tr[:, 2, :])
        bary = np.concatenate([b01, 1.0 - b01.sum(axis=1, keepdims=True)], axis=1)
        return np.einsum("mk,mkd->md", bary, self.values[self._simplices[s]])

    def _on_triangle_edges(self, p: np.ndarray, s: int) -> np.ndarray:
        v = self._simplices[s]
        i, j = v[[0, 1, 2]], v[[1, 2, 0]]
        a = self.points[i]
        d = self.points[j] - a
        dd = np.maximum(np.einsum("ej,ej->e", d, d), 1e-300)
        e, t = _nearest_on_segments(p[None], a, d, dd)
        zi, zj = self.values[i[e[0]]], self.values[j[e[0]]]
        return zi + t[0] * (zj - zi)

    def _interpolate_line(self, p: np.ndarray) -> np.ndarray:
        origin, direction, s_u, values = self._line
        s = np.clip((p - origin) @ direction, s_u[0], s_u[-1])
        k = np.clip(np.searchsorted(s_u, s, side="right") - 1, 0, len(s_u) - 2)
        t = (s - s_u[k]) / (s_u[k + 1] - s_u[k])
        return values[k] + t[:, None] * (values[k + 1] - values[k])
