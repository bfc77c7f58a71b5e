"""Codes as features (latent_atlas.explorer.core.analysis.claims.probe)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.claims.probe import (
    ProbeSettings,
    format_probe_table,
    labelled_subset,
    parse_fractions,
    probe_accuracy,
    probe_iter,
)
from latent_atlas.explorer.core.progress import drain
from tests.fixture_scope import shared

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_AE = ROOT / "resources" / "models" / "digits_ae.safetensors"


@pytest.fixture(scope=shared)
def digits():
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.models.checkpoint import load_model

    return load_model(BUNDLED_AE).model, load_data("digits")


def test_probe_accuracy_on_separable_and_on_random_labels():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, size=(3, 4))
    y = rng.integers(0, 3, 300)
    x = centres[y] + rng.normal(0, 0.5, size=(300, 4))
    acc = probe_accuracy(x[:200], y[:200], x[200:], y[200:], seed=0)
    assert set(acc) == {"logistic", "knn", "knn_standardised"}
    assert acc["logistic"] > 0.95 and acc["knn"] > 0.95
    shuffled = rng.permutation(y)  # labels that have nothing to do with the features
    acc = probe_accuracy(x[:200], shuffled[:200], x[200:], shuffled[200:], seed=0)
    assert acc["logistic"] < 0.6 and acc["knn"] < 0.6


def test_probe_accuracy_checks_its_inputs():
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="two classes"):
        probe_accuracy(x, np.zeros(10), x, np.zeros(10))
    with pytest.raises(ValueError, match="one label"):
        probe_accuracy(x, np.arange(9) % 2, x, np.arange(10) % 2)
    with pytest.raises(ValueError, match="differ"):
        probe_accuracy(x, np.arange(10) % 2, np.zeros((10, 4)), np.arange(10) % 2)
    # fewer labelled images than k: k-NN uses what there is
    acc = probe_accuracy(np.array([[0.0], [1.0], [10.0]]), np.array([0, 0, 1]),
                         np.array([[0.5], [9.0]]), np.array([0, 1]))
    assert acc["logistic"] == 1.0


def test_labelled_subset_is_stratified_seeded_and_covers_every_class():
    y = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 110, 120, 130, 140])
    pick = labelled_subset(y, 0.1, seed=3)
    counts = np.bincount(y[pick], minlength=10)
    np.testing.assert_array_equal(counts, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    np.testing.assert_array_equal(pick, labelled_subset(y, 0.1, seed=3))
    assert not np.array_equal(pick, labelled_subset(y, 0.1, seed=4))
    tiny = labelled_subset(y, 0.001, seed=0)  # less than one per class: still one each
    np.testing.assert_array_equal(np.bincount(y[tiny]), np.ones(10))
    assert len(labelled_subset(y, 1.0)) == len(y)
    with pytest.raises(ValueError):
        labelled_subset(y, 0)


@pytest.mark.parametrize("text,expected", [("1%,10%,100%", (0.01, 0.1, 1.0)),
                                           ("0.5, 1", (0.5, 1.0)), ("5%,5%", (0.05,))])
def test_parse_fractions(text, expected):
    assert parse_fractions(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "0%", "150%", "abc", "-1"])
def test_parse_fractions_refuses_bad_text(text):
    with pytest.raises(ValueError):
        parse_fractions(text)


def test_the_probe_beats_chance_on_digits(digits):
    model, data = digits
    r = drain(probe_iter(model, data.images, data.labels,
                         ProbeSettings(fractions=(0.1, 1.0)), data_spec=data.spec))
    assert r.n_classes == 10 and r.chance < 0.2
    assert r.n_held_out == 180 and r.n_train == len(data) - 180
    for row in r.rows:
        for clf in ("logistic", "knn"):
            assert row.codes[clf] > 3 * r.chance
            assert row.pixels[clf] > 3 * r.chance
    full = r.rows[1]
    assert full.n_labelled == r.n_train and full.codes["knn"] > 0.85
    assert r.rows[0].n_labelled < full.n_labelled
    text = format_probe_table(r)
    assert "logistic codes" in text and "10 %" in text
    assert r.to_dict()["rows"][1]["codes"]["knn"] == full.codes["knn"]


def test_the_probe_needs_labels(digits):
    model, data = digits
    with pytest.raises(ValueError, match="no labels"):
        drain(probe_iter(model, data.images, None, data_spec="npz:x.npz"))


def test_probe_metrics_give_accuracy_with_an_interval_per_share_and_classifier():
    from latent_atlas.explorer.core.analysis.claims.probe import probe_metrics

    rng = np.random.default_rng(1)
    centres = rng.normal(0, 4, size=(4, 3))
    y = np.repeat(np.arange(4), 100)
    codes = centres[y] + rng.normal(0, 0.5, size=(400, 3))
    held = np.arange(0, 400, 5)
    train = np.setdiff1d(np.arange(400), held)
    out = probe_metrics(codes, y, train, held, (0.1, 1.0), seed=0)
    assert list(out) == ["10%", "100%"]
    for cells in out.values():
        assert set(cells) == {"logistic", "knn", "knn_standardised"}
        for c in cells.values():
            assert c["low"] <= c["accuracy"] <= c["high"] and c["n"] == len(held)
            assert c["accuracy"] > 0.9
    # labels unrelated to the codes: near chance (0.25), and the interval says so
    noise = probe_metrics(codes, rng.permutation(y), train, held, (1.0,), seed=0)
    assert noise["100%"]["logistic"]["low"] < 0.4
    # one class among the training images: nothing to probe
    assert probe_metrics(codes, np.zeros(400), train, held, (1.0,)) == {}


@pytest.fixture(scope=shared)
def compared(digits):
    from latent_atlas.explorer.core.analysis.comparison.metrics import (
        MetricSettings,
        compare_models,
    )
    from latent_atlas.models.checkpoint import load_model

    vae = load_model(ROOT / "resources" / "models" / "digits_vae.safetensors").model
    ae, data = digits
    settings = MetricSettings(n_prior=100, n_pairs=5, steps=3, n_path=20, n_between=20,
                              classifier=False)
    return drain(compare_models({"AE": ae, "VAE": vae}, data, settings)), settings


def test_compare_metrics_carry_the_probe_of_both_models(compared):
    from latent_atlas.explorer.core.analysis.comparison.table import format_table, probe_rows

    result, _ = compared
    for m in result.models:
        assert set(m.probe) == {"10%", "100%"}
        assert m.probe["100%"]["logistic"]["accuracy"] > 0.8  # chance is about 0.1
        assert m.to_dict()["probe"]["100%"]["knn"]["accuracy"] == m.probe["100%"]["knn"]["accuracy"]
    rows = probe_rows(result)
    assert len(rows) >= 4 and all(sig.split(" ")[0] in ("yes", "n.s.", "same") for _t, _c, sig in rows)
    assert "codes as features" in format_table(result)
    assert "| probe accuracy, logistic regression, all labels |" in format_table(result, True)
    assert "Codes as features, with all training labels" in result.explanation
    assert "the classifier judge was turned off" in result.explanation


def test_no_probe_without_labels_or_when_turned_off(compared, digits):
    from dataclasses import replace

    from latent_atlas.explorer.core.analysis.comparison.metrics import (
        MetricSettings,
        compare_models,
    )
    from latent_atlas.explorer.core.analysis.comparison.table import format_table, probe_rows
    from latent_atlas.explorer.core.data import ImageSet

    result, settings = compared
    ae, data = digits
    off = drain(compare_models({"AE": ae}, data, replace(settings, probe_labels=())))
    assert off.models[0].probe == {} and probe_rows(off) == []
    unlabelled = ImageSet(images=data.images, spec="digits-unlabelled")
    plain = drain(compare_models({"AE": ae}, unlabelled, settings))
    assert plain.models[0].probe == {} and "codes as features" not in format_table(plain)
    with pytest.raises(ValueError, match="probe label fractions"):
        MetricSettings(probe_labels=(0.0,))


def test_probe_accuracy_is_spread_over_seeds(digits):
    from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings
    from latent_atlas.explorer.core.analysis.comparison.seeds import compare_over_seeds
    from latent_atlas.explorer.core.analysis.comparison.table import probe_cell

    ae, data = digits
    settings = MetricSettings(n_prior=50, n_pairs=3, steps=3, n_path=10, n_between=10,
                              classifier=False, probe_labels=(0.1,))
    result = drain(compare_over_seeds({"AE": ae}, data, settings, [0, 1]))
    cell = result.models[0].probe["10%"]["logistic"]
    assert len(cell["per_seed"]) == 2 and cell["mean"] == pytest.approx(np.mean(cell["per_seed"]))
    assert "seeds" in probe_cell(result.models[0], "10%", "logistic")


def test_probe_metrics_are_bounded_on_large_data(monkeypatch):
    from latent_atlas.explorer.core.analysis.claims import probe

    monkeypatch.setattr(probe, "MAX_PROBE_TRAIN", 50)
    monkeypatch.setattr(probe, "MAX_PROBE_TEST", 40)
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(2), 300)
    codes = np.where(y[:, None] == 1, 3.0, -3.0) + rng.normal(0, 1, (600, 2))
    held = np.arange(0, 600, 3)
    train = np.setdiff1d(np.arange(600), held)
    out = probe.probe_metrics(codes, y, train, held, (1.0,), seed=0)
    cell = out["100%"]["logistic"]
    assert cell["n"] == 40 and cell["accuracy"] > 0.9


def test_mcnemar_counts_the_images_only_one_classifier_gets_right():
    from latent_atlas.explorer.core.analysis.intervals import mcnemar

    a = np.array([True] * 10 + [True] * 50 + [False] * 40)
    b = np.array([False] * 10 + [True] * 50 + [False] * 40)
    t = mcnemar(a, b)  # 10 images only A gets right, none only B
    assert (t["b"], t["c"]) == (10, 0)
    assert t["p"] == pytest.approx(2 * 0.5 ** 10)
    assert mcnemar(a, a)["p"] == 1.0  # no discordant image: no evidence either way
    even = mcnemar([True, False] * 20, [False, True] * 20)
    assert even["b"] == even["c"] == 20 and even["p"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="scored on"):
        mcnemar(a, b[:5])


def test_compare_tests_the_two_probes_on_the_same_images(compared):
    from latent_atlas.explorer.core.analysis.comparison.table import probe_rows
    from latent_atlas.explorer.core.analysis.intervals import mcnemar

    result, _ = compared
    assert set(result.probe_tests) == {"10%", "100%"}
    ae, vae = result.models
    for key, by_clf in result.probe_tests.items():
        for clf, test in by_clf.items():
            assert 0 <= test["p"] <= 1
            right_a = ae.extras["probe_right"][key][clf]
            right_b = vae.extras["probe_right"][key][clf]
            assert len(right_a) == len(right_b) == ae.probe[key][clf]["n"]
            assert right_a.mean() == pytest.approx(ae.probe[key][clf]["accuracy"])
            assert test == mcnemar(right_a, right_b)
    from latent_atlas.explorer.core.analysis.comparison.paired import difference_cell, find

    rows = {title: sig for title, _c, sig in probe_rows(result)}
    p = result.probe_tests["100%"]["logistic"]["p"]
    rec = find(result.differences, "probe/100%/logistic", None)
    assert rec["p"] == pytest.approx(p) and rec["p_holm"] >= rec["p"]  # adjusted with the rest
    assert rows["probe accuracy, logistic regression, all labels"] == difference_cell(rec)
    assert "McNemar p =" in result.explanation
    assert result.to_dict()["probe_tests"]["100%"]["knn"]["p"] == result.probe_tests["100%"]["knn"]["p"]


def test_knn_reads_unscaled_codes_so_a_collapsed_dimension_does_not_swamp_it():
    from latent_atlas.explorer.core.analysis.claims.probe import KNN_STANDARDISED

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=600)
    signal = y[:, None] * 3.0 + rng.normal(size=(600, 1)) * 0.3
    collapsed = rng.normal(size=(600, 12)) * 0.01  # near-constant dimensions of pure noise
    codes = np.concatenate([signal, collapsed], axis=1).astype(np.float32)
    acc = probe_accuracy(codes[:400], y[:400], codes[400:], y[400:], seed=0)
    assert acc["knn"] > 0.95  # the noise barely moves a distance
    assert acc[KNN_STANDARDISED] < acc["knn"] - 0.25  # standardised, the noise dims outvote the signal
    # pixels are read on the 0..1 scale, uint8 or float alike
    img = (rng.random((60, 1, 4, 4)) * 255).astype(np.uint8)
    lab = rng.integers(0, 2, size=60)
    a = probe_accuracy(img[:40], lab[:40], img[40:], lab[40:])
    b = probe_accuracy(img[:40] / 255.0, lab[:40], img[40:] / 255.0, lab[40:])
    assert a["knn"] == b["knn"]
