"""Paired tests of the difference between two models measured on the same units.

Both models of a comparison are judged by the same bars, set on the same held-out images,
and their decodes come from shared units: the same held-out images (reconstructions, the
probe), the same pairs of held-out images (between codes), the same seeded draws (prior
samples, neighbour points). So the honest question is about the *difference* first model −
second model, with the units kept paired (docs/metrics.md, "Paired tests"):

- **interval**: a paired bootstrap (Efron and Tibshirani, 1993). Each replicate resamples
  the held-out images and redraws every judge's bar from them, and resamples the row's own
  units (one index for both models, so the pairing stays); the 2.5th and 97.5th
  percentiles of the replicated differences are the 95 % interval. It therefore covers the
  noise of the bars as well as that of the samples.
- **p-value**: McNemar's exact test (McNemar, 1947) where decodes pair one to one (each
  unit one decode per model); a sign-flip randomisation test of the per-unit differences
  where a unit holds several decodes (the three steps along a pair), which is McNemar's
  test generalised to clusters. Both condition on the bars as measured.
- **Holm**: the p-values of every row of the table are adjusted together (Holm, 1979,
  "A simple sequentially rejective multiple test procedure"); a row *differs* when its
  adjusted p is below 0.05.
- **equivalence**: two one-sided tests (TOST; Schuirmann, 1987) with a stated margin: the
  two models are called *the same* only when the 90 % bootstrap interval of the difference
  lies inside (−margin, +margin).
- **smallest detectable difference**: for a row that neither differs nor is equivalent,
  (z(1 − α / 2m) + z(0.8)) × the bootstrap standard error: the difference this test would
  have found with 80 % power at Holm's strictest level α / m (at least 3 / n units: with
  no event in n units the rule of three cannot exclude a rate of 3 / n).

Anything judged that *is* a held-out image or its reconstruction (the reconstruction rows,
the judges' floors) is judged against a bar set by the other half of the held-out images
(two-fold cross-fitting), so no decode is judged by a bar it helped to set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ALPHA = 0.05
POWER = 0.8
EQUIVALENCE_MARGIN = 0.03  # 3 percentage points
N_BOOT = 2000
_CHUNK = 4_000_000  # values resampled at once (bounded memory for large rows)


def holm(pvalues: Any) -> np.ndarray:
    """Holm's step-down adjusted p-values (same order as given; each in [0, 1]).

    The smallest p is multiplied by m, the next by m − 1, ...; each adjusted value is at
    least the one before it, so rejecting where the adjusted p < α is Holm's procedure."""
    p = np.asarray(pvalues, dtype=np.float64).reshape(-1)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be numbers in [0, 1]")
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(np.argsort(p, kind="stable")):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def sign_flip_test(differences: Any, n_flips: int = 10_000, seed: int = 0) -> float:
    """Two-sided p of "the two models are exchangeable within each unit": the per-unit
    differences' sum against the sums with random signs (exact below 13 non-zero units).
    With one decode per unit this is McNemar's test."""
    d = np.asarray(differences, dtype=np.float64).reshape(-1)
    d = d[d != 0]
    if len(d) == 0:
        return 1.0
    observed = abs(d.sum()) - 1e-9
    if len(d) <= 12:
        signs = 1 - 2 * ((np.arange(2 ** len(d))[:, None] >> np.arange(len(d))) & 1)
        return float((np.abs(signs @ d) >= observed).mean())
    rng = np.random.default_rng(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(int(n_flips), len(d)))
    return float((1 + (np.abs(signs @ d) >= observed).sum()) / (1 + int(n_flips)))


@dataclass
class Bars:
    """What sets each judge's bar, over the n held-out images.

    `setters[judge]`: n x k values whose pooled `percentiles[judge]`-th percentile is the
    bar (for the pixel judge the k models' reconstruction distances); `real[judge]`: the
    real held-out images' own values under that judge (their judges' floor);
    `above[judge]`: True when a value above the bar is a hole (distances), False when
    below (the classifier's confidence). `fold`: the two halves of the cross-fitting."""

    setters: dict[str, np.ndarray]
    percentiles: dict[str, float]
    above: dict[str, bool]
    real: dict[str, np.ndarray] = field(default_factory=dict)
    fold: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        self.setters = {j: np.asarray(v, dtype=np.float64).reshape(len(v), -1)
                        for j, v in self.setters.items()}
        n = self.n
        if any(len(v) != n for v in self.setters.values()):
            raise ValueError("every judge's bar must be set on the same held-out images")
        if len(self.fold) != n:
            rng = np.random.default_rng(12345)
            fold = np.zeros(n, dtype=np.int64)
            fold[rng.permutation(n)[: n // 2]] = 1
            self.fold = fold

    @property
    def n(self) -> int:
        return len(next(iter(self.setters.values()))) if self.setters else 0

    @property
    def judges(self) -> tuple[str, ...]:
        return tuple(self.setters)

    def bar(self, judge: str) -> float:
        return float(np.percentile(self.setters[judge], self.percentiles[judge]))

    def holes(self, judge: str, values: np.ndarray, bar: Any) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        return v > bar if self.above[judge] else v < bar

    def resampled_bars(self, judge: str, rows: np.ndarray, fold: int | None = None
                       ) -> np.ndarray:
        """The bar of each replicate (B x n held-out positions `rows`); with `fold`, set by
        that fold's members of the replicate only (the whole replicate when it has none)."""
        vals = self.setters[judge][rows]  # B x n x k
        flat = vals.reshape(len(rows), -1)
        q = self.percentiles[judge]
        if fold is None:
            return np.asarray(np.percentile(flat, q, axis=1))
        keep = np.repeat(self.fold[rows] == fold, vals.shape[2], axis=1)
        keep[~keep.any(axis=1)] = True
        return _row_percentile(flat, keep, q)

    def crossfit_holes(self, judge: str, values: np.ndarray) -> np.ndarray:
        """Verdicts on values over the held-out positions, each judged by the bar of the
        other half (n,)."""
        v = np.asarray(values, dtype=np.float64).reshape(self.n, -1)
        rows = np.arange(self.n)[None, :]
        bar_from = [self.resampled_bars(judge, rows, fold=1 - f)[0] for f in (0, 1)]
        bar = np.where(self.fold == 0, bar_from[0], bar_from[1])[:, None]
        return self.holes(judge, v, bar)


def _row_percentile(values: np.ndarray, keep: np.ndarray, q: float) -> np.ndarray:
    """np.percentile(row[keep_row], q) (linear interpolation) of every row, vectorised: the
    kept values sorted first (the others pushed to the end as +inf)."""
    s = np.sort(np.where(keep, values, np.inf), axis=1)
    count = keep.sum(axis=1)
    pos = (count - 1) * (q / 100.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, count - 1)
    rows = np.arange(len(s))
    frac = pos - lo
    return np.asarray(s[rows, lo] + (s[rows, hi] - s[rows, lo]) * frac)


@dataclass
class PairedRow:
    """One row of the table: `measure` ("holes/own", "between/same_label",
    "reconstruction", "probe/10%/knn", ...) under `judge`. `a`, `b`: the first and second
    model's P x T judge values on the same P units (T decodes per unit), or their verdicts
    (bool) when `judge` is None. `held_out`: the units are the held-out images themselves
    (bars cross-fitted and resampled with them)."""

    measure: str
    judge: str | None
    a: np.ndarray
    b: np.ndarray
    held_out: bool = False
    higher_is_better: bool = False

    def __post_init__(self) -> None:
        a, b = np.asarray(self.a), np.asarray(self.b)
        a = a.reshape(len(a), -1)
        b = b.reshape(len(b), -1)
        if a.shape != b.shape:
            raise ValueError(f"{self.measure}: the two models were judged on {a.shape} and "
                             f"{b.shape} units; a paired test needs the same units")
        self.a, self.b = a, b


def _verdicts(row: PairedRow, bars: Bars) -> tuple[np.ndarray, np.ndarray]:
    """The point verdicts (P x T bool) of both models at the measured bars."""
    if row.judge is None:
        return row.a.astype(bool), row.b.astype(bool)
    if row.held_out:
        return (bars.crossfit_holes(row.judge, row.a), bars.crossfit_holes(row.judge, row.b))
    bar = bars.bar(row.judge)
    return bars.holes(row.judge, row.a, bar), bars.holes(row.judge, row.b, bar)


def _p_value(ha: np.ndarray, hb: np.ndarray, seed: int) -> tuple[float, str]:
    from latent_atlas.explorer.core.analysis.intervals import mcnemar

    if ha.shape[1] == 1:
        return mcnemar(ha[:, 0], hb[:, 0])["p"], "McNemar (exact)"
    d = ha.mean(axis=1) - hb.mean(axis=1)
    return sign_flip_test(d, seed=seed), "sign-flip over units"


def _replicates(rows: list[PairedRow], bars: Bars, n_boot: int, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """B x R replicated fractions of the first and second model."""
    rng = np.random.default_rng(seed)
    fa = np.empty((n_boot, len(rows)))
    fb = np.empty((n_boot, len(rows)))
    n = bars.n
    chunk = max(1, _CHUNK // max(1, max((r.a.size for r in rows), default=1), n * 3))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        size = stop - start
        held = rng.integers(0, n, size=(size, n)) if n else np.zeros((size, 0), dtype=int)
        cache: dict[tuple[str, int | None], np.ndarray] = {}

        def bar(judge: str, fold: int | None, held: np.ndarray = held,
                cache: dict[tuple[str, int | None], np.ndarray] = cache) -> np.ndarray:
            if (judge, fold) not in cache:
                cache[judge, fold] = bars.resampled_bars(judge, held, fold)
            return cache[judge, fold]

        for r, row in enumerate(rows):
            p = len(row.a)
            units = held if row.held_out else rng.integers(0, p, size=(size, p))
            if row.judge is None:
                ha, hb = row.a[units].astype(bool), row.b[units].astype(bool)
            elif row.held_out:
                f = bars.fold[units][:, :, None]
                # a unit of fold 0 is judged by the bar fold 1 sets, and the other way round
                b_unit = np.where(f == 0, bar(row.judge, 1)[:, None, None],
                                  bar(row.judge, 0)[:, None, None])
                ha = bars.holes(row.judge, row.a[units], b_unit)
                hb = bars.holes(row.judge, row.b[units], b_unit)
            else:
                b_all = bar(row.judge, None)[:, None, None]
                ha = bars.holes(row.judge, row.a[units], b_all)
                hb = bars.holes(row.judge, row.b[units], b_all)
            fa[start:stop, r] = ha.mean(axis=(1, 2))
            fb[start:stop, r] = hb.mean(axis=(1, 2))
    return fa, fb


def paired_differences(rows: list[PairedRow], bars: Bars, *, n_boot: int = N_BOOT,
                       seed: int = 0, margin: float = EQUIVALENCE_MARGIN, alpha: float = ALPHA
                       ) -> list[dict[str, Any]]:
    """One record per row: the two fractions and their difference (first − second) with
    95 % paired-bootstrap intervals, the 90 % interval and verdict of the equivalence
    test, the raw and Holm-adjusted p-values, the smallest detectable difference, and
    `verdict`: "differs", "same" (equivalent within `margin`) or "not detected"."""
    from scipy.stats import norm

    if not rows:
        return []
    if not 0 < margin < 1 or not 0 < alpha < 1 or n_boot < 10:
        raise ValueError("need 0 < margin < 1, 0 < alpha < 1 and at least 10 replicates")
    points = [_verdicts(r, bars) for r in rows]
    tests = [_p_value(ha, hb, seed + i) for i, (ha, hb) in enumerate(points)]
    adjusted = holm([p for p, _ in tests])
    fa, fb = _replicates(rows, bars, int(n_boot), seed)
    diffs = fa - fb
    m = len(rows)
    z = float(norm.ppf(1 - alpha / (2 * m)) + norm.ppf(POWER))
    out = []
    for i, (row, (ha, hb), (p, test)) in enumerate(zip(rows, points, tests, strict=True)):
        a, b = float(ha.mean()), float(hb.mean())
        d = a - b
        lo, hi = (float(v) for v in np.percentile(diffs[:, i], [2.5, 97.5]))
        lo90, hi90 = (float(v) for v in np.percentile(diffs[:, i], [5.0, 95.0]))
        se = float(diffs[:, i].std(ddof=1))
        detectable = max(z * se, 3.0 / len(row.a))
        differs = bool(adjusted[i] < alpha)
        same = (not differs) and -margin < lo90 and hi90 < margin
        out.append({
            "measure": row.measure, "judge": row.judge, "a": a, "b": b, "difference": d,
            "low": min(lo, d), "high": max(hi, d), "low90": lo90, "high90": hi90,
            "a_low": float(np.percentile(fa[:, i], 2.5)),
            "a_high": float(np.percentile(fa[:, i], 97.5)),
            "b_low": float(np.percentile(fb[:, i], 2.5)),
            "b_high": float(np.percentile(fb[:, i], 97.5)),
            "p": float(p), "p_holm": float(adjusted[i]), "test": test, "se": se,
            "detectable": detectable, "margin": margin, "n_units": len(row.a),
            "verdict": "differs" if differs else ("same" if same else "not detected"),
            "higher_is_better": row.higher_is_better})
    return out


def crossfit_fraction(bars: Bars, judge: str, values: np.ndarray, *, n_boot: int = N_BOOT,
                      seed: int = 0) -> dict[str, float]:
    """{"fraction", "low", "high"}: the share of held-out `values` (n, one per held-out
    image) that are holes, each judged by the bar of the other half of the held-out images,
    with a 95 % bootstrap interval that resamples the held-out images and redraws the bars."""
    v = np.asarray(values, dtype=np.float64).reshape(bars.n, -1)
    frac = float(bars.crossfit_holes(judge, v).mean())
    rng = np.random.default_rng(seed)
    reps = np.empty(int(n_boot))
    chunk = max(1, _CHUNK // max(1, bars.n * 4))
    for start in range(0, int(n_boot), chunk):
        stop = min(int(n_boot), start + chunk)
        held = rng.integers(0, bars.n, size=(stop - start, bars.n))
        f = bars.fold[held][:, :, None]
        b_unit = np.where(f == 0, bars.resampled_bars(judge, held, 1)[:, None, None],
                          bars.resampled_bars(judge, held, 0)[:, None, None])
        reps[start:stop] = bars.holes(judge, v[held], b_unit).mean(axis=(1, 2))
    lo, hi = np.percentile(reps, [2.5, 97.5])
    return {"fraction": frac, "low": float(min(lo, frac)), "high": float(max(hi, frac))}


def judge_floors(bars: Bars, *, n_boot: int = N_BOOT, seed: int = 0
                 ) -> dict[str, dict[str, float]]:
    """Each judge's hole rate on the real held-out images themselves (cross-fitted, with a
    bootstrap interval): the rate a perfect generator would score under that judge."""
    return {j: crossfit_fraction(bars, j, bars.real[j], n_boot=n_boot, seed=seed)
            for j in bars.judges if j in bars.real}


def find(differences: list[dict[str, Any]], measure: str, judge: str | None
         ) -> dict[str, Any] | None:
    """The record of `measure` under `judge`, or None."""
    for rec in differences:
        if rec["measure"] == measure and rec["judge"] == judge:
            return rec
    return None


def _pts(x: float) -> str:
    return f"{100 * x:.1f}"


def _signed(x: float) -> str:
    return f"{100 * x:+.1f}"


def difference_words(rec: dict[str, Any], first: str, second: str) -> str:
    """What one record says, in words (differences in percentage points):

    - "differs": "the AE is 9.5 points higher (95 % interval 7.1 to 12.0; Holm-adjusted
      p = 0.001)";
    - "same": "the same within ±3.0 points (difference +0.4, 90 % interval −1.2 to 1.9;
      equivalence test)";
    - "not detected": "no difference detected (difference +1.1 points, 95 % interval −0.8
      to 3.0, Holm-adjusted p = 0.41; the test would have seen about 4.2 points)", or, when
      the row's own interval excludes 0 but Holm's adjustment does not reject, "not
      significant once the table's tests are adjusted for (...)"."""
    d, lo, hi = rec["difference"], rec["low"], rec["high"]
    if rec["verdict"] == "differs":
        word = "higher" if d > 0 else "lower"
        return (f"the {first} is {_pts(abs(d))} points {word} than the {second} (95 % interval "
                f"{_signed(lo)} to {_signed(hi)}; Holm-adjusted p = {rec['p_holm']:.2g})")
    if rec["verdict"] == "same":
        return (f"the same within ±{_pts(rec['margin'])} points (difference {_signed(d)}, 90 % "
                f"interval {_signed(rec['low90'])} to {_signed(rec['high90'])}; equivalence "
                "test)")
    if lo > 0 or hi < 0:  # the row's own interval excludes 0; the table's adjustment does not
        return (f"not significant once the table's tests are adjusted for (difference "
                f"{_signed(d)} points, its own 95 % interval {_signed(lo)} to {_signed(hi)} "
                f"excludes 0, but Holm-adjusted p = {rec['p_holm']:.2g}; the test would have "
                f"seen about {_pts(rec['detectable'])} points)")
    return (f"no difference detected (difference {_signed(d)} points, 95 % interval "
            f"{_signed(lo)} to {_signed(hi)}, Holm-adjusted p = {rec['p_holm']:.2g}; the test "
            f"would have seen about {_pts(rec['detectable'])} points)")


def difference_cell(rec: dict[str, Any] | None) -> str:
    """The table's 'differs' cell: verdict, difference and interval (points), adjusted p."""
    if rec is None:
        return ""
    head = {"differs": "yes", "same": f"same ±{_pts(rec['margin'])}",
            "not detected": "n.s."}[rec["verdict"]]
    return (f"{head} {_signed(rec['difference'])} [{_signed(rec['low'])}, "
            f"{_signed(rec['high'])}] p={rec['p_holm']:.2g}")
