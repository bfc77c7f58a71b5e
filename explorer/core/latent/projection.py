"""Projections of latent codes to the 2-D map, behind one estimator-style interface.

Every projection has `fit(codes)`, `transform(codes)` (2-D positions) and `inverse(xy)`
(codes); `fit_iter(codes, cancel=None)` is the generator form that yields `MapProgress`.

- `IdentityProjection`: the latent is already 2-D.
- `PCAProjection`: numpy SVD, instant; what the GUI shows while UMAP fits.
- `UMAPProjection` (`umap_projection.py`): umap-learn, imported lazily (it is slow to import
  and compiles numba code on first use).

UMAP lives in `umap_projection.py` (its speed-ups are explained there).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.core.inference import check_codes
from explorer.core.progress import Progress, drain
from explorer.core.threads import single_threaded_blas


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
    """Base class: parameters in `__init__`, then `fit`, `transform`, `inverse`."""

    method = "base"
    embedding_: np.ndarray  # N x 2 positions of the fitted codes, set by `fit_iter`

    def fit_iter(self, codes: np.ndarray, cancel: Any = None
                 ) -> Generator[MapProgress, None, Projection]:
        raise NotImplementedError

    def fit(self, codes: np.ndarray) -> Projection:
        """Fit on N x d codes; returns self (positions in `embedding_`)."""
        return drain(self.fit_iter(codes))

    def transform(self, codes: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def inverse(self, xy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """JSON-able parameters, stored with the map."""
        return {}


class IdentityProjection(Projection):
    """The map is the latent space itself (2-D latents only)."""

    method = "identity"

    def fit_iter(self, codes, cancel=None):
        codes = check_fit_codes(codes)
        if codes.shape[1] != 2:
            raise ValueError(f"the identity map needs a 2-D latent; this one has "
                             f"{codes.shape[1]} dimensions (use pca or umap)")
        self.embedding_ = codes.copy()
        yield MapProgress("done", 1.0, "using the 2-D latent as the map")
        return self

    def transform(self, codes):
        return check_fit_codes(np.atleast_2d(codes)).copy()

    def inverse(self, xy):
        return np.asarray(xy, dtype=np.float32).copy()


class PCAProjection(Projection):
    """The first two principal components (numpy SVD; no scikit-learn import)."""

    method = "pca"

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
        self.embedding_ = self.transform(codes)
        yield MapProgress("done", 1.0, "PCA map ready")
        return self

    def transform(self, codes):
        x = np.asarray(codes, dtype=np.float64)
        return ((x - self.mean_) @ self.components_.T).astype(np.float32)

    def inverse(self, xy):
        """Linear back-projection onto the PCA plane (not exact at data points)."""
        return (np.asarray(xy, dtype=np.float64) @ self.components_ + self.mean_).astype(np.float32)

    def params(self):
        return {"explained_variance_ratio": self.explained_}
