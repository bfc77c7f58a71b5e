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

    and the interval is (centre - half, centre + half), clipped to [0, 1] against
    rounding. z = 1.96 gives the 95 % interval. It always contains p. n = 0 says nothing:
    (0, 1).
    """
    if int(k) != k or int(n) != n or n < 0 or not 0 <= k <= n:
        raise ValueError(f"need whole numbers 0 <= k <= n, not k={k}, n={n}")
    if not math.isfinite(z) or z <= 0:
        raise ValueError(f"z must be a positive number, not {z}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def fraction_interval(k: int, n: int, z: float = 1.96) -> dict[str, float]:
    """{"fraction": k / n, "low", "high"}: the fraction with its Wilson interval."""
    low, high = wilson_interval(k, n, z)
    return {"fraction": k / n if n else float("nan"), "low": low, "high": high}
