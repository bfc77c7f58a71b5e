"""How far a 2-D map can be trusted: per point, the share of its k nearest latent codes
that are also among its k nearest map neighbours ("neighbourhood kept"), and the map's
trustworthiness (Venna and Kaski 2001: are the map's neighbours also neighbours in the
latent space? 1 = every one), estimated over a sample of points. A low kept share marks
where UMAP tore or glued neighbourhoods: a gap there may be the projection's, not the
latent space's. Long work is a generator yielding `Progress`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from latent_atlas.explorer.core.progress import Progress

K_NEIGHBOURS = 10
TRUST_SAMPLE = 1000
CHUNK = 4096


@dataclass(frozen=True)
class Faithfulness:
    kept: np.ndarray  # per point, 0..1
    trustworthiness: float
    k: int

    def sentence(self) -> str:
        return (f"layout trustworthiness {self.trustworthiness:.3f} (k = {self.k}); on "
                f"average {np.mean(self.kept):.0%} of a point's latent neighbours are its "
                "map neighbours (colour by 'Neighbourhood kept' to see where)")


def _knn(points: np.ndarray, k: int, rows: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    _d, idx = tree.query(points[rows], k=k + 1)
    return idx[:, 1:]  # without the point itself


def faithfulness_iter(codes: np.ndarray, positions: np.ndarray, k: int = K_NEIGHBOURS,
                      sample: int = TRUST_SAMPLE, seed: int = 0
                      ) -> Generator[Progress, None, Faithfulness]:
    """Neighbourhood kept for every point and the sampled trustworthiness (see module)."""
    codes = np.asarray(codes, np.float64)
    pos = np.asarray(positions, np.float64)
    n = len(codes)
    if n <= k + 1:
        return Faithfulness(np.ones(n), 1.0, k)
    from scipy.spatial import cKDTree

    latent_tree, map_tree = cKDTree(codes), cKDTree(pos)
    kept = np.empty(n)
    for start in range(0, n, CHUNK):
        rows = np.arange(start, min(n, start + CHUNK))
        lat = latent_tree.query(codes[rows], k=k + 1)[1][:, 1:]
        mp = map_tree.query(pos[rows], k=k + 1)[1][:, 1:]
        same = (lat[:, :, None] == mp[:, None, :]).any(axis=2)
        kept[rows] = same.mean(axis=1)
        yield Progress("faithfulness", rows[-1] / n, f"neighbourhoods {rows[-1] + 1:,}/{n:,}")
    rng = np.random.default_rng(seed)
    picks = rng.choice(n, min(sample, n), replace=False)
    penalty = 0.0
    for i in picks:
        d = np.sum((codes - codes[i]) ** 2, axis=1)
        d[i] = -1.0
        rank = np.empty(n, np.int64)
        rank[np.argsort(d, kind="stable")] = np.arange(n)  # rank 0 is the point itself
        mp = map_tree.query(pos[i], k=k + 1)[1][1:]
        r = rank[mp]
        penalty += float(np.sum(np.maximum(r - k, 0)))
    trust = 1.0 - 2.0 / (k * (2 * n - 3 * k - 1)) * penalty / len(picks)
    yield Progress("faithfulness", 1.0, "trustworthiness measured")
    return Faithfulness(kept, float(trust), k)
