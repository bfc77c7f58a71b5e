"""Uncertainty of a measured fraction: the Wilson score interval.

A hole fraction is k holes among n independent samples, a binomial proportion. Its 95 %
interval here is the Wilson score interval (Wilson, 1927, "Probable inference, the law of
succession, and statistical inference"; recommended over the textbook Wald interval
p +- z sqrt(p (1 - p) / n) by Brown, Cai and DasGupta, 2001, "Interval estimation for a
binomial proportion"): it stays inside [0, 1], is not empty at k = 0 or k = n, and its
coverage is close to the nominal 95 % even for small n or a fraction near 0 or 1.
"""

from __future__ import annotations

import math


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (low, high) of the fraction k / n.

    With p = k / n:

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)

    and the interval is (centre - half, centre + half), computed by SciPy
    (`binomtest(k, n).proportion_ci(method="wilson")` at the confidence level of z, 95 %
    for z = 1.96), with the end at 0 or 1 exact when k = 0 or k = n. It always contains
    p. n = 0 says nothing: (0, 1).
    """
    from scipy.stats import binomtest, norm

    if int(k) != k or int(n) != n or n < 0 or not 0 <= k <= n:
        raise ValueError(f"need whole numbers 0 <= k <= n, not k={k}, n={n}")
    if not math.isfinite(z) or z <= 0:
        raise ValueError(f"z must be a positive number, not {z}")
    if n == 0:
        return 0.0, 1.0
    level = float(2.0 * norm.cdf(z) - 1.0)
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    low = 0.0 if k == 0 else max(0.0, float(ci.low))
    high = 1.0 if k == n else min(1.0, float(ci.high))
    return low, high


def fraction_interval(k: int, n: int, z: float = 1.96) -> dict[str, float]:
    """{"fraction": k / n, "low", "high"}: the fraction with its Wilson interval."""
    low, high = wilson_interval(k, n, z)
    return {"fraction": k / n if n else float("nan"), "low": low, "high": high}


def bootstrap_interval(hits, n_boot: int = 2000, seed: int = 0,
                       level: float = 0.95) -> dict[str, float]:
    """{"fraction", "low", "high"} of the mean of `hits` (bool, P x T), resampling rows.

    Each row is one cluster of correlated judgements (the T decodes along one pair of
    codes), so the rows, not the single decodes, are the independent units: a percentile
    bootstrap over rows (Efron and Tibshirani, 1993) keeps the interval honest where a
    binomial interval over P * T decodes would be too narrow.
    """
    import numpy as np

    h = np.asarray(hits, dtype=np.float64)
    if h.ndim == 1:
        h = h[:, None]
    if h.ndim != 2:
        raise ValueError(f"hits must be P x T, not {h.shape}")
    if not 0 < level < 1 or n_boot < 1:
        raise ValueError("need 0 < level < 1 and n_boot >= 1")
    p = len(h)
    if p == 0 or h.shape[1] == 0:
        return {"fraction": float("nan"), "low": 0.0, "high": 1.0}
    rows = h.mean(axis=1)
    fraction = float(rows.mean())
    if p == 1:
        return {"fraction": fraction, "low": 0.0, "high": 1.0}
    if fraction in (0.0, 1.0):
        # Every resample agrees, so the bootstrap interval would be a point; the rows are
        # the independent trials, so take the Wilson interval over them instead.
        low, high = wilson_interval(int(round(fraction * p)), p)
        return {"fraction": fraction, "low": low, "high": high}
    rng = np.random.default_rng(seed)
    means = rows[rng.integers(0, p, size=(int(n_boot), p))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return {"fraction": fraction, "low": float(min(low, fraction)),
            "high": float(max(high, fraction))}


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """True when two intervals overlap: the difference is then not called significant."""
    return not (a["high"] < b["low"] or b["high"] < a["low"])


def mcnemar(correct_a, correct_b) -> dict[str, float]:
    """McNemar's exact test of two classifiers scored on the same images (McNemar, 1947):
    `b` images only A gets right, `c` only B gets right; under "equally accurate" each
    discordant image is a fair coin, so p is the two-sided binomial probability of a split
    at least as uneven as (b, c). {"b", "c", "p"}; p = 1 without discordant images."""
    import numpy as np
    from scipy.stats import binomtest

    a = np.asarray(correct_a, dtype=bool).reshape(-1)
    b_ = np.asarray(correct_b, dtype=bool).reshape(-1)
    if a.shape != b_.shape:
        raise ValueError(f"the two classifiers were scored on {a.size} and {b_.size} images")
    b = int((a & ~b_).sum())
    c = int((~a & b_).sum())
    p = 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5).pvalue)
    return {"b": float(b), "c": float(c), "p": p}
