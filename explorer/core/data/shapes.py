"""`shapes[:N]`: a procedural dSprites-style set with known generative factors.

Each image holds one white shape (square, ellipse, triangle or heart) on black, with a
random scale, rotation and x / y position. The factors are returned as columns, so a
latent map can be coloured by position or scale: a continuous latent space shows smooth
colour gradients there. Generation is vectorised numpy and deterministic by seed.

Shapes are drawn from signed distance functions (negative inside, in units of the shape
radius) with a one-pixel anti-aliased edge, so small moves give small pixel changes.

Options: N (default 20,000), seed (default 0), size (default 32; 64 is the big option),
channels, limit.
"""

from __future__ import annotations

import numpy as np

from .base import DataError, DataSpec, ImageSet, check_image_budget, source
from .options import (
    canonical,
    channels_option,
    effective_limit,
    limit_option,
    normalise_options,
    seed_option,
    size_option,
)
from .transform import to_channels

SHAPE_NAMES = ["square", "ellipse", "triangle", "heart"]
DEFAULT_COUNT = 20_000
DEFAULT_SIZE = 32
MAX_COUNT = 2_000_000
SCALE_RANGE = (0.5, 1.0)
# Shape radius at scale 1, as a fraction of the image side; every shape fits its circle.
_RADIUS = 0.25
_CHUNK = 2048  # images rendered at once: bounds the float temporaries to a few MB each

_SQ2 = np.float32(np.sqrt(2.0))
_HEART_SIDE = np.float32(1.05)  # diamond side; lobes of diameter equal to the side
_HEART_DROP = np.float32(-0.0735 * 1.05)  # centres the heart's height on the origin
_TRI_NORMALS = np.array([[0.0, -1.0], [np.cos(np.pi / 6), np.sin(np.pi / 6)],
                         [-np.cos(np.pi / 6), np.sin(np.pi / 6)]], dtype=np.float32)


def _sd_square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # Half side 0.7: the corners just touch the unit circle.
    return np.maximum(np.abs(u), np.abs(v)) - np.float32(0.7)


def _sd_ellipse(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # Semi-axes 1 and 0.55; (k - 1) * minor axis approximates the distance near the edge.
    k = np.sqrt(u * u + (v / np.float32(0.55)) ** 2)
    return (k - 1) * np.float32(0.55)


def _sd_triangle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # Equilateral, circumradius 1 (inradius 0.5), pointing up: the farthest edge plane wins.
    d = u * _TRI_NORMALS[0, 0] + v * _TRI_NORMALS[0, 1]
    for nx, ny in _TRI_NORMALS[1:]:
        np.maximum(d, u * nx + v * ny, out=d)
    return d - np.float32(0.5)


def _sd_heart(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # A diamond (square turned 45 degrees) with a round lobe on each upper edge.
    half = _HEART_SIDE / 2
    w = v - _HEART_DROP
    p = (u + w) / _SQ2
    q = (w - u) / _SQ2
    d = np.maximum(np.abs(p), np.abs(q)) - half
    offset = _HEART_SIDE / (2 * _SQ2)  # lobe centres: midpoints of the upper edges
    lobe = np.sqrt((np.abs(u) - offset) ** 2 + (w - offset) ** 2) - half
    return np.minimum(d, lobe)


_SDF = (_sd_square, _sd_ellipse, _sd_triangle, _sd_heart)


def sample_factors(n: int, seed: int) -> dict[str, np.ndarray]:
    """Random factors for n images: shape code, scale, rotation (degrees), x and y in [0, 1]."""
    rng = np.random.default_rng(seed)
    return {
        "shape": rng.integers(0, len(SHAPE_NAMES), n).astype(np.int64),
        "scale": rng.uniform(*SCALE_RANGE, n).astype(np.float32),
        "rotation": rng.uniform(0.0, 360.0, n).astype(np.float32),
        "x": rng.uniform(0.0, 1.0, n).astype(np.float32),
        "y": rng.uniform(0.0, 1.0, n).astype(np.float32),
    }


def render_shapes(factors: dict[str, np.ndarray], size: int = DEFAULT_SIZE) -> np.ndarray:
    """Draw the images described by `factors` as uint8 N x 1 x size x size."""
    n = len(factors["shape"])
    out = np.empty((n, 1, size, size), dtype=np.uint8)
    radius = np.float32(_RADIUS * size) * factors["scale"]
    # Positions span the image minus a margin that keeps the largest shape inside.
    margin = _RADIUS * size + 1.5
    cx = (margin + factors["x"] * (size - 2 * margin)).astype(np.float32)
    cy = (margin + (1 - factors["y"]) * (size - 2 * margin)).astype(np.float32)  # y up
    theta = np.deg2rad(factors["rotation"]).astype(np.float32)
    cos, sin = np.cos(theta), np.sin(theta)
    grid = np.arange(size, dtype=np.float32) + np.float32(0.5)  # pixel centres
    px, py = grid[None, None, :], grid[None, :, None]
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        kinds = factors["shape"][start:stop]
        for k, sdf in enumerate(_SDF):
            sel = np.flatnonzero(kinds == k) + start
            if not len(sel):
                continue
            r = radius[sel, None, None]
            dx = px - cx[sel, None, None]
            dy = cy[sel, None, None] - py  # image rows grow downwards; shape space is y-up
            c, s = cos[sel, None, None], sin[sel, None, None]
            u = (c * dx + s * dy) / r
            v = (c * dy - s * dx) / r
            # Signed distance in pixels -> coverage of a one-pixel-wide edge.
            cover = np.clip(np.float32(0.5) - sdf(u, v) * r, 0.0, 1.0)
            out[sel, 0] = (cover * np.float32(255) + np.float32(0.5)).astype(np.uint8)
    return out


@source("shapes")
def load_shapes(spec: DataSpec) -> ImageSet:
    spec = normalise_options(spec, ("limit", "seed", "size", "channels"))
    count = DEFAULT_COUNT
    if spec.arg:
        try:
            count = int(spec.arg.replace("_", "").replace(",", ""))
        except ValueError:
            raise DataError(f"shapes:N needs a whole number of images, not '{spec.arg}'") from None
        if not 1 <= count <= MAX_COUNT:
            raise DataError(f"shapes:N must be between 1 and {MAX_COUNT:,}, not {count}")
    seed = seed_option(spec, 0)
    size = size_option(spec, DEFAULT_SIZE, lo=16, hi=256)
    channels = channels_option(spec, 1)
    limit = effective_limit(limit_option(spec), count)
    check_image_budget(limit or count, (channels, size, size), f"shapes:{count}")
    factors = sample_factors(count, seed)
    if limit is not None:  # factors depend on N, so draw N and render only the first `limit`
        factors = {k: v[:limit] for k, v in factors.items()}
    images = render_shapes(factors, size)
    if channels == 3:
        images = to_channels(images, 3)
    result = ImageSet(images=images, labels=factors["shape"].copy(),
                      label_names=list(SHAPE_NAMES), factors=factors)
    arg = "" if count == DEFAULT_COUNT else str(count)
    result.spec = canonical(spec, arg, {"seed": seed, "size": size, "channels": channels,
                                        "limit": limit},
                            {"seed": 0, "size": DEFAULT_SIZE, "channels": 1})
    return result
