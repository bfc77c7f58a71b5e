"""Disentanglement metrics on constructed codes, and an independent reference computation
of MIG and DCI written from the papers' formulas (Chen et al. 2018; Eastwood and
Williams 2018)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.disentangle import (
    DisentangleError,
    DisentangleSettings,
    disentanglement,
    factor_table,
)
from latent_atlas.explorer.core.analysis.disentangle.dci import dci_from_importance
from latent_atlas.explorer.core.analysis.disentangle.factors import histogram_bins
from latent_atlas.explorer.core.analysis.disentangle.mig import (
    factor_entropies,
    mi_matrix,
    mig_from,
)
from latent_atlas.explorer.core.data.shapes import sample_factors

N = 3000
FAST = DisentangleSettings(seed=0, n_boot=40, dci_boot=2, dci_train=2000, dci_test=1000,
                           sap_train=2000, sap_test=1000)


def _standardised(factors: dict) -> np.ndarray:
    v = np.stack([np.asarray(c, dtype=np.float64) for c in factors.values()], axis=1)
    return (v - v.mean(axis=0)) / v.std(axis=0)


@pytest.fixture(scope="module")
def cases():
    factors = sample_factors(N, 3)
    v = _standardised(factors)
    rng = np.random.default_rng(7)
    small = rng.normal(size=(N, 5)) * 0.01
    exact = np.concatenate([v, small], axis=1)  # 10 dims: the 5 factors, 5 quiet dims
    q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    copied = np.concatenate([v, v[:, :1], small[:, :4]], axis=1)  # shape in dims 0 and 5
    codes = {"exact": exact, "rotated": exact @ q, "noise": rng.normal(size=(N, 10)),
             "copied": copied}
    return {k: disentanglement(c, factors, FAST) for k, c in codes.items()}


def test_codes_equal_to_factors_score_near_the_maximum(cases):
    r = cases["exact"]
    for key in ("mig", "dci_d", "dci_c", "dci_i", "factorvae"):
        assert r.value(key) > 0.95, key
    assert r.value("sap") > 0.85  # a categorical factor caps one-dimensional SVM accuracy


def test_rotated_codes_score_clearly_lower(cases):
    exact, rot = cases["exact"], cases["rotated"]
    for key in ("mig", "dci_d", "dci_c", "sap"):
        assert rot.value(key) < exact.value(key) - 0.2, key
        assert rot.interval(key)[1] < exact.interval(key)[0], key
    # The information is all still there; only its arrangement changed.
    assert rot.value("dci_i") > 0.9
    # The FactorVAE score only asks which dimension varies least when a factor is held:
    # a rotation keeps a distinct such dimension per factor, so it barely moves.
    assert rot.value("factorvae") <= exact.value("factorvae") + 1e-9


def test_noise_scores_near_zero(cases):
    r = cases["noise"]
    for key in ("mig", "dci_d", "dci_c", "sap"):
        assert r.value(key) < 0.06, key
    assert r.value("dci_i") < 0.15
    assert r.value("factorvae") < 1 / 5 + 0.15  # chance is 1 / K with K = 5 factors


def test_one_factor_in_two_dimensions_lowers_completeness_not_disentanglement(cases):
    exact, copied = cases["exact"], cases["copied"]
    assert copied.value("dci_c") < exact.value("dci_c") - 0.03
    assert copied.value("dci_d") > 0.95
    assert copied.value("dci_d") == pytest.approx(exact.value("dci_d"), abs=0.03)
    # MIG sees the same: the shape factor's top two dimensions tie, its gap is ~0.
    assert copied.value("mig") < exact.value("mig") - 0.1


def test_intervals_hold_the_value(cases):
    for r in cases.values():
        for key in r.metrics:
            lo, hi = r.interval(key)
            assert lo - 1e-9 <= r.value(key) <= hi + 1e-9


def test_best_dimension_of_each_factor(cases):
    r = cases["exact"]
    for k, name in enumerate(r.factor_names):
        assert r.best_dimension(name) == k
    assert r.importance.shape == (10, 5)


# ---- the reference computation, from the formulas ----------------------------------

def _ref_mig(z: list[list[int]], v: list[list[int]]) -> float:
    n, d, k = len(z), len(z[0]), len(v[0])

    def p_of(values):
        out: dict = {}
        for x in values:
            out[x] = out.get(x, 0) + 1 / n
        return out

    def mutual(a, b):
        pa, pb, pab = p_of(a), p_of(b), p_of(list(zip(a, b, strict=True)))
        return sum(p * math.log(p / (pa[x] * pb[y])) for (x, y), p in pab.items())

    gaps = []
    for f in range(k):
        vf = [row[f] for row in v]
        h = -sum(p * math.log(p) for p in p_of(vf).values())
        infos = sorted((mutual([row[j] for row in z], vf) for j in range(d)), reverse=True)
        gaps.append((infos[0] - infos[1]) / h)
    return sum(gaps) / k


def test_mig_matches_a_reference_computation():
    rng = np.random.default_rng(4)
    v = rng.integers(0, 3, size=(400, 2))
    z = np.stack([v[:, 0], (v[:, 0] + rng.integers(0, 2, 400)) % 3, v[:, 1] * 2 % 5,
                  rng.integers(0, 4, 400)], axis=1)
    ours, _ = mig_from(mi_matrix(z, v), factor_entropies(v))
    assert ours == pytest.approx(_ref_mig(z.tolist(), v.tolist()), abs=1e-10)


def _ref_dci(r: list[list[float]]) -> tuple[float, float]:
    d, k = len(r), len(r[0])
    total = sum(map(sum, r))
    dis = 0.0
    for row in r:
        s = sum(row)
        h = -sum(x / s * math.log(x / s, k) for x in row if x > 0)
        dis += (1 - h) * s / total
    com = 0.0
    for f in range(k):
        col = [r[j][f] for j in range(d)]
        s = sum(col)
        h = -sum(x / s * math.log(x / s, d) for x in col if x > 0)
        com += (1 - h) * s / total
    return dis, com


def test_dci_matches_a_reference_computation():
    r = [[0.9, 0.05, 0.0], [0.1, 0.6, 0.3], [0.0, 0.2, 0.7], [0.0, 0.15, 0.0]]
    d, c = dci_from_importance(np.array(r))
    ref_d, ref_c = _ref_dci(r)
    assert d == pytest.approx(ref_d, abs=1e-12)
    assert c == pytest.approx(ref_c, abs=1e-12)
    # A one-to-one importance matrix is perfectly disentangled and complete.
    assert dci_from_importance(np.eye(3)) == pytest.approx((1.0, 1.0))


def test_histogram_bins_span_the_range():
    b = histogram_bins(np.linspace(0, 1, 101), 20)
    assert b.min() == 0 and b.max() == 19
    assert np.all(np.diff(b) >= 0)


@pytest.mark.parametrize("factors, message", [
    ({}, "no factor columns"),
    ({"a": np.zeros(50)}, "constant"),
    ({"a": np.arange(50.0), "b": np.arange(40.0)}, "40 values"),
    ({"a": np.r_[np.arange(49.0), np.nan]}, "not finite"),
])
def test_unusable_factors_say_why(factors, message):
    with pytest.raises(DisentangleError, match=message):
        factor_table(factors)


def test_unusable_codes_say_why():
    f = {"a": np.arange(50) % 4}
    with pytest.raises(DisentangleError, match="50 rows"):
        disentanglement(np.zeros((40, 3)), f, FAST)
    with pytest.raises(DisentangleError, match="at least 2"):
        disentanglement(np.zeros((50, 1)), f, FAST)
