"""Decodes judged as holes: the sets of decodes the metrics collect, the between-code
pairs they are drawn from, and their fractions with 95 % intervals (docs/metrics.md).

Kept apart from `metrics` (which measures) so each file says one thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.intervals import bootstrap_interval, fraction_interval


@dataclass
class Judged:
    """One set of decodes, judged later: pixel distances and classifier confidences, P x T
    (T decodes per cluster: the steps along one pair of codes; T = 1 for independent ones)."""

    dist: np.ndarray
    conf: np.ndarray | None


BETWEEN_T = (0.25, 0.5, 0.75)


def between_pairs(held_out: np.ndarray, labels: np.ndarray | None, n: int, seed: int
                  ) -> dict[str, np.ndarray]:
    """Random pairs of held-out images (n x 2 indices) for the between-code gaps:
    "same_label" and "different_label" pairs when there are labels (a kind is left out when
    no such pair exists), else "random" pairs. Seeded."""
    rng = np.random.default_rng(seed + 3)
    held = np.asarray(held_out)
    if labels is None:
        pairs = np.stack([rng.choice(held, size=2, replace=False) for _ in range(n)])
        return {"random": pairs}
    y = np.asarray(labels)[held]
    out: dict[str, np.ndarray] = {}
    for kind, same in (("same_label", True), ("different_label", False)):
        rows = []
        for _ in range(n * 20):  # rejection sampling; gives up on a set without such pairs
            a, b = rng.choice(len(held), size=2, replace=False)
            if (y[a] == y[b]) == same:
                rows.append((held[a], held[b]))
                if len(rows) == n:
                    break
        if rows:
            out[kind] = np.asarray(rows, dtype=np.int64)
    return out


def knn_targets(codes: np.ndarray, starts: np.ndarray, pool: np.ndarray, k: int, seed: int
                ) -> np.ndarray:
    """For each start index, one of the k codes nearest to it among `pool` (indices),
    chosen at random (seeded); never the start itself."""
    from sklearn.neighbors import NearestNeighbors

    pool = np.asarray(pool)
    k = int(min(k, len(pool) - 1)) if len(pool) > 1 else 1
    nn = NearestNeighbors(n_neighbors=k + 1).fit(codes[pool])
    _, idx = nn.kneighbors(codes[starts])
    rng = np.random.default_rng(seed + 4)
    targets = np.empty(len(starts), dtype=np.int64)
    for i, (start, row) in enumerate(zip(starts, pool[idx], strict=True)):
        row = row[row != start][:k]
        targets[i] = rng.choice(row) if len(row) else start
    return targets


def judged_fraction(hits: np.ndarray, seed: int = 0) -> dict[str, float]:
    """{"fraction", "low", "high"} of a P x T array of hole verdicts: a Wilson interval
    for independent decodes (T = 1), a bootstrap over rows for clusters (T > 1)."""
    h = np.asarray(hits, dtype=bool)
    if h.ndim == 1 or h.shape[1] == 1:
        return fraction_interval(int(h.sum()), h.size)
    return bootstrap_interval(h, seed=seed)


def fill_fractions(m: Any, bars: dict[str, float], judge: Any, seed: int) -> None:
    """Turn a model's judged decodes into fractions under every judge."""
    def verdicts(j: Judged) -> dict[str, np.ndarray]:
        out = {name: j.dist > bar for name, bar in bars.items()}
        if judge is not None and j.conf is not None:
            out["classifier"] = j.conf < judge.threshold
        return out

    met = m.metrics
    met.holes, met.between, met.reconstruction = {}, {}, {}
    for key, j in m.judged.items():
        fractions = {name: judged_fraction(v, seed) for name, v in verdicts(j).items()}
        if key == "reconstruction":
            met.reconstruction = fractions
        else:
            group, _, sub = key.partition("/")
            (met.holes if group == "holes" else met.between)[sub] = fractions


def pixel_judge_descriptions(threshold: float, real_threshold: float, settings: Any
                             ) -> dict[str, str]:
    """What the two pixel judges are, in words, for the table's footer and the JSON."""
    return {
        "pixel": f"nearest-real pixel distance above {threshold:.3f}, the "
                 f"{settings.hole_percentile:g}th percentile of the held-out reconstructions' "
                 "(all models pooled)",
        "pixel_real": f"nearest-real pixel distance above {real_threshold:.3f}, the "
                      f"{settings.real_percentile:g}th percentile of real held-out images' "
                      "nearest-neighbour distance in the training set (no model involved)"}
