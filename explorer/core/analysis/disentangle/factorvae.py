"""The FactorVAE score (Kim and Mnih, "Disentangling by Factorising", ICML 2018), as
disentanglement_lib computes it, on a finite data set.

Each code dimension is scaled by its standard deviation over the data; dimensions whose
variance is zero are pruned. One vote: pick a factor k at random, draw a batch of 64
samples that share the value of factor k, and take the dimension with the least variance
over the batch (relative to its global variance); the vote is (dimension, k). A majority
vote classifier maps each dimension to the factor it voted for most, from 10,000 training
votes; the score is its accuracy on 5,000 further votes.

Departure: disentanglement_lib samples each batch from the simulator with factor k fixed
to one value. From a data set we draw the batch among the samples whose factor k falls in
the same category or histogram bin (20 equal-width bins for a continuous factor), without
replacement when the bin is large enough. The bootstrap resamples the training and the
evaluation votes (each vote is an independent draw) and refits the majority vote.
Chance is about 1 / K for K factors, not 0.
"""

from __future__ import annotations

import numpy as np

from .factors import FactorTable

BATCH = 64
N_TRAIN_VOTES = 10_000
N_EVAL_VOTES = 5_000
_CHUNK = 1024


def _votes(codes: np.ndarray, scale: np.ndarray, active: np.ndarray, table: FactorTable,
           n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n votes: (factor index, dimension index among all dimensions)."""
    k = table.n_factors
    groups = [[np.flatnonzero(table.bins[:, f] == v) for v in range(table.n_levels(f))]
              for f in range(k)]
    factors = rng.integers(0, k, n)
    anchors = rng.integers(0, len(codes), n)
    dims = np.empty(n, dtype=np.int64)
    active_idx = np.flatnonzero(active)
    z = (codes[:, active] / scale[active]).astype(np.float32)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        rows = np.empty((stop - start, BATCH), dtype=np.int64)
        for i in range(start, stop):
            f = factors[i]
            pool = groups[f][table.bins[anchors[i], f]]
            rows[i - start] = (rng.choice(pool, BATCH, replace=False) if len(pool) >= BATCH
                               else pool[rng.integers(0, len(pool), BATCH)])
        batch = z[rows]  # (m, BATCH, active)
        dims[start:stop] = active_idx[np.argmin(batch.var(axis=1, ddof=1), axis=1)]
    return factors, dims


def _accuracy(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
              d: int, k: int) -> float:
    votes = np.zeros((d, k))
    np.add.at(votes, (train[1], train[0]), 1)
    classifier = votes.argmax(axis=1)  # the factor each dimension votes for most
    return float((classifier[test[1]] == test[0]).mean()) if len(test[0]) else 0.0


def factorvae_score(codes: np.ndarray, table: FactorTable, *, n_train: int = N_TRAIN_VOTES,
                    n_eval: int = N_EVAL_VOTES, n_boot: int = 200, seed: int = 0) -> dict:
    """{"value", "train_accuracy", "active_dims", "samples"}."""
    rng = np.random.default_rng(seed)
    d, k = codes.shape[1], table.n_factors
    var = codes.var(axis=0, ddof=1)
    active = var > 0
    if not active.any():
        return {"value": 0.0, "train_accuracy": 0.0, "active_dims": 0,
                "samples": np.zeros(max(n_boot, 1))}
    scale = np.sqrt(np.where(active, var, 1.0))
    tr = _votes(codes, scale, active, table, n_train, rng)
    ev = _votes(codes, scale, active, table, n_eval, rng)
    value = _accuracy(tr, ev, d, k)
    reps = []
    for _ in range(n_boot):
        i = rng.integers(0, n_train, n_train)
        j = rng.integers(0, n_eval, n_eval)
        reps.append(_accuracy((tr[0][i], tr[1][i]), (ev[0][j], ev[1][j]), d, k))
    return {"value": value, "train_accuracy": _accuracy(tr, tr, d, k),
            "active_dims": int(active.sum()), "samples": np.array(reps)}
