"""The fast inverse: exact at the data, continuous, defined on the whole plane."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.inverse import TriangulationInverse


def _cloud(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n, 2)).astype(np.float32) * 3
    codes = rng.normal(size=(n, d)).astype(np.float32)
    return pos, codes


def test_exact_at_every_data_point():
    pos, codes = _cloud()
    inv = TriangulationInverse(pos, codes)
    assert inv.mode == "triangulation"
    z = inv(pos)
    rel = np.linalg.norm(z - codes, axis=1) / np.linalg.norm(codes, axis=1)
    assert rel.max() <= 1e-4
    for i in (0, 17, 399):  # single-point form agrees
        np.testing.assert_allclose(inv(pos[i]), codes[i], rtol=1e-4, atol=1e-6)
        assert inv(pos[i]).shape == (6,)


def test_continuity_nearby_points_give_nearby_codes():
    pos, codes = _cloud()
    inv = TriangulationInverse(pos, codes)
    rng = np.random.default_rng(1)
    p = rng.uniform(-12, 12, size=(2000, 2))  # inside and outside the hull
    # piecewise linear: |f(p + h) - f(p)| is bounded by a Lipschitz constant times |h|
    eps = [1e-3, 1e-5, 1e-7]
    jumps = [np.linalg.norm(inv(p + e) - inv(p), axis=1).max() for e in eps]
    assert jumps[1] < jumps[0] / 10 and jumps[2] < jumps[1] / 10
    assert jumps[2] < 1e-3


def test_inside_is_barycentric_blend_of_a_triangle():
    pos = np.array([[0, 0], [1, 0], [0, 1]], np.float32)
    codes = np.array([[1, 0], [0, 1], [5, 5]], np.float32)
    inv = TriangulationInverse(pos, codes)
    np.testing.assert_allclose(inv((0.25, 0.25)), 0.5 * codes[0] + 0.25 * codes[1]
                               + 0.25 * codes[2], rtol=1e-6)


def test_outside_hull_takes_nearest_hull_point_without_nan():
    pos = np.array([[0, 0], [2, 0], [2, 2], [0, 2], [1, 1]], np.float32)
    codes = np.array([[0.0], [2.0], [4.0], [2.0], [7.0]], np.float32)
    inv = TriangulationInverse(pos, codes)
    # right of edge (2,0)-(2,2): the nearest hull point of (5, 0.5) is (2, 0.5)
    np.testing.assert_allclose(inv((5.0, 0.5)), [2.5], rtol=1e-6)
    np.testing.assert_allclose(inv((-3.0, -4.0)), codes[0])      # beyond a corner
    far = inv(np.array([[1e12, 1e12], [-1e9, 3.0], [0.5, -1e6]]))
    assert np.isfinite(far).all()
    np.testing.assert_allclose(far[0], codes[2])
    # the outside value joins the inside continuously at the boundary
    np.testing.assert_allclose(inv((2.0 + 1e-9, 1.0)), inv((2.0 - 1e-9, 1.0)), atol=1e-6)


def test_batch_of_64_matches_single_queries():
    pos, codes = _cloud(300, 4)
    inv = TriangulationInverse(pos, codes)
    p = np.random.default_rng(2).uniform(-15, 15, size=(64, 2))
    batch = inv(p)
    assert batch.shape == (64, 4) and batch.dtype == np.float32
    np.testing.assert_allclose(batch, np.stack([inv(q) for q in p]), rtol=1e-6)


def test_duplicate_positions_share_their_mean_code():
    pos = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [1, 1]], np.float32)
    codes = np.array([[0], [1], [2], [3], [5]], np.float32)
    inv = TriangulationInverse(pos, codes)
    assert inv.mode == "triangulation"
    np.testing.assert_allclose(inv((1, 1)), [4.0])
    np.testing.assert_allclose(inv(pos[:3]), codes[:3], atol=1e-6)


@pytest.mark.parametrize("pos, codes, mode", [
    (np.zeros((1, 2)), np.array([[3.0, 4.0]]), "constant"),
    (np.zeros((5, 2)), np.arange(10.0).reshape(5, 2), "constant"),
    (np.array([[0, 0], [2, 2]]), np.array([[0.0], [4.0]]), "line"),
    (np.array([[0, 0], [1, 1], [2, 2], [4, 4]]), np.array([[0.0], [1.0], [5.0], [3.0]]), "line"),
])
def test_degenerate_layouts_never_fail(pos, codes, mode):
    inv = TriangulationInverse(pos, codes)
    assert inv.mode == mode
    p = np.array([[0.0, 0.0], [1.0, 1.0], [-5.0, 3.0], [100.0, 100.0], [0.5, 0.6]])
    z = inv(p)
    assert z.shape == (5, codes.shape[1]) and np.isfinite(z).all()
    uniq = np.unique(pos, axis=0)
    if len(uniq) == len(pos):  # no duplicates: exact at the data
        np.testing.assert_allclose(inv(pos), codes, atol=1e-6)
    if mode == "line" and len(pos) == 4:
        np.testing.assert_allclose(inv((3.0, 3.0)), [4.0])           # halfway 5 -> 3
        np.testing.assert_allclose(inv((10.0, 10.0)), [3.0])         # clamped to the end
        np.testing.assert_allclose(inv((1.5, 1.5)), inv((2.5, 0.5)))  # projected on the line


def test_bad_queries_and_inputs_raise_value_errors():
    inv = TriangulationInverse(*_cloud(20, 2))
    for bad in ([1.0, 2.0, 3.0], np.zeros((3, 3)), [np.nan, 0.0]):
        with pytest.raises(ValueError):
            inv(bad)
    with pytest.raises(ValueError):
        TriangulationInverse(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError):
        TriangulationInverse(np.array([[0, 0], [np.inf, 1]]), np.zeros((2, 2)))
