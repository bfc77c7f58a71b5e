"""Paired tests of the AE − VAE difference (latent_atlas.explorer.core.analysis.comparison.paired, issue 25):
Holm, the sign-flip test, cross-fitted bars, the paired bootstrap and every wording."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from latent_atlas.explorer.core.analysis.comparison.explain import explain
from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
)
from latent_atlas.explorer.core.analysis.comparison.paired import (
    Bars,
    PairedRow,
    crossfit_fraction,
    difference_cell,
    difference_words,
    holm,
    judge_floors,
    paired_differences,
    sign_flip_test,
)
from latent_atlas.explorer.core.analysis.comparison.table import SAME_DRAWS, judged_rows
from latent_atlas.explorer.core.analysis.intervals import mcnemar


def test_holm_matches_the_step_down_procedure_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> kept monotone 0.06
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])
    assert holm([0.5])[0] == 0.5 and holm([0.9, 0.8]).max() <= 1.0
    with pytest.raises(ValueError):
        holm([0.1, 1.5])


def test_sign_flip_on_single_decodes_is_mcnemars_exact_test():
    rng = np.random.default_rng(0)
    a = rng.random(200) < 0.3
    b = rng.random(200) < 0.25
    d = a.astype(float) - b.astype(float)
    n_disc = int((d != 0).sum())
    exact = binomtest(int((d > 0).sum()), n_disc, 0.5).pvalue
    assert mcnemar(a, b)["p"] == pytest.approx(exact)
    # Monte Carlo beyond 12 discordant units: close to the exact p
    assert sign_flip_test(d, n_flips=20_000, seed=1) == pytest.approx(exact, abs=0.02)
    # exact enumeration for a few discordant units
    few = np.array([1, 1, 1, 1, 1, -1, 0, 0], dtype=float)
    assert sign_flip_test(few) == pytest.approx(binomtest(5, 6, 0.5).pvalue)
    assert sign_flip_test(np.zeros(5)) == 1.0


def _bars(real: np.ndarray) -> Bars:
    return Bars({"pixel_real": real}, {"pixel_real": 95.0}, {"pixel_real": True},
                {"pixel_real": real})


def test_crossfitting_never_judges_an_image_by_a_bar_it_set():
    real = np.arange(100, dtype=float)
    fold = np.zeros(100, dtype=np.int64)
    fold[::2] = 1
    bars = Bars({"pixel_real": real}, {"pixel_real": 95.0}, {"pixel_real": True},
                {"pixel_real": real}, fold)
    holes = bars.crossfit_holes("pixel_real", real)[:, 0]
    bar_for_fold0 = np.percentile(real[fold == 1], 95)  # fold 0 is judged by fold 1's bar
    bar_for_fold1 = np.percentile(real[fold == 0], 95)
    expect = np.where(fold == 0, real > bar_for_fold0, real > bar_for_fold1)
    np.testing.assert_array_equal(holes, expect)
    # in-sample the share would be 5 % by construction; cross-fitted it is measured
    floor = crossfit_fraction(bars, "pixel_real", real, n_boot=500)
    assert floor["low"] <= floor["fraction"] <= floor["high"]


def test_judge_floor_of_real_images_is_about_the_percentile_and_covers_it():
    rng = np.random.default_rng(3)
    real = rng.normal(size=1000)
    floors = judge_floors(_bars(real), n_boot=500)
    f = floors["pixel_real"]
    assert 0.03 < f["fraction"] < 0.08 and f["low"] < 0.05 < f["high"]


def _rows(pa: float, pb: float, n: int, seed: int, paired: bool = True
          ) -> tuple[Bars, list[PairedRow]]:
    """Two 'models' whose decodes are holes with probability pa and pb under a bar at the
    real images' 95th percentile: a hole is a value drawn far above every real value."""
    rng = np.random.default_rng(seed)
    real = rng.normal(size=400)
    u = rng.random(n)  # shared draws pair the two models, as a shared seed does

    def decodes(p: float) -> np.ndarray:
        inside = rng.normal(size=n) * 0.3  # well under the bar
        draw = u if paired else rng.random(n)
        return np.where(draw < p, 10.0, inside)[:, None]

    return _bars(real), [PairedRow("holes/own", "pixel_real", decodes(pa), decodes(pb))]


def test_a_clear_difference_differs_with_its_interval_and_adjusted_p():
    bars, rows = _rows(0.40, 0.20, 2000, 0)
    (rec,) = paired_differences(rows, bars, n_boot=500)
    assert rec["verdict"] == "differs" and rec["p_holm"] < 1e-6
    assert rec["low"] <= rec["difference"] <= rec["high"] and rec["low"] > 0.15
    assert rec["test"].startswith("McNemar")
    words = difference_words(rec, "AE", "VAE")
    assert words.startswith(f"the AE is {100 * rec['difference']:.1f} points higher than the VAE")
    assert "95 % interval" in words and "Holm-adjusted p =" in words
    assert difference_cell(rec).startswith("yes +")


def test_equal_rates_on_many_units_are_the_same_within_the_margin():
    bars, rows = _rows(0.10, 0.10, 20_000, 1)
    (rec,) = paired_differences(rows, bars, n_boot=300, margin=0.03)
    assert rec["verdict"] == "same"
    assert -0.03 < rec["low90"] <= rec["high90"] < 0.03
    words = difference_words(rec, "AE", "VAE")
    assert words.startswith("the same within ±3.0 points") and "equivalence test" in words
    assert difference_cell(rec).startswith("same ±3.0")


def test_too_few_units_say_no_difference_detected_and_what_could_have_been_seen():
    bars, rows = _rows(0.25, 0.25, 60, 2, paired=False)
    (rec,) = paired_differences(rows, bars, n_boot=500)
    assert rec["verdict"] == "not detected"
    assert rec["detectable"] > abs(rec["difference"]) and rec["detectable"] > 0.05
    words = difference_words(rec, "AE", "VAE")
    assert words.startswith("no difference detected")
    assert f"would have seen about {100 * rec['detectable']:.1f} points" in words
    assert difference_cell(rec).startswith("n.s.")
    # a row whose own interval excludes 0 but which Holm's adjustment does not reject says so
    adjusted_away = dict(rec, low=0.01, high=0.09, difference=0.05)
    words = difference_words(adjusted_away, "AE", "VAE")
    assert words.startswith("not significant once the table's tests are adjusted for")
    assert "its own 95 % interval +1.0 to +9.0 excludes 0" in words


def test_holm_is_applied_across_the_rows():
    bars, rows = _rows(0.30, 0.25, 600, 4)
    _, more = _rows(0.2, 0.2, 600, 5)
    recs = paired_differences(rows + more * 5, bars, n_boot=200)
    np.testing.assert_allclose([r["p_holm"] for r in recs], holm([r["p"] for r in recs]))
    assert recs[0]["p_holm"] >= recs[0]["p"]


def test_clustered_rows_use_the_sign_flip_test_and_bootstrap_the_bars():
    rng = np.random.default_rng(6)
    real = rng.normal(size=200)
    a = rng.normal(size=(300, 3)) + 1.0
    b = rng.normal(size=(300, 3)) + 1.0
    (rec,) = paired_differences([PairedRow("between/same_label", "pixel_real", a, b)],
                                _bars(real), n_boot=400)
    assert rec["test"].startswith("sign-flip")
    # the per-model intervals include the bar's noise: wider than a binomial over decodes
    half = (rec["a_high"] - rec["a_low"]) / 2
    binomial = 1.96 * np.sqrt(rec["a"] * (1 - rec["a"]) / a.size)
    assert half > binomial


def test_mismatched_units_are_refused():
    with pytest.raises(ValueError, match="same units"):
        PairedRow("holes/own", "pixel", np.zeros((10, 1)), np.zeros((9, 1)))


# --- the sentences and the table on constructed records ----------------------------------

def _cell(f: float, half: float = 0.02) -> dict[str, float]:
    return {"fraction": f, "low": max(0.0, f - half), "high": min(1.0, f + half)}


def _model(name: str, own: float, same_draws: dict[str, str]) -> ModelMetrics:
    m = ModelMetrics(name=name, kind=name.lower(), prior="", recon_mse=0.0, recon_rms=0.0,
                     recon_p95=0.0)
    for j in ("classifier", "pixel"):
        for k in ("own", "standard_normal", "fitted_gaussian", "gmm"):
            m.holes.setdefault(k, {})[j] = _cell(own if k != "gmm" else own / 2)
        m.reconstruction[j] = _cell(0.1)
        m.between.setdefault("same_label", {})[j] = _cell(0.2)
    m.same_draws = same_draws
    return m


def _record(measure: str, judge: str, verdict: str, d: float) -> dict:
    return {"measure": measure, "judge": judge, "a": 0.5, "b": 0.5 - d, "difference": d,
            "low": d - 0.02, "high": d + 0.02, "low90": d - 0.015, "high90": d + 0.015,
            "p": 0.001, "p_holm": 0.004 if verdict == "differs" else 0.6, "test": "McNemar",
            "detectable": 0.045, "margin": 0.03, "verdict": verdict}


def _result(records: list[dict]) -> CompareResult:
    ae = _model("AE", 0.6, {"fitted_gaussian": "own"})
    vae = _model("VAE", 0.5, {"standard_normal": "own"})
    r = CompareResult(models=[ae, vae], data_spec="x", n_held_out=100, n_reference=900,
                      hole_threshold=0.1, settings=MetricSettings())
    r.differences = records
    r.judge_floors = {"classifier": _cell(0.1), "pixel": _cell(0.133)}
    return r


def test_explanation_words_each_verdict_from_the_paired_tests():
    r = _result([_record("holes/own", "classifier", "differs", 0.1),
                 _record("holes/own", "pixel", "not detected", 0.01),
                 _record("between/same_label", "classifier", "same", 0.005)])
    text = explain(r)
    assert "the AE: the Gaussian fitted to its codes; the VAE: N(0, I)" in text
    assert "the AE is 10.0 points higher than the VAE (95 % interval +8.0 to +12.0; " \
           "Holm-adjusted p = 0.004)" in text
    assert "no difference detected (difference +1.0 points, 95 % interval -1.0 to +3.0, " \
           "Holm-adjusted p = 0.6; the test would have seen about 4.5 points)" in text
    assert "the same within ±3.0 points (difference +0.5, 90 % interval -1.0 to +2.0; " \
           "equivalence test)" in text
    # the judges' floors are stated beside the models' rates
    assert "the classifier judge 10.0% [8.0%, 12.0%], the pixel judge 13.3%" in text
    assert "prior mismatch none by construction" in text  # the AE
    assert "prior mismatch +0.0 points" in text  # the VAE's own prior vs its fitted Gaussian
    # one judge finds a difference the other does not: the sentence says it is about blur
    assert "react to blur in opposite directions" in text
    agree = _result([_record("holes/own", "classifier", "differs", 0.1),
                     _record("holes/own", "pixel", "differs", 0.2)])
    assert "blur" not in explain(agree)


def test_table_shows_identical_rows_once_the_floors_and_the_paired_cell():
    r = _result([_record("holes/own", "classifier", "differs", 0.1)])
    rows = {title: (cells, sig) for title, cells, sig in judged_rows(r)}
    assert rows["holes, own prior (classifier)"][1].startswith("yes +10.0 [+8.0, +12.0] p=0.004")
    assert rows["holes, fitted Gaussian (pixel)"][0][0] == SAME_DRAWS  # the AE's
    assert rows["holes, N(0, I) (pixel)"][0][1] == SAME_DRAWS  # the VAE's
    assert rows["holes, N(0, I) (pixel)"][0][0].startswith("60.0%")
    floor = rows["real held-out images, judge floor (pixel)"]
    assert floor[0] == ["13.3% [11.3%, 15.3%]"] * 2 and floor[1] == ""
    # rows without a paired record fall back to interval overlap
    assert rows["holes, own prior (pixel)"][1] in ("yes", "n.s.")


@pytest.mark.parametrize("kw", [{"equivalence_margin": 0.0}, {"equivalence_margin": 0.5},
                                {"n_boot": 99}, {"n_boot": 100_001}])
def test_settings_refuse_a_meaningless_margin_or_replicate_count(kw):
    with pytest.raises(ValueError, match="equivalence_margin"):
        MetricSettings(**kw)
    MetricSettings(equivalence_margin=0.01, n_boot=100)  # the edges that are allowed
