"""The procedural shapes set: factors, determinism, options and the drawing itself."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.data import DataError, load_data
from latent_atlas.explorer.core.data.shapes import (
    SHAPE_NAMES,
    render_shapes,
    sample_factors,
    snap_factors,
)


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


# --- the stamp renderer (issue 12: a million images in seconds) ----------------------

def _direct(factors, size=32):
    """Reference: every pixel of every image straight from the signed distance."""
    from latent_atlas.explorer.core.data.shapes import _RADIUS, _SDF

    n = len(factors["shape"])
    margin = _RADIUS * size + 1.5
    grid = np.arange(size) + 0.5
    out = np.empty((n, size, size), np.uint8)
    for i in range(n):
        r = _RADIUS * size * float(factors["scale"][i])
        cx = margin + float(factors["x"][i]) * (size - 2 * margin)
        cy = margin + (1 - float(factors["y"][i])) * (size - 2 * margin)
        t = np.deg2rad(float(factors["rotation"][i]))
        dx = grid[None, :] - cx
        dy = cy - grid[:, None]
        u = ((np.cos(t) * dx + np.sin(t) * dy) / r).astype(np.float32)
        v = ((np.cos(t) * dy - np.sin(t) * dx) / r).astype(np.float32)
        d = _SDF[int(factors["shape"][i])](u, v).astype(np.float64)
        out[i] = np.rint(np.clip(0.5 - d * r, 0, 1) * 255)
    return out


def test_stamps_match_drawing_every_pixel_directly():
    f = snap_factors(sample_factors(400, 3))
    fast = render_shapes(f)[:, 0].astype(int)
    ref = _direct(f).astype(int)
    diff = np.abs(fast - ref)
    assert diff.max() <= 2  # float32 rounding at the anti-aliased edge only
    assert (diff > 0).mean() < 0.01


@pytest.mark.parametrize("size", [17, 32, 64])
def test_stamps_match_direct_drawing_at_other_sizes(size):
    f = snap_factors(sample_factors(60, 4), size)
    diff = np.abs(render_shapes(f, size)[:, 0].astype(int) - _direct(f, size).astype(int))
    assert diff.max() <= 2


def test_pixel_counts_tell_the_shapes_apart_at_one_scale():
    n = 4
    f = {"shape": np.arange(n), "scale": np.ones(n, np.float32),
         "rotation": np.zeros(n, np.float32), "x": np.full(n, 0.5, np.float32),
         "y": np.full(n, 0.5, np.float32)}
    area = render_shapes(f).astype(np.float64).sum(axis=(1, 2, 3)) / 255
    r = 8.0  # radius at scale 1 on 32 pixels
    expected = {0: 1.96, 1: np.pi * 0.55, 2: 3 * np.sqrt(3) / 4}  # x r^2
    for k, ratio in expected.items():
        assert area[k] == pytest.approx(ratio * r * r, rel=0.06), SHAPE_NAMES[k]
    assert area[0] / area[2] == pytest.approx(1.96 / (3 * np.sqrt(3) / 4), rel=0.06)


def test_an_image_does_not_depend_on_the_others_drawn_with_it():
    f = sample_factors(3000, 9)
    full = render_shapes(f)
    pick = np.random.default_rng(0).choice(3000, 500, replace=False)
    part = render_shapes({k: v[pick] for k, v in f.items()})
    assert np.array_equal(part, full[pick])  # same spec -> same bytes, any batch


def test_factor_columns_hold_the_drawn_grid_values():
    s = load_data("shapes:3000?seed=2")
    snapped = snap_factors(s.factors)
    for k in s.factors:
        assert np.array_equal(snapped[k], s.factors[k]), k
    raw = sample_factors(3000, 2)
    assert np.abs(s.factors["x"] - raw["x"]).max() <= 0.25 / 13 + 1e-6  # quarter pixel
    assert np.abs(s.factors["scale"] - raw["scale"]).max() <= 0.5 / 32 + 1e-6
    assert len(np.unique(s.factors["scale"])) == 17


def test_bad_shape_codes_are_refused():
    f = {**sample_factors(3, 0), "shape": np.array([0, 4, 1])}
    with pytest.raises(ValueError, match="shape codes"):
        render_shapes(f)


def test_a_factor_binned_as_the_label():
    from latent_atlas.explorer.core.data import DataError, load_data
    from latent_atlas.explorer.core.data.shapes import factor_labels

    d = load_data("shapes:600?label=scale&bins=5")
    assert d.label_names[0] == "scale 0.50–0.60" and len(d.label_names) == 5
    edges = np.linspace(0.5, 1.0, 6)
    expect = np.clip(np.digitize(d.factors["scale"], edges) - 1, 0, 4)
    assert np.array_equal(d.labels, expect)
    assert set(np.unique(d.labels)) == set(range(5))
    assert "label=scale" in d.spec and load_data(d.spec).labels.tolist() == d.labels.tolist()
    # the images and the factors do not depend on what the labels are
    plain = load_data("shapes:600")
    assert np.array_equal(plain.images, d.images) and plain.label_names[0] == "square"
    labels, names = factor_labels(np.array([0.0, 89.9, 90.0, 359.9, 360.0]), "rotation", 4)
    assert labels.tolist() == [0, 0, 1, 3, 3] and names[1] == "rotation 90–180°"
    for bad, words in (("shapes?label=colour", "label must be"), ("shapes?bins=3", "goes with"),
                       ("shapes?label=x&bins=1", "at least 2")):
        with pytest.raises(DataError, match=words):
            load_data(bad)
