"""Map inverse contracts: readable errors, maps at any scale and offset, nearly collinear
layouts, the line mode's projections and ends, and the zero-area-triangle fallback."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.inverse import TriangulationInverse


def _square():
    pos = np.array([[0, 0], [2, 0], [2, 2], [0, 2], [1, 1]], np.float64)
    codes = np.array([[0.0, 1.0], [2.0, 0.0], [4.0, 4.0], [2.0, 1.0], [7.0, -1.0]])
    return pos, codes


@pytest.mark.parametrize("bad,words", [
    ([1.0, 2.0, 3.0], r"map positions must be \(2,\) or \(M, 2\), not shape \(3,\)"),
    (np.zeros((3, 3)), r"not shape \(3, 3\)"),
    (np.zeros((1, 2, 2)), r"not shape \(1, 2, 2\)"),
    ([np.nan, 0.0], "^map positions must be finite numbers$"),
    ([[0.0, 1.0], [np.inf, 0.0]], "^map positions must be finite numbers$"),
])
def test_bad_queries_say_what_is_wrong(bad, words):
    inv = TriangulationInverse(*_square())
    with pytest.raises(ValueError, match=words):
        inv(bad)


@pytest.mark.parametrize("pos,codes,words", [
    (np.zeros((3, 3)), np.zeros((3, 2)), r"got \(3, 3\) and \(3, 2\)"),
    (np.zeros(3), np.zeros((3, 2)), r"got \(3,\) and \(3, 2\)"),
    (np.zeros((3, 2)), np.zeros(3), r"got \(3, 2\) and \(3,\)"),
    (np.zeros((3, 2)), np.zeros((4, 2)), r"got \(3, 2\) and \(4, 2\)"),
    (np.zeros((0, 2)), np.zeros((0, 2)), r"got \(0, 2\) and \(0, 2\)"),
])
def test_bad_layouts_say_what_is_wrong(pos, codes, words):
    with pytest.raises(ValueError, match=r"need N x 2 positions and N x d codes \(N >= 1\), " + words):
        TriangulationInverse(pos, codes)


def test_non_finite_layouts_are_refused():
    pos, codes = _square()
    for p, c in ((np.where(pos == 2, np.nan, pos), codes), (pos, np.where(codes == 4, np.inf, codes))):
        with pytest.raises(ValueError, match="^positions and codes must be finite$"):
            TriangulationInverse(p, c)


@pytest.mark.parametrize("scale,offset", [(1e-3, 0.0), (1e-3, 50.0), (1.0, -7.0), (1e3, 1e4)])
def test_outside_the_hull_at_any_scale(scale, offset):
    pos, codes = _square()
    inv = TriangulationInverse(pos * scale + offset, codes)
    # right of edge (2,0)-(2,2): the nearest hull point of (5, 0.5) is (2, 0.5)
    q = np.array([5.0, 0.5]) * scale + offset
    np.testing.assert_allclose(inv(q), 0.75 * codes[1] + 0.25 * codes[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inv(pos * scale + offset), codes, rtol=1e-5, atol=1e-5)


def test_nearly_collinear_layout_uses_the_line():
    pos = np.array([[10.0, 5.0], [11.0, 5.0 + 1e-12], [12.0, 5.0], [14.0, 5.0 - 1e-12]])
    codes = np.array([[0.0], [1.0], [5.0], [3.0]])
    inv = TriangulationInverse(pos, codes)
    assert inv.mode == "line"
    np.testing.assert_allclose(inv((13.0, 5.0)), [4.0], rtol=1e-6)
    np.testing.assert_allclose(inv((13.0, 9.0)), [4.0], rtol=1e-6)  # projected onto the line


def test_line_off_the_origin_and_off_the_diagonal():
    pos = np.array([[10.0, 0.0], [10.0, 1.0], [10.0, 3.0]])
    codes = np.array([[0.0, 2.0], [1.0, 2.0], [3.0, -2.0]])
    inv = TriangulationInverse(pos, codes)
    assert inv.mode == "line"
    np.testing.assert_allclose(inv((10.0, 2.0)), [2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(inv((4.0, 0.5)), [0.5, 2.0], atol=1e-6)
    np.testing.assert_allclose(inv((10.0, -9.0)), codes[0], atol=1e-6)  # clamped at both ends
    np.testing.assert_allclose(inv((10.0, 99.0)), codes[2], atol=1e-6)


def test_line_points_with_one_projection_share_their_mean():
    # (1, 0) and (1, 1e-12) are distinct but fall on the same spot of the line
    pos = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1e-12], [3.0, 0.0]])
    codes = np.array([[0.0], [2.0], [4.0], [9.0]])
    inv = TriangulationInverse(pos, codes)
    assert inv.mode == "line"
    np.testing.assert_allclose(inv((1.0, 0.0)), [3.0], rtol=1e-6)
    np.testing.assert_allclose(inv((0.5, 0.0)), [1.5], rtol=1e-6)
    np.testing.assert_allclose(inv((2.0, 0.0)), [6.0], rtol=1e-6)


def _nearest_edge_value(p, verts, vals):
    best = None
    for i, j in ((0, 1), (1, 2), (2, 0)):
        a, d = verts[i], verts[j] - verts[i]
        t = float(np.clip((p - a) @ d / (d @ d), 0.0, 1.0))
        dist = np.linalg.norm(p - (a + t * d))
        if best is None or dist < best[0]:
            best = (dist, vals[i] + t * (vals[j] - vals[i]))
    return best[1]


@pytest.mark.parametrize("scale", [1.0, 0.05])
def test_zero_area_triangle_falls_back_to_its_nearest_edge(scale):
    # qhull can return a flat triangle for nearly degenerate input; mark one as flat (the
    # inverse flags such triangles when it is built) and check the fallback's values
    pos, codes = _square()
    pos = pos * scale
    plain = TriangulationInverse(pos, codes)
    inv = TriangulationInverse(pos, codes)
    rng = np.random.default_rng(0)
    q = rng.uniform(0.05, 1.95, size=(40, 2)) * scale
    simplex = inv._tri.find_simplex(q)
    flat = simplex[0]
    inv._bad[flat] = True
    got = inv(q)
    in_flat = simplex == flat
    assert in_flat.any() and (~in_flat).any()
    np.testing.assert_allclose(got[~in_flat], plain(q[~in_flat]), rtol=1e-6, atol=1e-6)
    verts = inv.points[inv._simplices[flat]]
    vals = inv.values[inv._simplices[flat]]
    want = np.stack([_nearest_edge_value(p, verts, vals) for p in q[in_flat]])
    np.testing.assert_allclose(got[in_flat], want, rtol=1e-5, atol=1e-6)
    # a single query in the flat triangle takes the same path
    np.testing.assert_allclose(inv(q[np.flatnonzero(in_flat)[0]]), want[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scale", [1e-10, 1e-4, 1.0, 1e6])
def test_a_two_dimensional_cloud_triangulates_at_any_scale(scale):
    rng = np.random.default_rng(5)
    pos = rng.normal(size=(30, 2)) * scale
    codes = rng.normal(size=(30, 3))
    inv = TriangulationInverse(pos, codes)
    assert inv.mode == "triangulation"
    np.testing.assert_allclose(inv(pos), codes, rtol=1e-5, atol=1e-5)


def test_points_beyond_any_scale_give_the_hull_corner_of_their_own_ray():
    """Points so far out that their distances would overflow are pulled in along their
    own ray from the data's centre, each by its own factor: they land on the same hull
    corner as a point merely far out on that ray. The layout sits far from the origin, so
    a ray taken from the origin instead of the centre points elsewhere."""
    pos, codes = _square()
    pos = pos + 1e9  # centre (1e9 + 1, 1e9 + 1); the pull-in starts 2e6 away from it
    inv = TriangulationInverse(pos, codes)
    centre = pos.mean(axis=0)
    rays = np.array([[-0.2, 1.0], [1.0, 0.3]])  # towards the corners (0, 2) and (2, 2)
    far = centre + rays * np.array([[3e6], [1e300]])  # one just past the pull-in, one huge
    expected = np.array([codes[3], codes[2]], np.float32)  # the codes at those corners
    np.testing.assert_allclose(inv(far), expected, atol=1e-4)
    np.testing.assert_allclose(inv(centre + rays * 1e4), expected, atol=1e-4)  # not pulled
    # Straight out to the left, at the largest floats: the middle of the left edge, whose
    # code is the mean of its corners' (squared distances there would overflow to inf).
    edge = inv(np.array([[-1.7e308, 1e300], [-1.7e308, -1e300]]))
    np.testing.assert_allclose(edge, np.repeat([(codes[0] + codes[3]) / 2], 2, axis=0),
                               atol=0.05)
    far = np.vstack([far, [[-1.7e308, 1e300]]])
    inside = inv.inside(far)
    assert inside.dtype == np.bool_ and not inside.any()


def test_inside_is_all_false_booleans_for_a_line_or_a_point():
    line = TriangulationInverse(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), np.eye(3))
    point = TriangulationInverse(np.array([[0.5, 0.5]]), np.ones((1, 2)))
    for inv in (line, point):
        inside = inv.inside(np.array([[1.0, 1.0], [0.5, 0.5]]))
        assert inv.mode in ("line", "constant")
        assert inside.dtype == np.bool_ and inside.shape == (2,) and not inside.any()
