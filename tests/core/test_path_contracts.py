"""Latent paths: defaults, shapes, float64 arithmetic, the error messages and the special
turns of slerp (opposite ends in any direction, small angles, rounding past +-1)."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.interpolation import interpolate, lerp, polyline, slerp


def test_default_step_counts_are_seven():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    assert len(lerp(a, b)) == 7 and len(slerp(a, b)) == 7
    assert len(interpolate(a, b)) == 7
    assert len(polyline(np.stack([a, b, a]))) == 13


def test_codes_of_any_shape_are_flattened():
    z0 = np.arange(6, dtype=np.float32).reshape(2, 3)
    z1 = np.ones((1, 6), np.float32)
    for fn in (lerp, slerp):
        path = fn(z0, z1, 4)
        assert path.shape == (4, 6) and path.dtype == np.float32
        np.testing.assert_array_equal(path[0], z0.reshape(-1))
        np.testing.assert_array_equal(path[-1], z1.reshape(-1))
    # one-dimensional codes are codes too
    np.testing.assert_allclose(lerp([0.0], [3.0], 4)[:, 0], [0, 1, 2, 3])


def test_lerp_is_computed_in_float64_then_rounded():
    rng = np.random.default_rng(0)
    z0 = (rng.normal(size=64) * 1e3).astype(np.float32)
    z1 = (rng.normal(size=64) * 1e-3).astype(np.float32)
    t = np.linspace(0.0, 1.0, 9)[:, None]
    a, b = z0.astype(np.float64), z1.astype(np.float64)
    np.testing.assert_array_equal(lerp(z0, z1, 9)[1:-1], (a + t * (b - a)).astype(np.float32)[1:-1])


@pytest.mark.parametrize("call,words", [
    (lambda: lerp(np.zeros(3), np.zeros(4)), "same size, not \\(3,\\) and \\(4,\\)"),
    (lambda: slerp(np.zeros(0), np.zeros(0)), "same size"),
    (lambda: lerp(np.zeros(3), np.full(3, np.inf)), "^path ends must be finite codes$"),
    (lambda: lerp(np.zeros(3), np.ones(3), steps=1), "at least 2 steps, not 1"),
    (lambda: lerp(np.zeros(3), np.ones(3), steps=2.5), "at least 2 steps, not 2.5"),
    (lambda: polyline(np.zeros((1, 3))), "at least 2 waypoints as a W x d array, not shape \\(1, 3\\)"),
    (lambda: polyline(np.zeros(3)), "at least 2 waypoints"),
    (lambda: polyline(np.zeros((2, 3)), mode="cubic"), "unknown path mode 'cubic'; use lerp or slerp"),
])
def test_bad_paths_name_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_interpolate_honours_the_mode():
    a, b = np.array([2.0, 0.0, 0.0]), np.array([0.0, 1.0, 1.0])
    np.testing.assert_allclose(interpolate(a, b, 5, mode="slerp"), slerp(a, b, 5))
    np.testing.assert_allclose(interpolate(a, b, 5, mode="lerp"), lerp(a, b, 5))
    assert not np.allclose(slerp(a, b, 5), lerp(a, b, 5))


def test_polyline_of_slerp_segments():
    w = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    path = polyline(w, 4, mode="slerp")
    np.testing.assert_allclose(path[:4], slerp(w[0], w[1], 4), rtol=1e-6)
    np.testing.assert_allclose(path[3:], slerp(w[1], w[2], 4), rtol=1e-6)
    assert path.shape == (7, 2)


@pytest.mark.parametrize("direction", [[1.0, 0, 0], [0.3, -0.5, 0.2], [0.1, 0.7, -0.7], [-2, 1, 1]])
def test_opposite_ends_turn_through_a_perpendicular_direction(direction):
    a = np.asarray(direction, float)
    b = -2.5 * a
    path = slerp(a, b, 5).astype(np.float64)
    na = np.linalg.norm(a)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), na * np.array([1, 1.375, 1.75, 2.125, 2.5]),
                               rtol=1e-5)
    mid = path[2] / np.linalg.norm(path[2])
    assert abs(mid @ (a / na)) < 1e-6  # a quarter turn: perpendicular to both ends
    # even angular steps of pi / 4
    u = path / np.linalg.norm(path, axis=1, keepdims=True)
    angles = np.arccos(np.clip(np.sum(u[:-1] * u[1:], axis=1), -1, 1))
    np.testing.assert_allclose(angles, np.pi / 4, rtol=1e-5)


@pytest.mark.parametrize("angle", [0.05, 0.5, 0.9, 2.0])
def test_turns_at_constant_angular_speed_for_any_angle(angle):
    a = np.array([1.0, 0.0, 0.0])
    b = 3.0 * np.array([np.cos(angle), np.sin(angle), 0.0])
    path = slerp(a, b, 9).astype(np.float64)
    u = path / np.linalg.norm(path, axis=1, keepdims=True)
    angles = np.arctan2(u[:, 1], u[:, 0])
    np.testing.assert_allclose(angles, np.linspace(0.0, angle, 9), atol=2e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linspace(1.0, 3.0, 9), rtol=1e-6)


def test_parallel_ends_never_give_nan():
    # the cosine of two parallel directions can round past 1 (and of opposite ones past -1)
    rng = np.random.default_rng(7)
    for _ in range(200):
        a = rng.normal(size=rng.integers(2, 40))
        for b in (a * rng.uniform(0.1, 10), -a * rng.uniform(0.1, 10)):
            path = slerp(a, b, 5)
            assert np.isfinite(path).all()
    same = slerp(a, 3 * a, 5).astype(np.float64)
    u = same / np.linalg.norm(same, axis=1, keepdims=True)
    np.testing.assert_allclose(u, np.tile(a / np.linalg.norm(a), (5, 1)), atol=1e-6)


def test_polyline_waypoints_are_float32_codes():
    # waypoints are rounded to float32 codes first, so a float64 polyline is the polyline of
    # those codes, bit for bit
    w = np.random.default_rng(8).normal(size=(4, 16)) * 3
    for mode in ("lerp", "slerp"):
        np.testing.assert_array_equal(polyline(w, 6, mode), polyline(w.astype(np.float32), 6, mode))
