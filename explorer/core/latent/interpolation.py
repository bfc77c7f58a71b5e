"""Paths through latent space: linear and spherical interpolation, polylines, map traces."""

from __future__ import annotations

from typing import Any

import numpy as np


def _pair(z0: np.ndarray, z1: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(z0, dtype=np.float64).reshape(-1)
    b = np.asarray(z1, dtype=np.float64).reshape(-1)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"both ends need codes of the same size, not {np.shape(z0)} and "
                         f"{np.shape(z1)}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("path ends must be finite codes")
    if int(steps) != steps or steps < 2:
        raise ValueError(f"a path needs at least 2 steps, not {steps}")
    return a, b


def _finish(path: np.ndarray, z0: np.ndarray, z1: np.ndarray) -> np.ndarray:
    out = path.astype(np.float32)
    out[0] = np.asarray(z0, dtype=np.float32).reshape(-1)  # endpoints bit-exact
    out[-1] = np.asarray(z1, dtype=np.float32).reshape(-1)
    return out


def lerp(z0: np.ndarray, z1: np.ndarray, steps: int = 7) -> np.ndarray:
    """`steps` equally spaced codes on the straight line from z0 to z1 (steps x d)."""
    a, b = _pair(z0, z1, steps)
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    return _finish(a + t * (b - a), z0, z1)


def _orthogonal_unit(u: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to unit vector u (deterministic)."""
    e = np.zeros_like(u)
    e[np.argmin(np.abs(u))] = 1.0
    v = e - (e @ u) * u
    return v / np.linalg.norm(v)


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int = 7) -> np.ndarray:
    """Spherical interpolation: the direction turns at constant angular speed along the
    great circle from z0 to z1 while the length changes linearly from |z0| to |z1|.

    So unit-norm ends give unit-norm steps (the usual motivation: under a Gaussian prior
    codes concentrate near a sphere, and a straight line cuts through its low-density
    inside). Opposite directions turn through a fixed orthogonal direction; a zero end
    falls back to `lerp`.
    """
    a, b = _pair(z0, z1, steps)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        return lerp(z0, z1, steps)
    ua, ub = a / na, b / nb
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    cos = float(np.clip(ua @ ub, -1.0, 1.0))
    omega = float(np.arccos(cos))
    if omega < 1e-6:
        direction = ua + t * (ub - ua)
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    else:
        # Rotate within the plane of ua and a unit vector w orthogonal to it.
        w = ub - cos * ua
        nw = np.linalg.norm(w)
        w = _orthogonal_unit(ua) if nw < 1e-9 else w / nw
        angle = t * omega
        direction = np.cos(angle) * ua + np.sin(angle) * w
    length = (1.0 - t) * na + t * nb
    return _finish(direction * length, z0, z1)


def polyline(waypoints: np.ndarray, steps: int = 7, mode: str = "lerp") -> np.ndarray:
    """A path through W waypoints: `steps` codes per segment, shared waypoints not repeated,
    so (W - 1) * (steps - 1) + 1 codes in all, every waypoint exactly on the path."""
    pts = np.asarray(waypoints, dtype=np.float32)
    if pts.ndim != 2 or len(pts) < 2:
        raise ValueError(f"a polyline needs at least 2 waypoints as a W x d array, not "
                         f"shape {pts.shape}")
    fn = {"lerp": lerp, "slerp": slerp}.get(mode)
    if fn is None:
        raise ValueError(f"unknown path mode '{mode}'; use lerp or slerp")
    parts = [fn(pts[i], pts[i + 1], steps)[(1 if i else 0):] for i in range(len(pts) - 1)]
    return np.concatenate(parts, axis=0)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int = 7, mode: str = "lerp") -> np.ndarray:
    """`lerp` or `slerp` by name."""
    return polyline(np.stack([np.asarray(z0), np.asarray(z1)]), steps=steps, mode=mode)


def path_trace(latent_map: Any, Z: np.ndarray) -> np.ndarray:
    """The map positions of a path's codes (steps x 2): how a latent path looks on the map."""
    return latent_map.place(np.asarray(Z))
