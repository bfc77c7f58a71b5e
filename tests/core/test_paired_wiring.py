"""How `compare_models` wires its judges into the paired statistics (`metrics.paired_tests`),
checked on constructed distances: which way each judge counts a hole, that a held-out
reconstruction is judged by the bar the other half of the held-out images set, that the
halves and the bootstrap follow the settings' seed and size, and the judges' floors."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
    _Measured,
    paired_tests,
)
from latent_atlas.explorer.core.analysis.comparison.paired import (
    Bars,
    crossfit_fraction,
    judge_floors,
)
from latent_atlas.explorer.core.analysis.gaps.holes import Judged

N = 60  # held-out images


def _measured(rng: np.random.Generator, name: str, shift: float) -> _Measured:
    dist = rng.gamma(2.0, 1.0, size=N) + shift
    conf = rng.uniform(0.2, 1.0, size=N) - shift / 10
    metrics = ModelMetrics(name, "ae", "own", 0.01, 0.1, 0.2)
    metrics.reconstruction = {j: {"fraction": -1.0} for j in ("pixel", "pixel_real", "classifier")}
    return _Measured(metrics, recon_dist=dist, prior_dist=dist,
                     judged={"reconstruction": Judged(dist[:, None], conf[:, None])})


def _run(settings: MetricSettings, *, with_judge: bool = True):
    rng = np.random.default_rng(3)
    measured = [_measured(rng, "a", 0.0), _measured(rng, "b", 0.5)]
    real_nn = rng.gamma(2.0, 1.0, size=N)
    real_conf = rng.uniform(0.3, 1.0, size=N)
    result = CompareResult([m.metrics for m in measured], "constructed", N, N, 1.0, settings)
    judge = SimpleNamespace(percentile=settings.classifier_percentile) if with_judge else None
    paired_tests(result, measured, real_nn, real_conf, judge, settings)
    return result, measured, real_nn, real_conf


def _expected_bars(settings, measured, real_nn, real_conf) -> Bars:
    """The bars as documented: the pixel bar pooled over the models' reconstructions, the
    real-image bar and the classifier's, halves drawn with the settings' seed + 7."""
    fold = np.zeros(N, dtype=np.int64)
    fold[np.random.default_rng(settings.seed + 7).permutation(N)[: N // 2]] = 1
    return Bars({"pixel": np.stack([m.recon_dist for m in measured], axis=1),
                 "pixel_real": real_nn, "classifier": real_conf},
                {"pixel": settings.hole_percentile, "pixel_real": settings.real_percentile,
                 "classifier": settings.classifier_percentile},
                {"pixel": True, "pixel_real": True, "classifier": False},
                {"pixel": real_nn, "pixel_real": real_nn, "classifier": real_conf}, fold)


def test_reconstructions_and_floors_are_judged_as_documented():
    settings = MetricSettings(n_boot=200, seed=4)
    result, measured, real_nn, real_conf = _run(settings)
    bars = _expected_bars(settings, measured, real_nn, real_conf)
    boot = {"n_boot": 200, "seed": 4}
    assert result.judge_floors == judge_floors(bars, **boot)
    for m in measured:
        rec = m.judged["reconstruction"]
        assert m.metrics.reconstruction == {
            "pixel": crossfit_fraction(bars, "pixel", rec.dist, **boot),
            "pixel_real": crossfit_fraction(bars, "pixel_real", rec.dist, **boot),
            "classifier": crossfit_fraction(bars, "classifier", rec.conf, **boot)}
    # a low confidence is a hole for the classifier; a large distance for the pixel judges
    assert 0.0 < result.judge_floors["classifier"]["fraction"] < 0.5
    assert {d["judge"] for d in result.differences if d["measure"] == "reconstruction"} \
        == {"pixel", "pixel_real", "classifier"}


def test_the_halves_and_the_bootstrap_follow_the_settings():
    base, *_ = _run(MetricSettings(n_boot=200, seed=0))
    other_seed, *_ = _run(MetricSettings(n_boot=200, seed=1))
    more_boot, *_ = _run(MetricSettings(n_boot=400, seed=0))
    assert base.judge_floors != other_seed.judge_floors  # other halves, other bars
    for j, floor in base.judge_floors.items():
        assert more_boot.judge_floors[j]["fraction"] == floor["fraction"]
    assert any(more_boot.judge_floors[j] != base.judge_floors[j] for j in base.judge_floors)


def test_without_a_classifier_only_the_pixel_judges_are_used():
    result, measured, *_ = _run(MetricSettings(n_boot=100), with_judge=False)
    assert set(result.judge_floors) == {"pixel", "pixel_real"}
    assert measured[0].metrics.reconstruction["classifier"] == {"fraction": -1.0}  # untouched
    assert {d["judge"] for d in result.differences} <= {"pixel", "pixel_real", None}


def test_floors_have_intervals_around_their_fraction():
    result, *_ = _run(MetricSettings(n_boot=200))
    for floor in result.judge_floors.values():
        assert floor["low"] <= floor["fraction"] <= floor["high"]


def test_a_reconstruction_row_is_filled_only_where_it_was_measured():
    """No confidences (a model the classifier could not read) leave its classifier row as
    it was; a row the model's metrics do not have is not added."""
    settings = MetricSettings(n_boot=100)
    rng = np.random.default_rng(5)
    measured = [_measured(rng, "a", 0.0), _measured(rng, "b", 0.5)]
    rec = measured[0].judged["reconstruction"]
    measured[0].judged["reconstruction"] = Judged(rec.dist, None)
    del measured[1].metrics.reconstruction["pixel_real"]
    real_nn, real_conf = rng.gamma(2.0, 1.0, size=N), rng.uniform(0.3, 1.0, size=N)
    result = CompareResult([m.metrics for m in measured], "constructed", N, N, 1.0, settings)
    paired_tests(result, measured, real_nn, real_conf,
                 SimpleNamespace(percentile=settings.classifier_percentile), settings)
    assert measured[0].metrics.reconstruction["classifier"] == {"fraction": -1.0}
    assert measured[0].metrics.reconstruction["pixel"]["fraction"] >= 0.0
    assert set(measured[1].metrics.reconstruction) == {"pixel", "classifier"}


def test_three_models_pair_the_first_two():
    settings = MetricSettings(n_boot=100)
    rng = np.random.default_rng(6)
    measured = [_measured(rng, name, shift) for name, shift in (("a", 0.0), ("b", 0.5), ("c", 1.0))]
    real_nn, real_conf = rng.gamma(2.0, 1.0, size=N), rng.uniform(0.3, 1.0, size=N)
    result = CompareResult([m.metrics for m in measured], "constructed", N, N, 1.0, settings)
    paired_tests(result, measured, real_nn, real_conf,
                 SimpleNamespace(percentile=settings.classifier_percentile), settings)
    pixel = next(d for d in result.differences
                 if d["measure"] == "reconstruction" and d["judge"] == "pixel")
    assert pixel["difference"] < 0 and measured[2].metrics.reconstruction["pixel"]["fraction"] > 0


def test_each_paired_row_compares_what_its_judge_reads():
    """The reconstruction rows' differences are the two models' cross-fitted fractions
    apart (confidences for the classifier, distances for the pixel judges); a measure only
    the first model has is skipped, and the measures after it are still paired."""
    settings = MetricSettings(n_boot=200, seed=4)
    rng = np.random.default_rng(3)
    measured = [_measured(rng, "a", 0.0), _measured(rng, "b", 0.5)]
    only_a = Judged(rng.gamma(2.0, 1.0, size=(N, 1)), rng.uniform(0.2, 1.0, size=(N, 1)))
    measured[0].judged = {"holes/only_a": only_a, **measured[0].judged}
    real_nn, real_conf = rng.gamma(2.0, 1.0, size=N), rng.uniform(0.3, 1.0, size=N)
    result = CompareResult([m.metrics for m in measured], "constructed", N, N, 1.0, settings)
    paired_tests(result, measured, real_nn, real_conf,
                 SimpleNamespace(percentile=settings.classifier_percentile), settings)
    rows = {d["judge"]: d for d in result.differences if d["measure"] == "reconstruction"}
    assert set(rows) == {"pixel", "pixel_real", "classifier"}
    assert not any(d["measure"] == "holes/only_a" for d in result.differences)
    a, b = (m.metrics.reconstruction for m in measured)
    for judge, row in rows.items():
        assert row["difference"] == pytest.approx(a[judge]["fraction"] - b[judge]["fraction"])


def test_the_differences_use_the_settings_margin_and_replicates():
    default, *_ = _run(MetricSettings(n_boot=200, seed=0))
    wider, *_ = _run(MetricSettings(n_boot=200, seed=0, equivalence_margin=0.2))
    more_boot, *_ = _run(MetricSettings(n_boot=400, seed=0))
    assert {d["margin"] for d in wider.differences} == {0.2}
    assert {d["margin"] for d in default.differences} == {MetricSettings().equivalence_margin}
    assert [d["difference"] for d in more_boot.differences] == \
        [d["difference"] for d in default.differences]
    assert any((d["low"], d["high"]) != (e["low"], e["high"])
               for d, e in zip(more_boot.differences, default.differences, strict=True))


def test_a_judge_whose_values_do_not_pair_is_skipped_and_the_next_one_still_pairs():
    """Distances judged on other decodes (another shape) cannot be paired; the classifier's
    confidences of the same decodes still are."""
    settings = MetricSettings(n_boot=100, seed=2)
    rng = np.random.default_rng(8)
    measured = [_measured(rng, "a", 0.0), _measured(rng, "b", 0.5)]
    rec = measured[1].judged["reconstruction"]
    measured[1].judged["reconstruction"] = Judged(np.repeat(rec.dist, 2, axis=1), rec.conf)
    real_nn, real_conf = rng.gamma(2.0, 1.0, size=N), rng.uniform(0.3, 1.0, size=N)
    result = CompareResult([m.metrics for m in measured], "constructed", N, N, 1.0, settings)
    paired_tests(result, measured, real_nn, real_conf,
                 SimpleNamespace(percentile=settings.classifier_percentile), settings)
    assert [d["judge"] for d in result.differences if d["measure"] == "reconstruction"] \
        == ["classifier"]


def test_probe_rows_pair_the_shares_and_classifiers_both_models_have():
    """k-NN and logistic accuracies per labelled share: higher is better; a share or a
    classifier only the first model has is left out, not an error."""
    settings = MetricSettings(n_boot=100, seed=1)
    rng = np.random.default_rng(9)
    measured = [_measured(rng, "a", 0.0), _measured(rng, "b", 0.5)]
    right_a = rng.uniform(size=N) < 0.9
    right_b = rng.uniform(size=N) < 0.6
    measured[0].metrics.extras["probe_right"] = {
        "10%": {"knn": right_a, "logistic": right_a}, "100%": {"knn": right_a}}
    measured[1].metrics.extras["probe_right"] = {"10%": {"knn": right_b}}
    real_nn, real_conf = rng.gamma(2.0, 1.0, size=N), rng.uniform(0.3, 1.0, size=N)
    result = CompareResult([m.metrics for m in measured], "constructed", N, N, 1.0, settings)
    paired_tests(result, measured, real_nn, real_conf,
                 SimpleNamespace(percentile=settings.classifier_percentile), settings)
    probes = [d for d in result.differences if d["measure"].startswith("probe/")]
    assert [d["measure"] for d in probes] == ["probe/10%/knn"]
    (probe,) = probes
    assert probe["judge"] is None and probe["higher_is_better"] is True
    assert probe["difference"] == pytest.approx(right_a.mean() - right_b.mean())
    assert all(d["higher_is_better"] is False for d in result.differences if d is not probe)
