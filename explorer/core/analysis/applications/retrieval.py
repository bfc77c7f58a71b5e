"""Retrieval: the k data samples whose latent codes lie nearest to a query code.

    hits = nearest_codes(codes, query, k=8)                    # indices + distances
    hits = retrieve_at_point(latent_map, (x, y), k=8)          # a clicked map point
    hits = retrieve_image(model, picture, codes, k=8)          # the user's own image

Distances are measured in the latent space (not on the 2-D map), so a neighbour is a
sample the model considers similar even when UMAP placed it elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    as_batch,
    check_label,
    check_model,
    to_unit,
)
from latent_atlas.explorer.core.inference import encode_posterior

Metric = Literal["euclidean", "cosine"]
_CHUNK = 8192  # codes per distance block: bounded memory for 60,000-sample sets


@dataclass
class Neighbours:
    """The `k` nearest samples: `indices` into the codes, `distances`, nearest first;
    `query` the code searched for."""

    indices: np.ndarray
    distances: np.ndarray
    query: np.ndarray

    def __len__(self) -> int:
        return len(self.indices)


def _check_data_codes(codes: Any) -> np.ndarray:
    z = np.asarray(codes, dtype=np.float32)
    if z.ndim != 2 or len(z) == 0:
        raise ApplicationError(f"the data codes must be a non-empty N x d array, not shape {z.shape}")
    if not np.isfinite(z).all():
        raise ApplicationError("the data codes contain NaN or infinite values")
    return z


def _check_k(k: int) -> int:
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ApplicationError(f"k must be a whole number >= 1, not {k}")
    return int(k)


def nearest_codes(codes: np.ndarray, query: np.ndarray, k: int = 8, *,
                  metric: Metric = "euclidean", exclude: Any = None) -> Neighbours:
    """The `k` codes (rows of `codes`, N x d) nearest to `query` (d,).

    `metric` is "euclidean" or "cosine" (1 - cosine similarity). `exclude` lists indices
    never returned (the query sample itself). Fewer than k hits when the data is small.
    """
    z = _check_data_codes(codes)
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    if q.shape != (z.shape[1],):
        raise ApplicationError(f"the query code has {q.size} values but the data codes have "
                               f"{z.shape[1]}")
    if not np.isfinite(q).all():
        raise ApplicationError("the query code must be finite (no NaN or infinity)")
    k = _check_k(k)
    if metric not in ("euclidean", "cosine"):
        raise ApplicationError(f"metric must be euclidean or cosine, not {metric!r}")
    dist = np.empty(len(z), dtype=np.float64)
    q64 = q.astype(np.float64)
    qn = np.linalg.norm(q64)
    for s in range(0, len(z), _CHUNK):
        block = z[s:s + _CHUNK].astype(np.float64)
        if metric == "euclidean":
            dist[s:s + len(block)] = np.sqrt(((block - q64) ** 2).sum(axis=1))
        else:
            norms = np.linalg.norm(block, axis=1) * qn
            sim = np.divide(block @ q64, norms, out=np.zeros(len(block)), where=norms > 0)
            dist[s:s + len(block)] = 1.0 - sim
    if exclude is not None:
        ex = np.asarray(exclude, dtype=np.int64).reshape(-1)
        dist[ex[(ex >= 0) & (ex < len(z))]] = np.inf
    available = int(np.isfinite(dist).sum())
    k = min(k, available)
    if k == 0:
        raise ApplicationError("no samples are left to retrieve")
    part = np.argpartition(dist, k - 1)[:k] if k < len(dist) else np.arange(len(dist))
    # Sort the k candidates by distance, ties by index, so results are reproducible.
    order = np.lexsort((part, dist[part]))
    idx = part[order][:k]
    return Neighbours(indices=idx.astype(np.int64), distances=dist[idx], query=q)


def retrieve_sample(codes: np.ndarray, index: int, k: int = 8, **kwargs: Any) -> Neighbours:
    """The k samples nearest to sample `index` (itself excluded)."""
    z = _check_data_codes(codes)
    if isinstance(index, bool) or int(index) != index or not 0 <= index < len(z):
        raise ApplicationError(f"sample {index} is out of range: there are {len(z)} samples "
                               f"(0..{len(z) - 1})")
    return nearest_codes(z, z[int(index)], k, exclude=[int(index)], **kwargs)


def retrieve_at_point(latent_map: Any, xy: Any, k: int = 8, *, codes: np.ndarray | None = None,
                      **kwargs: Any) -> Neighbours:
    """The k samples nearest (in latent space) to the code under map point `xy`.

    The code is `latent_map.inverse(xy)`; `codes` defaults to the map's own codes.
    """
    try:
        p = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError):
        p = np.full(3, np.nan)  # not numbers: reported below
    if p.shape != (2,) or not np.isfinite(p).all():
        raise ApplicationError(f"a map point is two finite numbers (x, y), not {xy!r}")
    if latent_map is None:
        raise ApplicationError("there is no map yet; build one first")
    query = latent_map.inverse(p)
    return nearest_codes(latent_map.codes if codes is None else codes, query, k, **kwargs)


def retrieve_image(model: Any, image: np.ndarray, codes: np.ndarray, k: int = 8, *,
                   label: int | None = None, **kwargs: Any) -> Neighbours:
    """The k samples nearest to the mean code of one uint8 image (C x H x W).

    A conditional model encodes the image under `label` (default: its default label).
    """
    check_model(model)
    batch, _ = as_batch(model, image)
    if len(batch) != 1:
        raise ApplicationError(f"give one image to search with, not {len(batch)}")
    lab = check_label(model, label)
    y = None if lab is None else np.array([lab], dtype=np.int64)
    mu, _ = encode_posterior(model, to_unit(batch), labels=y)
    return nearest_codes(codes, mu[0], k, **kwargs)
