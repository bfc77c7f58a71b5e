"""The procedural shapes set: factors, determinism, options and the drawing itself."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.core.data import DataError, load_data
from explorer.core.data.shapes import SHAPE_NAMES, render_shapes, sample_factors


@pytest.fixture(scope="module")
def shapes():
    return load_data("shapes:2000")


def test_defaults():
    s = load_data("shapes")
    assert s.images.shape == (20000, 1, 32, 32) and s.images.dtype == np.uint8
    assert s.spec == "shapes"
    assert load_data("shapes:20000?seed=0&size=32").spec == "shapes"


def test_factor_columns_and_labels(shapes):
    assert set(shapes.factors) == {"shape", "scale", "rotation", "x", "y"}
    assert shapes.label_names == SHAPE_NAMES
    assert np.array_equal(shapes.labels, shapes.factors["shape"])
    assert set(np.unique(shapes.labels)) == {0, 1, 2, 3}
    f = shapes.factors
    assert 0.5 <= f["scale"].min() and f["scale"].max() <= 1.0
    assert 0 <= f["rotation"].min() and f["rotation"].max() < 360
    for k in ("x", "y"):
        assert 0 <= f[k].min() and f[k].max() <= 1


def test_every_image_shows_a_shape_inside_the_frame(shapes):
    imgs = shapes.images[:, 0]
    assert (imgs.max(axis=(1, 2)) >= 200).all()
    # a margin keeps every shape whole: the outermost pixel ring stays black
    ring = np.concatenate([imgs[:, 0], imgs[:, -1], imgs[:, :, 0], imgs[:, :, -1]], axis=1)
    assert ring.max() == 0


def test_position_and_scale_factors_match_the_pixels(shapes):
    imgs = shapes.images[:, 0].astype(np.float64)
    mass = imgs.sum(axis=(1, 2))
    grid = np.arange(32)
    cx = (imgs.sum(axis=1) * grid).sum(axis=1) / mass
    cy = (imgs.sum(axis=2) * grid).sum(axis=1) / mass
    assert np.corrcoef(cx, shapes.factors["x"])[0, 1] > 0.97
    assert np.corrcoef(cy, -shapes.factors["y"])[0, 1] > 0.97  # y grows upwards
    for k in range(4):  # area grows with the square of the scale
        sel = shapes.labels == k
        assert np.corrcoef(mass[sel], shapes.factors["scale"][sel] ** 2)[0, 1] > 0.95


def test_rotation_turns_the_shape_and_edges_are_antialiased():
    base = {"scale": np.ones(3, np.float32), "x": np.full(3, 0.5, np.float32),
            "y": np.full(3, 0.5, np.float32)}
    tri = render_shapes({**base, "shape": np.full(3, 2),
                         "rotation": np.array([0, 120, 60], np.float32)})[:, 0].astype(int)
    assert np.abs(tri[0] - tri[1]).mean() < 3  # a triangle repeats every 120 degrees
    assert np.abs(tri[0] - tri[2]).mean() > 8  # ...and is upside down at 60
    greys = ((tri > 0) & (tri < 255)).sum()
    assert greys > 0


def test_deterministic_by_seed():
    a, b = load_data("shapes:300?seed=5"), load_data("shapes:300?seed=5")
    c = load_data("shapes:300?seed=6")
    assert np.array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)
    assert a.spec == "shapes:300?seed=5"


def test_limit_renders_the_first_images_of_the_full_set():
    full, part = load_data("shapes:500"), load_data("shapes:500?limit=50")
    assert np.array_equal(part.images, full.images[:50])
    assert np.array_equal(part.factors["x"], full.factors["x"][:50])
    assert part.spec == "shapes:500?limit=50"


def test_size_64_and_three_channels():
    s = load_data("shapes:100?size=64&channels=3")
    assert s.images.shape == (100, 3, 64, 64)
    assert s.spec == "shapes:100?channels=3&size=64"
    assert np.array_equal(load_data(s.spec).images, s.images)


def test_sample_factors_is_uniform_over_shapes():
    counts = np.bincount(sample_factors(4000, 1)["shape"])
    assert counts.min() > 850


@pytest.mark.parametrize("spec, words", [
    ("shapes:many", "whole number"),
    ("shapes:0", "between 1 and"),
    ("shapes:10?size=8", "at least 16"),
])
def test_bad_shapes_specs(spec, words):
    with pytest.raises(DataError, match=words):
        load_data(spec)
