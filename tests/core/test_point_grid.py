"""The map's spatial index: nearest point, points in a rectangle, counts (latent_atlas.explorer.core.latent.point_grid)."""

import math

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.map import LatentMap
from latent_atlas.explorer.core.latent.point_grid import PointGrid, ranges_to_indices


def clustered(n, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (6, 2))
    xy = centres[rng.integers(0, 6, n)] + rng.normal(0, 1, (n, 2))
    xy[: n // 10] = np.round(xy[: n // 10])  # duplicates: ties must go to the lower index
    return xy.astype(np.float32)


def scan(xy, q):
    d = np.sqrt(((xy.astype(np.float64) - q) ** 2).sum(axis=1))
    i = int(np.argmin(d))
    return i, float(d[i])


def test_ranges_to_indices():
    out = ranges_to_indices(np.array([5, 0, 9, 3]), np.array([7, 0, 10, 3]))
    assert out.tolist() == [5, 6, 9]
    assert ranges_to_indices(np.array([], int), np.array([], int)).tolist() == []


@pytest.mark.parametrize("n", [1, 2, 7, 3000])
def test_nearest_is_the_scans_answer(n):
    xy = clustered(n)
    grid = PointGrid(xy)
    rng = np.random.default_rng(1)
    queries = np.concatenate([rng.uniform(-40, 40, (200, 2)), xy[rng.integers(0, n, 50)],
                              [[1e6, -1e6]]])
    for q in queries:
        want, dist = scan(xy, q)
        got, gd = grid.nearest(q)
        assert got == want
        assert gd == pytest.approx(dist, rel=1e-9, abs=1e-9)
        got, gd = grid.nearest(q, max_distance=0.7)
        assert got == (want if dist <= 0.7 else -1)
        assert (gd == math.inf) == (dist > 0.7)


def test_nearest_of_many_and_of_nothing():
    xy = clustered(500)
    grid = PointGrid(xy)
    q = np.random.default_rng(2).uniform(-20, 20, (40, 2))
    idx, dist = grid.nearest_many(q)
    assert idx.tolist() == [scan(xy, p)[0] for p in q]
    assert np.allclose(dist, [scan(xy, p)[1] for p in q])
    empty = PointGrid(np.zeros((0, 2), np.float32))
    assert empty.nearest((0.0, 0.0)) == (-1, math.inf)
    assert empty.count_in((-1, 1, -1, 1)) == 0
    assert grid.nearest((np.nan, 0.0)) == (-1, math.inf)


def test_points_in_a_rectangle_and_their_count():
    xy = clustered(20000)
    grid = PointGrid(xy)
    for rect in [(-3, 2, -1, 4), (-100, 100, -100, 100), (50, 60, 50, 60), (0.1, 0.2, 0.3, 0.4)]:
        inside = ((xy[:, 0] >= rect[0]) & (xy[:, 0] <= rect[1])
                  & (xy[:, 1] >= rect[2]) & (xy[:, 1] <= rect[3]))
        assert np.array_equal(grid.indices_in(rect), np.flatnonzero(inside))
        # the count is an estimate: close to the truth, exact for all or nothing
        assert abs(grid.count_in(rect) - inside.sum()) <= max(0.1 * inside.sum(), 50)
    assert grid.count_in(grid.bounds) == pytest.approx(len(xy))
    assert grid.count_in((1e3, 2e3, 1e3, 2e3)) == 0


def test_one_point_and_identical_points():
    for xy in (np.array([[3.0, 4.0]], np.float32), np.full((50, 2), 2.5, np.float32)):
        grid = PointGrid(xy)
        assert grid.nearest((0.0, 0.0))[0] == 0  # ties: the lowest index
        assert grid.indices_in((2, 5, 2, 5)).tolist() == list(range(len(xy)))


def test_the_map_picks_with_its_grid():
    xy = clustered(4000)
    m = LatentMap("identity", xy.copy(), xy)
    assert m.point_grid() is m.point_grid()  # built once
    q = np.array([0.3, -0.2])
    assert m.nearest_sample(q) == scan(xy, q)
    far = m.nearest_sample(np.array([500.0, 500.0]), max_distance=1.0)
    assert far == (-1, math.inf)
    idx, dist = m.nearest_sample(xy[:5] + 1e-4)
    assert idx.tolist() == [scan(xy, p)[0] for p in xy[:5] + 1e-4]
