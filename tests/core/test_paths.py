"""Latent paths: lerp, slerp, polylines and their traces on the map."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.interpolation import (
    interpolate,
    lerp,
    path_trace,
    polyline,
    slerp,
)
from latent_atlas.explorer.core.latent.map import LatentMap


def test_lerp_endpoints_exact_and_equal_spacing():
    rng = np.random.default_rng(0)
    z0, z1 = rng.normal(size=8).astype(np.float32), rng.normal(size=8).astype(np.float32)
    path = lerp(z0, z1)
    assert path.shape == (7, 8) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], z0)
    np.testing.assert_array_equal(path[-1], z1)
    gaps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    np.testing.assert_allclose(gaps, np.linalg.norm(z1 - z0) / 6, rtol=1e-5)
    # every step lies on the segment
    t = (path - z0) @ (z1 - z0) / np.dot(z1 - z0, z1 - z0)
    np.testing.assert_allclose(z0 + t[:, None] * (z1 - z0), path, atol=1e-5)
    assert lerp(z0, z1, steps=2).shape == (2, 8)


def test_slerp_keeps_unit_norm_and_turns_evenly():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=16), rng.normal(size=16)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    path = slerp(a, b, steps=9)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(path[0], a.astype(np.float32))
    np.testing.assert_array_equal(path[-1], b.astype(np.float32))
    angles = np.arccos(np.clip(np.sum(path[:-1] * path[1:], axis=1), -1, 1))
    np.testing.assert_allclose(angles, angles.mean(), rtol=1e-3)
    # lerp of the same unit vectors cuts inside the sphere
    assert np.linalg.norm(lerp(a, b, 9)[4]) < 0.99


def test_slerp_endpoints_are_bit_exact_where_the_rotation_is_not():
    # Opposite ends turn through pi: cos(pi) a + sin(pi) w leaves ~1e-16 where b has an
    # exact 0, so without the explicit endpoint copy the last step would not be b.
    a, b = np.array([1.0, 0, 0], np.float32), np.array([-3.0, 0, 0], np.float32)
    path = slerp(a, b, steps=5)
    assert path[-1].tobytes() == b.tobytes() and path[0].tobytes() == a.tobytes()
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), [1, 1.5, 2, 2.5, 3], rtol=1e-5)
    rng = np.random.default_rng(3)
    for _ in range(20):  # opposite and nearly opposite directions, any lengths
        z0 = rng.normal(size=8).astype(np.float32)
        z1 = (-z0 * np.float32(rng.uniform(0.5, 2)) + rng.normal(size=8) * 1e-6).astype(np.float32)
        for p in (slerp(z0, z1, 5), polyline(np.stack([z0, z1]), 5, "slerp")):
            np.testing.assert_array_equal(p[0], z0)
            np.testing.assert_array_equal(p[-1], z1)


def test_slerp_norm_changes_linearly_and_handles_special_cases():
    a, b = np.array([2.0, 0, 0]), np.array([0, 4.0, 0])
    path = slerp(a, b, steps=5)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), [2, 2.5, 3, 3.5, 4], rtol=1e-5)
    opposite = slerp(np.array([1.0, 0, 0]), np.array([-1.0, 0, 0]), steps=5)
    np.testing.assert_allclose(np.linalg.norm(opposite, axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(opposite).all()
    same = slerp(a, a, steps=4)
    np.testing.assert_allclose(same, np.tile(a, (4, 1)), rtol=1e-6)
    zero = slerp(np.zeros(3), b, steps=3)  # direction undefined: straight line
    np.testing.assert_allclose(zero, lerp(np.zeros(3), b, 3))


def test_polyline_passes_every_waypoint_once():
    w = np.array([[0.0, 0], [1, 0], [1, 2]])
    path = polyline(w, steps=3)
    assert path.shape == (5, 2)
    np.testing.assert_allclose(path, [[0, 0], [0.5, 0], [1, 0], [1, 1], [1, 2]])
    assert polyline(w, steps=4, mode="slerp").shape == (7, 2)
    np.testing.assert_allclose(interpolate(w[0], w[1], 3), path[:3])


@pytest.mark.parametrize("call", [
    lambda: lerp(np.zeros(3), np.zeros(4)),
    lambda: lerp(np.zeros(3), np.ones(3), steps=1),
    lambda: slerp(np.zeros(3), np.full(3, np.nan)),
    lambda: polyline(np.zeros((1, 3))),
    lambda: polyline(np.zeros((2, 3)), mode="cubic"),
])
def test_bad_paths_raise_value_errors(call):
    with pytest.raises(ValueError):
        call()


def test_path_trace_places_each_step_on_the_map():
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(200, 5)).astype(np.float32)
    m = LatentMap("umap", codes, rng.normal(size=(200, 2)).astype(np.float32))
    path = lerp(codes[3], codes[40])
    trace = path_trace(m, path)
    assert trace.shape == (7, 2)
    np.testing.assert_allclose(trace[0], m.positions[3])
    np.testing.assert_allclose(trace[-1], m.positions[40])
