"""The selected samples of a session: a set of map points picked with the lasso or the box
(or set from Python), as opposed to the one ringed sample of the cursor.

Selections are sample indices, so they mean the same thing on every map of the same data
(the compare view mirrors them by index through `Link`). A gesture replaces the
selection, adds to it (Shift) or removes from it (Alt): `MODES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from psygnal import SignalInstance

    from latent_atlas.explorer.core.latent.map import MapLike

MODES = ("replace", "add", "remove")


class SelectionHost(Protocol):
    """What the selection reads of its session."""

    latent_map: MapLike | None
    selection_set_changed: SignalInstance

    @property
    def n_points(self) -> int: ...


def points_in_polygon(xy: np.ndarray, polygon: npt.ArrayLike) -> np.ndarray:
    """Which rows of `xy` (N x 2) lie inside `polygon` (K x 2, closed implicitly), by
    the even-odd rule: one vectorised pass per edge, points outside its box skipped."""
    xy = np.asarray(xy, np.float64)
    poly = np.asarray(polygon, np.float64).reshape(-1, 2)
    inside = np.zeros(len(xy), bool)
    if len(poly) < 3 or not len(xy):
        return inside
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    cand = np.flatnonzero((xy[:, 0] >= lo[0]) & (xy[:, 0] <= hi[0])
                          & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= hi[1]))
    px, py = xy[cand, 0], xy[cand, 1]
    hit = np.zeros(len(cand), bool)
    x0, y0 = poly[-1]
    for x1, y1 in poly:
        crosses = (y0 > py) != (y1 > py)
        if crosses.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                x_at = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
            hit ^= crosses & (px < x_at)
        x0, y0 = x1, y1
    inside[cand] = hit
    return inside


def points_in_box(xy: np.ndarray, corner0: npt.ArrayLike, corner1: npt.ArrayLike) -> np.ndarray:
    """Which rows of `xy` lie in the axis-aligned box between two corners."""
    a, b = np.asarray(corner0, np.float64), np.asarray(corner1, np.float64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    xy = np.asarray(xy)
    return ((xy[:, 0] >= lo[0]) & (xy[:, 0] <= hi[0])
            & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= hi[1]))


def check_indices(indices: npt.ArrayLike, n: int) -> np.ndarray:
    """Sample indices (or a mask of n) as sorted unique int64, each in 0..n-1: anything
    else is a readable error, never silently dropped. Scripts' sessions use it too."""
    idx = np.asarray(indices).ravel()
    if idx.dtype == bool:
        if len(idx) != n:
            raise ValueError(f"a selection mask needs one entry per map point ({n}), "
                             f"not {len(idx)}")
        idx = np.flatnonzero(idx)
    elif len(idx) and idx.dtype.kind not in "iu":
        raise ValueError("a selection is a list of sample indices (integers)")
    idx = np.unique(idx.astype(np.int64))
    if len(idx) and (idx[0] < 0 or idx[-1] >= n):
        bad = idx[0] if idx[0] < 0 else idx[-1]
        raise ValueError(f"sample {bad} is not on the map (it has {n:,} points, "
                         f"indices 0 to {n - 1:,})")
    return idx


class Selection:
    """The selection part of a session (see module docstring)."""

    def __init__(self, host: SelectionHost) -> None:
        self.host = host
        self._indices = np.zeros(0, np.int64)

    @property
    def indices(self) -> np.ndarray:
        """The selected sample indices, sorted (a copy: change it with `set_selection`)."""
        return self._indices.copy()

    @indices.setter
    def indices(self, value: npt.ArrayLike) -> None:
        self.set_selection(value)

    def set_selection(self, indices: npt.ArrayLike, mode: str = "replace") -> int:
        """Replace, add to or remove from the selection; returns how many are selected.
        Indices outside the map are a readable error, never silently dropped."""
        if mode not in MODES:
            raise ValueError(f"selection mode must be one of {', '.join(MODES)}, not {mode!r}")
        idx = check_indices(indices, self.host.n_points)
        if mode == "add":
            idx = np.union1d(self._indices, idx)
        elif mode == "remove":
            idx = np.setdiff1d(self._indices, idx, assume_unique=True)
        if not np.array_equal(idx, self._indices):
            self._indices = idx
            self.host.selection_set_changed.emit()
        return len(self._indices)

    def select_polygon(self, polygon: npt.ArrayLike, mode: str = "replace") -> int:
        """Select the samples inside a lasso drawn in map coordinates."""
        m = self.host.latent_map
        if m is None:
            return 0
        return self.set_selection(np.flatnonzero(points_in_polygon(m.positions, polygon)), mode)

    def select_box(self, corner0: npt.ArrayLike, corner1: npt.ArrayLike,
                   mode: str = "replace") -> int:
        """Select the samples in the box between two map corners."""
        m = self.host.latent_map
        if m is None:
            return 0
        return self.set_selection(
            np.flatnonzero(points_in_box(m.positions, corner0, corner1)), mode)

    def clear_selection(self) -> None:
        self.set_selection(np.zeros(0, np.int64))

    def selection_mask(self) -> np.ndarray:
        """One bool per map point: selected or not."""
        mask = np.zeros(self.host.n_points, bool)
        if len(self._indices) and self._indices[-1] < len(mask):
            mask[self._indices] = True
        return mask

    def follow_map(self) -> None:
        """A map with another number of points (other data): the old indices mean nothing."""
        if len(self._indices) and self._indices[-1] >= self.host.n_points:
            self._indices = np.zeros(0, np.int64)
            self.host.selection_set_changed.emit()
