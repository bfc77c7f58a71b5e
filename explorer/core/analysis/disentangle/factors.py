"""Factor columns and codes made ready for the disentanglement metrics.

disentanglement_lib samples its ground-truth factors as discrete indices (dSprites: 3
shapes, 6 scales, 40 rotations, 32 x and 32 y positions). Our data sets carry factor
columns as they were drawn: a categorical column (integers with few values, such as the
shape of `shapes`) and continuous ones (scale, rotation, x, y on a fine grid). The
metrics that need discrete factors (MIG, the FactorVAE score) use a categorical column as
it is and put a continuous one into `n_bins` equal-width bins, the same histogram
discretisation disentanglement_lib applies to the codes (`_histogram_discretize`, 20 bins).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

N_BINS = 20  # disentanglement_lib's default for discretising codes (MIG)
MAX_CATEGORIES = 64  # an integer column with more distinct values counts as continuous
MIN_SAMPLES = 20


class DisentangleError(ValueError):
    """Codes or factors the metrics cannot use; the message says what was wrong."""


def histogram_bins(x: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Equal-width bin index (0 .. n_bins-1) of each value of a 1-D array, the bins
    spanning its range (disentanglement_lib's `_histogram_discretize`, 0-based)."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return np.zeros(len(x), dtype=np.int64)
    edges = np.linspace(lo, hi, n_bins + 1)[1:-1]
    return np.searchsorted(edges, x, side="right").astype(np.int64)


def discretise_codes(codes: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """N x d codes -> N x d bin indices, each dimension binned over its own range."""
    return np.stack([histogram_bins(c, n_bins) for c in codes.T], axis=1)


@dataclass(frozen=True)
class FactorTable:
    """The factors of N samples: `values` N x K (float64), which are categorical, and
    `bins` N x K (int64, 0-based, contiguous): category index or histogram bin."""

    names: tuple[str, ...]
    values: np.ndarray
    categorical: tuple[bool, ...]
    bins: np.ndarray

    @property
    def n_factors(self) -> int:
        return len(self.names)

    def n_levels(self, k: int) -> int:
        return int(self.bins[:, k].max()) + 1

    def take(self, rows: np.ndarray) -> FactorTable:
        return FactorTable(self.names, self.values[rows], self.categorical, self.bins[rows])


def _is_categorical(col: np.ndarray) -> bool:
    if col.dtype.kind in "biu":
        return len(np.unique(col)) <= MAX_CATEGORIES
    return False


def factor_table(factors: Mapping[str, np.ndarray], n_bins: int = N_BINS) -> FactorTable:
    """Check the factor columns (at least one, equal lengths, finite, each with two or more
    values) and discretise them; DisentangleError with a readable message otherwise."""
    if not factors:
        raise DisentangleError("these data have no factor columns; the disentanglement "
                               "metrics need data with known factors, such as shapes")
    names, values, cats, bins = [], [], [], []
    n = None
    for name, raw in factors.items():
        col = np.asarray(raw).reshape(-1)
        if col.dtype.kind not in "biuf":
            raise DisentangleError(f"factor {name} must be numbers, not {col.dtype}")
        if n is None:
            n = len(col)
        elif len(col) != n:
            raise DisentangleError(f"factor {name} has {len(col)} values, the others {n}")
        if not np.all(np.isfinite(col)):
            raise DisentangleError(f"factor {name} has values that are not finite")
        if len(col) and np.all(col == col[0]):
            continue  # a constant factor has no entropy: nothing to disentangle
        cat = _is_categorical(col)
        if cat:
            _, b = np.unique(col, return_inverse=True)
        else:
            b = histogram_bins(col, n_bins)
            _, b = np.unique(b, return_inverse=True)  # contiguous even if a bin is empty
        names.append(str(name))
        values.append(col.astype(np.float64))
        cats.append(cat)
        bins.append(b.astype(np.int64))
    if not names:
        raise DisentangleError("every factor column is constant; nothing to measure")
    if n is not None and n < MIN_SAMPLES:
        raise DisentangleError(f"the metrics need at least {MIN_SAMPLES} samples, not {n}")
    return FactorTable(tuple(names), np.stack(values, axis=1), tuple(cats),
                       np.stack(bins, axis=1))


def check_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """Codes as N x d float64, matching the factors' N and finite (DisentangleError)."""
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2:
        raise DisentangleError(f"codes must be N x d, not of shape {z.shape}")
    if len(z) != n:
        raise DisentangleError(f"{len(z)} codes for {n} rows of factors")
    if z.shape[1] < 2:
        raise DisentangleError("the metrics compare latent dimensions: they need at least 2")
    if not np.all(np.isfinite(z)):
        raise DisentangleError("the codes hold values that are not finite")
    return z
