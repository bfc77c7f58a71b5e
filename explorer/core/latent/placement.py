"""Place codes that are not in the data on a fitted map, without UMAP at click time.

`umap.transform` would compile numba code and build a search index on the first click.
Instead a code is placed at the inverse-distance-weighted mean of the map positions of
its k nearest data codes (exact brute-force search in numpy; ~0.1 ms for 10,000 16-D
codes). A code equal to a data code lands exactly on that sample; a code between two
clusters lands between them, and the position moves continuously with the code.

`place_codes` places many codes at once (the points of a map fitted on a subsample):
exact search while the work is small, else the nearest neighbours come from an
approximate index (pynndescent, which umap-learn already depends on); brute force over
50,000 codes for 950,000 queries is ~50 billion distances, minutes on two cores, while
the index answers in seconds with most true neighbours found (the map's quality is
measured, not assumed: see `trustworthiness_sample`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import numpy.typing as npt

from latent_atlas.explorer.core.progress import check_cancel

# Above this many query x data distances `place_codes` uses the approximate index.
EXACT_WORK_MAX = 2_000_000_000
PLACE_BLOCK = 16384


def _as_codes(z: npt.ArrayLike, dim: int) -> tuple[npt.NDArray[np.float64], bool]:
    arr = np.asarray(z, dtype=np.float64)
    single = arr.ndim == 1
    if single:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"codes must be ({dim},) or (M, {dim}), not shape {np.shape(z)}")
    if not np.isfinite(arr).all():
        raise ValueError("codes must be finite numbers")
    return arr, single


def knn_search(data: np.ndarray, sq_norms: np.ndarray, queries: np.ndarray, k: int,
               block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of `data` for each query: (indices M x k, squared distances)."""
    n = len(data)
    k = min(k, n)
    idx = np.empty((len(queries), k), dtype=np.int64)
    dist2 = np.empty((len(queries), k), dtype=np.float64)
    for start in range(0, len(queries), block):
        q = queries[start:start + block]
        # |q - x|^2 = |x|^2 - 2 q.x + |q|^2; the |q|^2 term does not change the ranking.
        # A few queries use einsum's own loop rather than threaded BLAS, whose workers
        # stall for milliseconds when the other core is busy.
        prod = np.einsum("mj,nj->mn", q, data) if len(q) <= 8 else q @ data.T
        score = sq_norms[None, :] - 2.0 * prod
        if k < n:
            cand = np.argpartition(score, k - 1, axis=1)[:, :k]
        else:
            cand = np.broadcast_to(np.arange(n), score.shape).copy()
        # Recompute the few candidate distances directly: the expanded form loses
        # precision exactly where it matters (a query equal to a data code).
        diff = data[cand] - q[:, None, :]
        d2 = np.einsum("mkj,mkj->mk", diff, diff)
        order = np.argsort(d2, axis=1)
        idx[start:start + len(q)] = np.take_along_axis(cand, order, axis=1)
        dist2[start:start + len(q)] = np.take_along_axis(d2, order, axis=1)
    return idx, dist2


class NeighbourPlacer:
    """Inverse-distance-weighted placement over the k nearest data codes."""

    def __init__(self, codes: np.ndarray, positions: np.ndarray, k: int = 8) -> None:
        self.codes = np.ascontiguousarray(codes, dtype=np.float64)
        self.positions = np.asarray(positions, dtype=np.float64)
        self.k = max(1, min(int(k), len(self.codes)))
        self._sq = np.einsum("ij,ij->i", self.codes, self.codes)

    def __call__(self, z: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Map position(s) for code(s): (d,) -> (2,), (M, d) -> (M, 2), float32."""
        q, single = _as_codes(z, self.codes.shape[1])
        idx, d2 = knn_search(self.codes, self._sq, q, self.k)
        xy = weighted_positions(idx, d2, self.positions)
        return xy[0] if single else xy


def weighted_positions(idx: np.ndarray, d2: np.ndarray, positions: np.ndarray
                       ) -> npt.NDArray[np.float32]:
    """Inverse-squared-distance mean of the neighbours' positions (M x k -> M x 2)."""
    exact = d2 <= 0.0
    with np.errstate(divide="ignore"):
        w = np.where(exact, 0.0, 1.0 / d2)  # weight ~ 1 / distance^2
    has_exact = exact.any(axis=1)
    w[has_exact] = exact[has_exact]  # a code in the data sits on its sample(s)
    w /= w.sum(axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = np.einsum(
        "mk,mkj->mj", w, np.asarray(positions, dtype=np.float64)[idx]).astype(np.float32)
    return out


def place_codes(codes: np.ndarray, positions: np.ndarray, queries: np.ndarray, *, k: int = 8,
                seed: int = 0, cancel: Any = None, exact: bool | None = None
                ) -> Generator[float, None, npt.NDArray[np.float32]]:
    """Map positions of many `queries` on a map of `codes` at `positions`, yielding the
    fraction done; `cancel` is checked between blocks.

    `exact` None chooses: exact search up to `EXACT_WORK_MAX` distances, else an
    approximate pynndescent index (seeded, one thread: the same seed places the same).
    """
    data = np.ascontiguousarray(codes, dtype=np.float32)
    q = np.ascontiguousarray(queries, dtype=np.float32)
    m = len(q)
    out = np.empty((m, 2), dtype=np.float32)
    if m == 0:
        return out
    k = max(1, min(int(k), len(data)))
    if exact is None:
        exact = m * len(data) <= EXACT_WORK_MAX
    if exact:
        placer = NeighbourPlacer(data, positions, k=k)

        def search(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return knn_search(placer.codes, placer._sq, block.astype(np.float64), k)
    else:
        index = _approximate_index(data, seed)
        check_cancel(cancel, "placing codes")

        def search(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            idx, dist = index.query(block, k=k)
            return idx, dist.astype(np.float64) ** 2

    for start in range(0, m, PLACE_BLOCK):
        check_cancel(cancel, "placing codes")
        stop = min(m, start + PLACE_BLOCK)
        idx, d2 = search(q[start:stop])
        out[start:stop] = weighted_positions(idx, d2, positions)
        yield stop / m
    return out


def _approximate_index(data: np.ndarray, seed: int) -> Any:
    """A pynndescent index over `data`. Its numba kernels compile once per numba cache
    (UMAP fits point the cache at a user folder first: `configure_numba_cache`)."""
    from pynndescent import NNDescent

    index = NNDescent(data, n_neighbors=30, random_state=seed, n_jobs=1, verbose=False)
    index.prepare()
    return index


def trustworthiness_sample(codes: np.ndarray, positions: np.ndarray, sample: np.ndarray,
                           n_neighbors: int = 10) -> float:
    """Trustworthiness (Venna & Kaski 2001; scikit-learn) of the map on the points `sample`.

    1 means the map's nearest neighbours of every point are among its nearest in code
    space; a random layout scores ~0.5. Computed on the sample alone (the measure is
    quadratic in its size), so it compares layouts, not absolute numbers across sizes.
    """
    from sklearn.manifold import trustworthiness

    idx = np.asarray(sample)
    k = max(1, min(int(n_neighbors), (len(idx) - 1) // 2))
    return float(trustworthiness(np.asarray(codes)[idx], np.asarray(positions)[idx],
                                 n_neighbors=k))
