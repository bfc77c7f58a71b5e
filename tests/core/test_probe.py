"""Codes as features (explorer.core.analysis.probe)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from explorer.core.analysis.probe import (
    ProbeSettings,
    format_probe_table,
    labelled_subset,
    parse_fractions,
    probe_accuracy,
    probe_iter,
)
from explorer.core.progress import drain

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_AE = ROOT / "resources" / "models" / "digits_ae.safetensors"


@pytest.fixture(scope="module")
def digits():
    from explorer.core.data import load_data
    from models.checkpoint import load_model

    return load_model(BUNDLED_AE).model, load_data("digits")


def test_probe_accuracy_on_separable_and_on_random_labels():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, size=(3, 4))
    y = rng.integers(0, 3, 300)
    x = centres[y] + rng.normal(0, 0.5, size=(300, 4))
    acc = probe_accuracy(x[:200], y[:200], x[200:], y[200:], seed=0)
    assert set(acc) == {"logistic", "knn"}
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
