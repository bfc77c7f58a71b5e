"""Latent arithmetic, measured: does adding (mean code of A − mean code of B) to held-out B
images make the classifier judge call them A, against the same arithmetic on pixels?"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.applications import ApplicationError
from latent_atlas.explorer.core.analysis.applications.transfer import (
    format_transfer_table,
    group_text,
    measure_transfer,
)
from latent_atlas.explorer.core.progress import drain
from tests.fixture_scope import shared

AE = Path(__file__).resolve().parents[2] / "resources" / "models" / "digits_ae.safetensors"


@pytest.fixture(scope=shared)
def digits():
    from latent_atlas.explorer.core.data import load_data

    return load_data("digits")


@pytest.fixture(scope=shared)
def ae():
    if not AE.exists():
        pytest.skip("the bundled digits models are missing (resources/models/make_bundled.sh)")
    from latent_atlas.models.checkpoint import load_model

    return load_model(AE).model


@pytest.fixture(scope=shared)
def measured(ae, digits):
    return drain(measure_transfer(ae, digits, "1:7", strengths=[0, 1], limit=500))


def _split(model, n):
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices

    held, _ = held_out_indices(n, [int(model.config.seed)])
    return np.setdiff1d(np.arange(n), held), held


def _judge(digits, train, held):
    from latent_atlas.explorer.core.analysis.gaps.judges import classifier_judge

    return drain(classifier_judge(digits.images, digits.labels, train, held))


def _predict(judge, images):
    from latent_atlas.models.classifier import class_probabilities

    probs = class_probabilities(judge.net, images)
    return probs.argmax(axis=1), probs.max(axis=1) < judge.threshold


def test_direction_is_taken_from_training_codes_only(ae, digits, measured):
    from latent_atlas.explorer.core.inference import encode

    train, held = _split(ae, len(digits))
    codes = encode(ae, digits.images).astype(np.float64)
    y = digits.labels
    tr = np.zeros(len(y), dtype=bool)
    tr[train] = True
    expected = codes[tr & (y == 1)].mean(axis=0) - codes[tr & (y == 7)].mean(axis=0)
    everything = codes[y == 1].mean(axis=0) - codes[y == 7].mean(axis=0)
    np.testing.assert_allclose(measured.direction, expected, rtol=1e-4, atol=1e-4)
    assert not np.allclose(measured.direction, everything, rtol=1e-4, atol=1e-4)
    assert measured.n_train_a == int((tr & (y == 1)).sum())
    assert measured.n_train_b == int((tr & (y == 7)).sum())
    # the edited images are the held-out 7s (all of them: fewer than the limit)
    assert set(measured.sources) == set(held[y[held] == 7].tolist())


def test_strength_zero_is_the_reconstructions_and_the_raw_images(ae, digits, measured):
    from latent_atlas.explorer.core.inference import reconstruct_float

    train, held = _split(ae, len(digits))
    judge = _judge(digits, train, held)
    assert measured.judge_accuracy == pytest.approx(judge.accuracy)
    n = measured.n_sources
    tol = 1.0 / n + 1e-9  # one image may tip over between batch sizes
    pred, hole = _predict(judge, reconstruct_float(ae, digits.images[measured.sources]))
    latent = measured.cell("latent", 0)
    assert latent.n == n
    assert latent.to_a["fraction"] == pytest.approx(np.mean(pred == 1), abs=tol)
    assert latent.still_b["fraction"] == pytest.approx(np.mean(pred == 7), abs=tol)
    assert latent.holes["fraction"] == pytest.approx(np.mean(hole), abs=tol)
    assert latent.to_a["fraction"] < 0.2  # reconstructions of 7s are rarely called 1
    pred, hole = _predict(judge, digits.images[measured.sources])
    pixels = measured.cell("pixels", 0)
    assert pixels.to_a["fraction"] == pytest.approx(np.mean(pred == 1), abs=tol)
    assert pixels.still_b["fraction"] == pytest.approx(np.mean(pred == 7), abs=tol)
    assert pixels.holes["fraction"] == pytest.approx(np.mean(hole), abs=tol)
    for cell in (latent, pixels):
        for part in (cell.to_a, cell.still_b, cell.holes):
            assert part["low"] <= part["fraction"] <= part["high"]


def test_the_direction_turns_sevens_into_ones(measured):
    # Measured on the bundled AE: 18 held-out 7s, 0 % called 1 at s = 0, 100 % at s = 1.
    at0, at1 = measured.cell("latent", 0), measured.cell("latent", 1)
    assert at1.to_a["fraction"] > 0.5 > at0.to_a["fraction"]
    assert at1.to_a["low"] > 0.1  # chance is one class in ten
    assert at1.still_b["fraction"] < at0.still_b["fraction"]


def test_limit_and_seed_choose_the_sources(ae, digits):
    gen = measure_transfer(ae, digits, "0", "6", strengths=[0.5], limit=5, seed=3)
    r = drain(gen)
    again = drain(measure_transfer(ae, digits, "0", "6", strengths=[0.5], limit=5, seed=3))
    other = drain(measure_transfer(ae, digits, "0", "6", strengths=[0.5], limit=5, seed=4))
    assert r.n_sources == 5 and list(r.sources) == list(again.sources)
    assert list(r.sources) != list(other.sources)
    assert all(digits.labels[i] == 6 for i in r.sources)
    assert [c.method for c in r.cells] == ["latent", "pixels"]
    # the first 4 edited images kept for a picture: one latent and one pixel row each
    assert r.examples["latent"].shape == r.examples["pixels"].shape == (4, 1, 8, 8)
    rows = r.example_rows()
    assert len(rows) == 8 and all(row.dtype == np.uint8 for row in rows)
    np.testing.assert_array_equal(rows[1], r.examples["pixels"][0])


def test_example_pixel_rows_are_the_edited_images(digits, measured):
    assert measured.examples["pixels"].shape[:2] == (4, 2)
    # strength 0: the image itself, as displayed
    np.testing.assert_array_equal(measured.examples["pixels"][0, 0], digits.images[
        measured.sources[0]][0])
    assert not np.array_equal(measured.examples["latent"][0, 0], measured.examples["latent"][0, 1])


def test_result_as_json_and_tables(measured):
    doc = json.loads(json.dumps(measured.to_dict()))
    assert doc["a"] == "1" and doc["b"] == "7" and doc["strengths"] == [0.0, 1.0]
    assert len(doc["cells"]) == 4
    assert {"to_a", "still_b", "holes", "sure_a"} <= set(doc["cells"][0])
    text = format_transfer_table(measured)
    assert "→ 1" in text and "still 7" in text and "latent" in text and "pixels" in text
    md = format_transfer_table(measured, markdown=True)
    assert md.startswith("| method | strength | → 1 | still 7 | holes |")
    assert md.count("\n| latent |") == 2


@pytest.mark.parametrize("direction, message", [
    ("1:99", "unknown label"),
    ("1:1", "two different labels"),
    ("1", "LABEL_A:LABEL_B"),
])
def test_bad_directions_are_readable(ae, digits, direction, message):
    with pytest.raises(ApplicationError, match=message):
        drain(measure_transfer(ae, digits, direction))


def test_bad_strengths_and_limits(ae, digits):
    with pytest.raises(ApplicationError, match="finite"):
        drain(measure_transfer(ae, digits, "1:7", strengths=[0, float("nan")]))
    with pytest.raises(ApplicationError, match="limit"):
        drain(measure_transfer(ae, digits, "1:7", limit=0))


def test_factor_groups_and_unlabelled_data_are_refused(ae, digits):
    n = len(digits)
    factors = {"scale": np.linspace(0, 1, n)}
    data = SimpleNamespace(images=digits.images, labels=digits.labels,
                           label_names=digits.label_names, factors=factors, spec="x")
    with pytest.raises(ApplicationError, match="measuring needs two labels"):
        drain(measure_transfer(ae, data, "scale>0.5"))
    with pytest.raises(ApplicationError, match="measuring needs two labels"):
        drain(measure_transfer(ae, data, "1", group_text("factor:scale<=0.5")))
    bare = SimpleNamespace(images=digits.images, labels=None, label_names=[], factors={})
    with pytest.raises(ApplicationError, match="measuring needs two labels"):
        drain(measure_transfer(ae, bare, "1:7"))


def test_group_text_reads_the_pickers_keys():
    assert group_text("label:3") == "3"
    assert group_text("factor:scale>0.5") == "scale>0.5"
    assert group_text("7") == "7"


def test_cancel_stops_the_measurement(ae, digits):
    from latent_atlas.explorer.core.progress import Cancelled

    with pytest.raises(Cancelled):
        drain(measure_transfer(ae, digits, "1:7", cancel=lambda: True))


def _tiny(**options):
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    cfg = ModelConfig(arch="conv", input_shape=(1, 8, 8), hidden=(4, 6), latent_dim=3, seed=0,
                      **options)
    return build_model(cfg).eval()


def test_a_max_unpool_model_decodes_edits_with_training_switches(digits):
    """Without any attached reference (it could not decode a code alone), the measurement
    lends the switches of the nearest training image."""
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices
    from latent_atlas.explorer.core.switches import switch_reference

    model = _tiny(kind="ae", upsample="max-unpool", downsample="max")
    assert switch_reference(model) is None
    r = drain(measure_transfer(model, digits, "1:7", strengths=[0, 1], limit=6))
    assert r.n_sources == 6 and len(r.cells) == 4
    assert any("switches of the nearest training image" in n for n in r.notes)
    held, _ = held_out_indices(len(digits), [0])
    assert set(r.sources) <= set(held.tolist())


def test_conditional_models_and_other_image_sizes_are_refused(digits):
    with pytest.raises(ApplicationError, match="conditional model"):
        drain(measure_transfer(_tiny(kind="cvae", n_classes=10), digits, "1:7"))
    small = SimpleNamespace(images=digits.images[:, :, :4, :4], labels=digits.labels,
                            label_names=digits.label_names, factors={})
    with pytest.raises(ApplicationError, match="expects images"):
        drain(measure_transfer(_tiny(kind="ae"), small, "1:7"))
