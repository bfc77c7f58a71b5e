"""Map methods by name: "auto" resolved for a set of codes, and the projection for each."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.latent.projection import (
    IdentityProjection,
    PCAProjection,
    Projection,
)
from latent_atlas.explorer.core.latent.umap_projection import (
    SUBSAMPLE,
    UMAP_MIN_POINTS,
    UMAPProjection,
)

METHODS = ("identity", "pca", "umap")


def resolve_method(method: str, codes: np.ndarray) -> str:
    if method == "auto":
        if codes.shape[1] == 2:
            return "identity"
        return "umap" if len(codes) >= UMAP_MIN_POINTS else "pca"
    if method not in METHODS:
        raise ValueError(f"unknown map method '{method}'; use auto, umap, pca or identity")
    return method


def make_projection(method: str, *, seed: int = 0, reproducible: bool = False,
                    subsample: int | None = SUBSAMPLE) -> Projection:
    """A projection by name: identity, pca or umap (UMAP fits at most `subsample` codes
    and places the rest; None fits all)."""
    if method == "identity":
        return IdentityProjection()
    if method == "pca":
        return PCAProjection()
    if method == "umap":
        return UMAPProjection(seed=seed, reproducible=reproducible, subsample=subsample)
    raise ValueError(f"unknown map method '{method}'; use auto, umap, pca or identity")


def fitted(method: str, codes: np.ndarray, positions: np.ndarray,
           extra: dict[str, np.ndarray]) -> Projection:
    """The fitted estimator of a stored map (nothing is fitted again)."""
    proj = make_projection(method)
    proj.restore(codes, positions, extra)
    return proj
