"""Latent arithmetic: attribute vectors from label or factor groups, added with a strength."""

from __future__ import annotations

import numpy as np
import pytest
from applications_fixtures import untrained

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    add_direction,
    attribute_direction,
    attribute_groups,
    parse_direction,
)
from latent_atlas.explorer.core.analysis.applications.arithmetic import (
    factor_group,
    groups_for_codes,
    label_group,
    parse_group,
    strength_steps,
)
from latent_atlas.explorer.core.inference import decode_float, to_display

NAMES = ["square", "ellipse", "triangle", "heart"]


@pytest.fixture()
def coded():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=200)
    codes = rng.normal(size=(200, 6)).astype(np.float32) + labels[:, None] * 0.5
    factors = {"scale": rng.uniform(0.5, 1.0, 200), "x": rng.uniform(0, 1, 200)}
    return codes, labels, factors


def test_direction_is_the_difference_of_the_label_means(coded):
    codes, labels, factors = coded
    a, b = parse_direction("heart:square", labels, NAMES, factors)
    v = attribute_direction(codes, a, b)
    expected = codes[labels == 3].mean(axis=0) - codes[labels == 0].mean(axis=0)
    np.testing.assert_allclose(v.vector, expected, rtol=1e-5, atol=1e-6)
    assert (v.a, v.b, v.n_a, v.n_b) == ("heart", "square", int((labels == 3).sum()),
                                        int((labels == 0).sum()))
    assert v.title == "heart − square" and v.norm == pytest.approx(np.linalg.norm(expected), rel=1e-5)
    # by number, the same direction
    a2, b2 = parse_direction("3:0", labels, NAMES, factors)
    np.testing.assert_allclose(attribute_direction(codes, a2, b2).vector, v.vector)


def test_a_factor_threshold_splits_the_data(coded):
    codes, labels, factors = coded
    a, b = parse_direction("scale>0.75", labels, NAMES, factors)
    assert a.title == "scale > 0.75" and b.title == "scale ≤ 0.75"
    np.testing.assert_array_equal(a.mask, factors["scale"] > 0.75)
    np.testing.assert_array_equal(a.mask, ~b.mask)
    v = attribute_direction(codes, a, b)
    big, small = factors["scale"] > 0.75, factors["scale"] <= 0.75
    np.testing.assert_allclose(v.vector, codes[big].mean(0) - codes[small].mean(0), rtol=1e-5,
                               atol=1e-6)
    mixed = parse_direction("x>0.5:heart", labels, NAMES, factors)
    assert mixed[0].title == "x > 0.5" and mixed[1].title == "heart"


@pytest.mark.parametrize("text, message", [
    ("heart:circle", "unknown label 'circle': the labels are square, ellipse, triangle, heart"),
    ("7:0", "unknown label '7'"),
    ("heart", "LABEL_A:LABEL_B"),
    ("heart:", "LABEL_A:LABEL_B"),
    ("size>0.5", "unknown factor 'size'"),
    ("heart:heart", "two different groups"),
])
def test_bad_directions_are_readable_errors(coded, text, message):
    codes, labels, factors = coded
    with pytest.raises(ApplicationError, match=message):
        a, b = parse_direction(text, labels, NAMES, factors)
        attribute_direction(codes, a, b)


def test_an_empty_group_and_unlabelled_data_are_refused(coded):
    codes, labels, _ = coded
    with pytest.raises(ApplicationError, match="no sample is in group scale > 2"):
        attribute_direction(codes, factor_group({"scale": np.ones(200)}, "scale", 2.0),
                            label_group(labels, NAMES, "heart"))
    with pytest.raises(ApplicationError, match="no labels"):
        parse_group("heart", None, [], {})


def test_groups_to_pick_are_labels_then_factor_halves(coded):
    codes, labels, factors = coded
    groups = attribute_groups(labels, NAMES, factors)
    titles = [g.title for g in groups]
    assert titles[:4] == NAMES
    med = float(np.median(factors["scale"]))
    assert f"scale > {med:g}" in titles and f"scale ≤ {med:g}" in titles
    by_key = groups_for_codes(codes, labels, NAMES, factors)
    assert set(by_key) == {g.key for g in groups}
    # labels of another length than the codes are not offered
    assert all(not k.startswith("label:") for k in groups_for_codes(codes[:50], labels, NAMES, {}))


def test_strength_zero_decodes_the_original_code(coded):
    codes, labels, _ = coded
    model = untrained("ae", latent_dim=6)
    a, b = parse_direction("ellipse:square", labels, NAMES)
    v = attribute_direction(codes, a, b)
    z = codes[5]
    row = add_direction(model, z, v, [-1.0, 0.0, 2.0])
    assert row.images.shape[0] == 3
    np.testing.assert_array_equal(row.images[1], to_display(decode_float(model, z[None]))[0])
    np.testing.assert_allclose(row.codes[2], z + 2 * v.vector, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(row.codes[0], z - v.vector, rtol=1e-5, atol=1e-6)
    assert not np.array_equal(row.images[0], row.images[2])
    with pytest.raises(ApplicationError, match="strengths must be finite"):
        add_direction(model, z, v, [np.nan])
    with pytest.raises(ApplicationError, match="one code"):
        add_direction(model, codes[:2], v, [1.0])


def test_strength_steps_run_from_the_code_to_the_full_strength():
    np.testing.assert_allclose(strength_steps(-2.0, 5), [0, -0.5, -1, -1.5, -2])
    with pytest.raises(ApplicationError, match="steps"):
        strength_steps(1.0, 1)


def test_absurd_strengths_are_refused_with_the_bound():
    from latent_atlas.explorer.core.analysis.applications.arithmetic import (
        MAX_STRENGTH,
        check_strengths,
    )
    from latent_atlas.explorer.core.analysis.applications.common import ApplicationError

    assert check_strengths([-MAX_STRENGTH, 0, MAX_STRENGTH]).dtype == np.float32
    with pytest.raises(ApplicationError, match="within ±1000"):
        check_strengths([1e308])
    with pytest.raises(ApplicationError, match="finite"):
        check_strengths([float("nan")])
