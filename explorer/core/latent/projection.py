"""Projections of latent codes to the 2-D map: one estimator per method.

Each follows umap-learn's estimator style: parameters in `__init__`; `fit(codes)` (or the
generator `fit_iter(codes, cancel=None)`, which yields `MapProgress`); fitted attributes
ending in `_`; `transform(codes)` places codes on the plane and `inverse_transform(xy)`
gives the code at any point of the plane. The same fitted estimator serves the map's
fit, its placement and its inverse, so each method has exactly one of each:

| method   | transform (code -> plane)              | inverse_transform (plane -> code)        |
|----------|----------------------------------------|------------------------------------------|
| identity | the code itself (a 2-D latent)         | the point itself                         |
| pca      | the linear projection on 2 components  | triangulation of the fitted codes (exact |
|          |                                        | at every data point, see inverse.py)     |
| umap     | k-nearest-codes placement (placement.py)| the same triangulation                  |

A PCA map is inverted by triangulation, not by linear back-projection: the plane holds
two of d dimensions, and a click on a data point must give that point's code.

- `IdentityProjection`: the latent is already 2-D.
- `PCAProjection`: numpy SVD, instant; what the GUI shows while UMAP fits.
- `UMAPProjection` (`umap_projection.py`): umap-learn, imported lazily (it is slow to import
  and compiles numba code on first use).

`methods.fitted(method, codes, positions, extra)` rebuilds a fitted estimator from a
stored map without fitting anything.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from latent_atlas.explorer.core.inference import check_codes
from latent_atlas.explorer.core.progress import Progress, drain
from latent_atlas.explorer.core.threads import single_threaded_blas

if TYPE_CHECKING:
    from latent_atlas.explorer.core.latent.inverse import TriangulationInverse
    from latent_atlas.explorer.core.latent.placement import NeighbourPlacer

# Rows of the codes a map was fitted on when it was fitted on a subsample (stored extra).
FIT_INDEX = "fit_index"


@dataclass(frozen=True)
class MapProgress(Progress):
    """One step of building a map: `stage` name, overall `fraction` 0..1, readable message."""


def check_fit_codes(codes: np.ndarray) -> np.ndarray:
    """Codes to fit a map on: N x d finite numbers with N >= 1 (C-contiguous float32)."""
    arr = check_codes(codes)
    if len(arr) < 1:
        raise ValueError(f"codes must be an N x d array with N, d >= 1, not shape {arr.shape}")
    return arr


class Projection:
    """Base class: parameters in `__init__`, then `fit`, `transform`, `inverse_transform`.

    Fitted attributes: `codes_` (N x d, the codes fitted or placed), `embedding_` (N x 2,
    their positions) and `fit_index_` (the rows the method itself fitted; None for all).
    The placement and the inverse are built from the fitted rows on first use (or by
    `prepare`), under a lock, so a background thread can build them while clicks wait.
    """

    method = "base"
    codes_: np.ndarray
    embedding_: np.ndarray
    fit_index_: np.ndarray | None = None

    def fit_iter(self, codes: np.ndarray, cancel: Any = None
                 ) -> Generator[MapProgress, None, Projection]:
        raise NotImplementedError

    def fit(self, codes: np.ndarray) -> Projection:
        """Fit on N x d codes; returns self (positions in `embedding_`)."""
        return drain(self.fit_iter(codes))

    def params(self) -> dict[str, Any]:
        """JSON-able parameters, stored with the map."""
        return {}

    def stored_extra(self) -> dict[str, np.ndarray]:
        """Fitted arrays beyond codes and positions that a stored map keeps."""
        return {} if self.fit_index_ is None else {FIT_INDEX: self.fit_index_}

    def restore(self, codes: np.ndarray, positions: np.ndarray,
                extra: dict[str, np.ndarray]) -> None:
        """Set the fitted state from a stored map (the inverse of `stored_extra`)."""
        self.codes_, self.embedding_ = codes, positions
        self.fit_index_ = extra.get(FIT_INDEX)

    # --- shared by every method that triangulates --------------------------------------
    def _anchors(self) -> tuple[np.ndarray, np.ndarray]:
        """(codes, positions) that place and invert: the fitted rows (all, or the
        subsample; the other rows were placed from these)."""
        if self.fit_index_ is None:
            return self.codes_, self.embedding_
        return self.codes_[self.fit_index_], self.embedding_[self.fit_index_]

    def _lazy(self) -> threading.Lock:
        lock = self.__dict__.get("_build_lock")
        if lock is None:  # set once, before any thread can race for it (see prepare)
            lock = self.__dict__.setdefault("_build_lock", threading.Lock())
        return lock

    def triangulation(self) -> TriangulationInverse:
        """The triangulation of the fitted positions (built once)."""
        with self._lazy():
            tri = self.__dict__.get("_triangulation")
            if tri is None:
                from latent_atlas.explorer.core.latent.inverse import TriangulationInverse

                codes, positions = self._anchors()
                tri = self.__dict__["_triangulation"] = TriangulationInverse(positions, codes)
            return tri

    def placer(self) -> NeighbourPlacer:
        """The k-nearest-codes placement over the fitted codes (built once)."""
        with self._lazy():
            placer = self.__dict__.get("_placer")
            if placer is None:
                from latent_atlas.explorer.core.latent.placement import NeighbourPlacer

                placer = self.__dict__["_placer"] = NeighbourPlacer(*self._anchors())
            return placer

    def prepare(self) -> None:
        """Build the inverse (and a placement, where the method has one) now."""
        self._lazy()
        self.triangulation()

    def transform(self, codes: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Positions of M x d codes (M x 2)."""
        raise NotImplementedError

    def inverse_transform(self, xy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Codes at map positions: (2,) -> (d,), (M, 2) -> (M, d). Exact at the fitted
        points, continuous, defined on the whole plane (outside the data's hull it takes
        the code of the nearest hull point)."""
        return self.triangulation()(xy)

    def inside_hull(self, xy: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Where `inverse_transform` interpolates between data codes (True) rather than
        repeating the hull's codes (False). (2,) -> (1,), (M, 2) -> (M,)."""
        return self.triangulation().inside(xy)


class IdentityProjection(Projection):
    """The map is the latent space itself (2-D latents only): both directions are exact."""

    method = "identity"

    def fit_iter(self, codes, cancel=None):
        codes = check_fit_codes(codes)
        if codes.shape[1] != 2:
            raise ValueError(f"the identity map needs a 2-D latent; this one has "
                             f"{codes.shape[1]} dimensions (use pca or umap)")
        self.codes_ = codes
        self.embedding_ = codes.copy()
        yield MapProgress("done", 1.0, "using the 2-D latent as the map")
        return self

    def prepare(self) -> None:
        pass  # nothing to build

    def transform(self, codes):
        return np.asarray(codes, dtype=np.float32).copy()

    def inverse_transform(self, xy):
        return np.asarray(xy, dtype=np.float32).copy()

    def inside_hull(self, xy):
        p = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return np.ones(len(p), dtype=bool)


class PCAProjection(Projection):
    """The first two principal components (numpy SVD; no scikit-learn import)."""

    method = "pca"
    mean_: np.ndarray
    components_: np.ndarray

    def fit_iter(self, codes, cancel=None):
        codes = check_fit_codes(codes)
        x = codes.astype(np.float64)
        self.mean_ = x.mean(axis=0)
        with single_threaded_blas():  # a thin SVD: threads stall more than they help
            _, s, vt = np.linalg.svd(x - self.mean_, full_matrices=False)
        comps = np.zeros((2, x.shape[1]))
        n = min(2, len(vt))
        comps[:n] = vt[:n]
        # SVD signs are arbitrary; fix them so refits of the same codes look the same.
        for row in comps:
            j = np.argmax(np.abs(row))
            if row[j] < 0:
                row *= -1
        self.components_ = comps
        total = float((s ** 2).sum())
        self.explained_ = [float(v) / total if total > 0 else 0.0 for v in (s[:2] ** 2)]
        self.codes_ = codes
        self.embedding_ = self.transform(codes)
        yield MapProgress("done", 1.0, "PCA map ready")
        return self

    def transform(self, codes):
        x = np.asarray(codes, dtype=np.float64)
        return ((x - self.mean_) @ self.components_.T).astype(np.float32)

    def params(self):
        return {"explained_variance_ratio": self.explained_}

    def stored_extra(self):
        return {"pca_mean": self.mean_, "pca_components": self.components_}

    def restore(self, codes, positions, extra):
        mean = np.asarray(extra.get("pca_mean", ()), dtype=np.float64)
        comps = np.asarray(extra.get("pca_components", ()), dtype=np.float64)
        if mean.shape != (codes.shape[1],) or comps.shape != (2, codes.shape[1]):
            raise ValueError("a PCA map needs its mean and two components")
        super().restore(codes, positions, {})
        self.mean_, self.components_ = mean, comps
