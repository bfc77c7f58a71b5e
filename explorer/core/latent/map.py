"""The latent map: 2-D positions of the codes plus both directions between plane and latent.

    gen = build_map(codes)                     # generator of MapProgress, returns LatentMap
    m = drain(gen)
    z = m.inverse((x, y))                      # any point of the plane -> code (< 1 ms)
    xy = m.place(z_new)                        # a code not in the data -> map position
    save_map("model.safetensors", m); m = load_map("model.safetensors")

This module imports numpy only; scipy (the triangulation) loads on the first inverse and
neither torch nor umap is ever imported here, so a stored map paints before torch loads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, Self

import numpy as np
import numpy.typing as npt

from latent_atlas.explorer.core.latent.methods import METHODS as METHODS
from latent_atlas.explorer.core.latent.methods import fitted, make_projection, resolve_method
from latent_atlas.explorer.core.latent.projection import (
    FIT_INDEX,
    MapProgress,
    Projection,
    check_fit_codes,
)
from latent_atlas.explorer.core.latent.umap_projection import SUBSAMPLE
from latent_atlas.explorer.core.progress import check_cancel, drain, relay

if TYPE_CHECKING:
    from os import PathLike

    from latent_atlas.explorer.core.latent.point_grid import PointGrid
    from latent_atlas.models.modelfile import ModelFile

MAP_FORMAT = 1

__all__ = ["LABELS_KEY", "LatentMap", "MapLike", "MapProgress", "build_map", "load_map",
           "map_file_parts", "quick_map", "save_map"]
# The labels of the map's points, stored beside the map (see save_map).
LABELS_KEY = "data.labels"

# `nearest_sample`: (index, distance) of one point, or (indices M, distances M) of M points;
# index -1 (distance inf) when no sample lies within the `max_distance` asked for
NearestSample = tuple[int, float] | tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]


class MapLike(Protocol):
    """What a session, a canvas and the click path use of a map.

    `LatentMap` and `AlignedMap` (latent_atlas.explorer.core.analysis.comparison.align) are both maps. The hot
    path of a click is `inverse` (map position -> code) and then `Decoder.decode`.
    """

    method: str
    codes: np.ndarray  # N x d float32
    positions: np.ndarray  # N x 2 float32
    params: dict[str, Any]  # JSON-able, stored with the map
    extra: dict[str, np.ndarray]

    @property
    def n_points(self) -> int: ...

    @property
    def dim(self) -> int: ...

    def prepare(self) -> Self: ...

    def unaligned(self) -> MapLike:
        """The map as it was fitted, in its own frame: itself, or an aligned map's base."""
        ...

    def inverse(self, xy: npt.ArrayLike) -> npt.NDArray[np.float32]: ...

    def place(self, z: npt.ArrayLike) -> npt.NDArray[np.float32]: ...

    def inside_hull(self, xy: npt.ArrayLike) -> npt.NDArray[np.bool_]: ...

    def nearest_sample(self, xy: npt.ArrayLike,
                       max_distance: float | None = None) -> NearestSample: ...

    def point_grid(self) -> PointGrid: ...

    def bounds(self) -> tuple[float, float, float, float]: ...

    def to_file_parts(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...


@dataclass
class LatentMap:
    """A fitted map: `codes` (N x d) at `positions` (N x 2), made by `method` with `params`.

    `extra` holds method-specific arrays (PCA mean and components, a subsample's fit
    index), stored with the map. Both directions between plane and latent are the fitted
    estimator's (`projection.py`: one placement and one inverse per method), rebuilt from
    the stored arrays; its triangulation and placement index are built lazily on first
    use (or by `prepare`).
    """

    method: str
    codes: np.ndarray
    positions: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    projection: Projection = field(init=False, repr=False, compare=False)
    _grid: PointGrid | None = field(default=None, init=False, repr=False, compare=False)
    # its own lock: a hover must not wait for a triangulation built in the background
    _grid_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                       compare=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown map method '{self.method}'")
        self.codes = check_fit_codes(self.codes)
        pos = np.asarray(self.positions)
        if pos.shape != (len(self.codes), 2):
            raise ValueError(f"positions must be {len(self.codes)} x 2 for {len(self.codes)} "
                             f"codes, not {pos.shape}")
        self.positions = np.ascontiguousarray(pos, dtype=np.float32)
        if not np.isfinite(self.positions).all():
            raise ValueError("map positions contain NaN or infinite values")
        if self.method == "identity" and self.dim != 2:
            raise ValueError(f"an identity map needs 2-D codes, not {self.dim}-D")
        if FIT_INDEX in self.extra:
            self.extra[FIT_INDEX] = _check_fit_index(self.extra[FIT_INDEX], len(self.codes))
        self.projection = fitted(self.method, self.codes, self.positions, self.extra)
        if self.method == "pca":  # only what the estimator keeps
            self.extra = self.projection.stored_extra()

    @property
    def n_points(self) -> int:
        return len(self.codes)

    @property
    def dim(self) -> int:
        return self.codes.shape[1]

    def prepare(self) -> Self:
        """Build the inverse and the placement index now (they are otherwise built lazily)."""
        self.projection.prepare()
        return self

    # --- plane -> latent -------------------------------------------------------------
    def inverse(self, xy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Code(s) at map position(s): (2,) -> (d,), (M, 2) -> (M, d), float32.

        Exact at the data points, continuous, defined on the whole plane (outside the data
        it takes the code of the nearest point of the data's convex hull). For a 2-D latent
        shown as itself ("identity") the inverse is the identity. A map fitted on a
        subsample is exact at the fitted points and interpolates between them elsewhere.
        """
        from latent_atlas.explorer.core.latent.inverse import _as_points

        p, single = _as_points(xy)
        z = self.projection.inverse_transform(p)
        return z[0] if single else z

    def inside_hull(self, xy: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Where `inverse` is honest: True inside the convex hull of the positions (it
        interpolates between data codes there), False outside (it only repeats the hull's
        codes: decodes there are not the model's, they paint rays). An identity map's
        inverse is exact everywhere, so all True. (2,) -> (1,), (M, 2) -> (M,)."""
        from latent_atlas.explorer.core.latent.inverse import _as_points

        return self.projection.inside_hull(_as_points(xy)[0])

    # --- latent -> plane -------------------------------------------------------------
    def place(self, z: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Map position(s) of code(s): (d,) -> (2,), (M, d) -> (M, 2), float32.

        Identity and PCA maps apply their exact (linear) projection. A UMAP map places a
        code at the inverse-distance-weighted positions of its nearest data codes; umap
        itself is never called (no numba compilation at click time).
        """
        from latent_atlas.explorer.core.latent.placement import _as_codes

        q, single = _as_codes(z, self.dim)
        xy = np.asarray(self.projection.transform(q), dtype=np.float32)
        return xy[0] if single else xy

    # --- the map itself --------------------------------------------------------------
    def unaligned(self) -> MapLike:
        """Itself: a fitted map is in its own frame (an `AlignedMap` returns its base)."""
        return self

    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) of the positions."""
        x, y = self.positions[:, 0], self.positions[:, 1]  # per column: 30x faster at 1M
        return float(x.min()), float(x.max()), float(y.min()), float(y.max())

    def point_grid(self) -> PointGrid:
        """The spatial index of the positions (built once, on first use; tens of ms at 1M)."""
        with self._grid_lock:
            if self._grid is None:
                from latent_atlas.explorer.core.latent.point_grid import PointGrid

                self._grid = PointGrid(self.positions)
            return self._grid

    def nearest_sample(self, xy: npt.ArrayLike,
                       max_distance: float | None = None) -> NearestSample:
        """Index of the sample nearest to a map position and its distance in map units;
        -1 (distance inf) when none lies within `max_distance`.

        (2,) -> (int, float); (M, 2) -> (indices M, distances M). Searched in the grid of
        `point_grid` (milliseconds at a million points), not by a scan.
        """
        from latent_atlas.explorer.core.latent.inverse import _as_points

        p, single = _as_points(xy)
        grid = self.point_grid()
        if single:
            return grid.nearest(p[0], max_distance)
        return grid.nearest_many(p, max_distance)

    # --- persistence -----------------------------------------------------------------
    def to_file_parts(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Metadata (JSON-able) and arrays named `map.*`, as stored in the model file."""
        meta = {"format": MAP_FORMAT, "method": self.method, "n_points": self.n_points,
                "dim": self.dim, "params": dict(self.params)}
        arrays = {"map.codes": self.codes, "map.positions": self.positions}
        for name, arr in self.extra.items():
            arrays[f"map.{name}"] = np.asarray(arr)
        return meta, arrays

    @classmethod
    def from_file_parts(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> LatentMap:
        """Rebuild from `to_file_parts` output (array names with or without `map.`)."""
        arrs = {k[4:] if k.startswith("map.") else k: v for k, v in arrays.items()}
        if not isinstance(meta, dict) or "method" not in meta:
            raise ValueError("the stored map has no method")
        if int(meta.get("format", 1)) > MAP_FORMAT:
            raise ValueError("the stored map was written by a newer Latent Atlas; refit it")
        if "codes" not in arrs or "positions" not in arrs:
            raise ValueError("the stored map is missing its codes or positions")
        extra = {k: v for k, v in arrs.items() if k not in ("codes", "positions")}
        return cls(method=meta["method"], codes=arrs["codes"], positions=arrs["positions"],
                   params=dict(meta.get("params") or {}), extra=extra)


def _check_fit_index(index: np.ndarray, n: int) -> np.ndarray:
    arr = np.asarray(index)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or not len(arr):
        raise ValueError("a map's fit index must be a list of row numbers")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n or (np.diff(arr) <= 0).any():
        raise ValueError(f"a map's fit index must be increasing row numbers below {n}")
    return arr


def fit_projection(proj: Projection, codes: np.ndarray, cancel: Any = None
                   ) -> Generator[MapProgress, None, float]:
    """Run `proj.fit_iter`, forwarding its progress (but not its "done"); return the
    fit time in seconds. Raises `Cancelled` if `cancel` was set meanwhile."""
    t0 = time.perf_counter()
    yield from relay(proj.fit_iter(codes, cancel=cancel),
                     lambda event: None if event.stage == "done" else event)
    check_cancel(cancel, "map fitting")
    return round(time.perf_counter() - t0, 3)


def build_map(codes: np.ndarray, method: str = "auto", *, seed: int = 0,
              reproducible: bool = False, cancel: Any = None,
              subsample: int | None = SUBSAMPLE) -> Generator[MapProgress, None, LatentMap]:
    """Fit a map of `codes`, yielding `MapProgress`; returns a ready `LatentMap`.

    "auto" is identity for a 2-D latent, else UMAP (PCA below 10 codes). `seed` applies
    when `reproducible` is True; reproducible UMAP runs single-threaded and is slower.
    Above `subsample` codes UMAP fits a subsample chosen by `seed` and places the rest
    (None: fit all). `cancel` (Event-like or callable) raises `Cancelled` at the next check.
    """
    codes = check_fit_codes(codes)
    method = resolve_method(method, codes)
    proj = make_projection(method, seed=seed, reproducible=reproducible, subsample=subsample)
    seconds = yield from fit_projection(proj, codes, cancel)
    params = {**proj.params(), "fit_seconds": seconds}
    extra = proj.stored_extra()
    yield MapProgress("inverse", 0.97, "preparing the map for live decoding")
    latent_map = LatentMap(method=method, codes=codes, positions=proj.embedding_,
                           params=params, extra=extra).prepare()
    yield MapProgress("done", 1.0, f"{method} map of {len(codes)} codes ready")
    return latent_map


def quick_map(codes: np.ndarray) -> LatentMap:
    """An instant PCA map (what the GUI shows while UMAP is still fitting)."""
    return drain(build_map(codes, "pca"))


def save_map(path: str | PathLike[str], latent_map: LatentMap,
             labels: np.ndarray | None = None) -> None:
    """Store the map in an existing model file (meta "map", arrays "map.*") with the labels
    of its points (`LABELS_KEY`, or none), in one atomic write: the file never holds a new
    map with old labels. Labels beside the map colour it at first paint."""
    from latent_atlas.models.modelfile import update_model_file

    meta, arrays = map_file_parts(latent_map, labels)
    update_model_file(path, {"map": meta}, arrays, drop_prefix=("map", LABELS_KEY))


def map_file_parts(latent_map: LatentMap, labels: np.ndarray | None = None
                   ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The map's metadata and arrays, plus its points' labels, as a model file stores them."""
    meta, arrays = latent_map.to_file_parts()
    if labels is not None:
        arrays[LABELS_KEY] = np.asarray(labels, dtype=np.int64)
    return meta, arrays


def load_map(source: str | PathLike[str] | ModelFile) -> LatentMap | None:
    """The map stored in a model file (path or `ModelFile`), or None when it has none.

    numpy only: never imports torch or umap. A damaged map raises `ModelFileError`.
    """
    from latent_atlas.models.modelfile import ModelFile, ModelFileError, read_model_file

    mf = source if isinstance(source, ModelFile) else read_model_file(source)
    meta = mf.meta.get("map")
    if not meta:
        return None
    try:
        return LatentMap.from_file_parts(meta, mf.group("map"))
    except (ValueError, TypeError) as exc:
        name = mf.path.name if mf.path else "the model file"
        raise ModelFileError(f"{name} holds a damaged map ({exc}); run "
                             "`latent-atlas project` again") from None
