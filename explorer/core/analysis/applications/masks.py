"""Masks for inpainting, edited in image pixel coordinates (no Qt here).

The inpainting panel only turns gestures into calls; the pixel arithmetic of a rectangle
or a brush stroke, and the overlay that shows the hole, live here so they are tested
without a display.

Pixel coordinates follow pyqtgraph's row-major `ImageItem`: pixel (row r, column c)
covers x in [c, c + 1) and y in [r, r + 1), so a point (x, y) lies in pixel
(floor(y), floor(x)).
"""

from __future__ import annotations

import math

import numpy as np

HOLE_COLOUR = (255, 64, 200)  # magenta: stands out on grey digits and on colour images


def _hw(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) not in (2, 3):
        raise ValueError(f"shape must be (H, W) or (C, H, W), not {shape}")
    return int(shape[-2]), int(shape[-1])


def rectangle_between(shape: tuple[int, ...], p0, p1) -> np.ndarray:
    """Boolean H x W mask of the pixels touched by the rectangle with corners `p0`, `p1`.

    Corners are (x, y) points in pixel coordinates (see module docstring), in any order;
    the pixels containing both corners are included. The rectangle is clipped to the
    image; one that misses it entirely gives an empty mask.
    """
    h, w = _hw(shape)
    (x0, y0), (x1, y1) = (np.asarray(p, dtype=np.float64).reshape(2) for p in (p0, p1))
    if not np.isfinite([x0, y0, x1, y1]).all():
        raise ValueError("rectangle corners must be finite numbers")
    mask = np.zeros((h, w), dtype=bool)
    c0, c1 = math.floor(min(x0, x1)), math.floor(max(x0, x1))
    r0, r1 = math.floor(min(y0, y1)), math.floor(max(y0, y1))
    c0, r0 = max(c0, 0), max(r0, 0)
    c1, r1 = min(c1, w - 1), min(r1, h - 1)
    if c0 <= c1 and r0 <= r1:
        mask[r0:r1 + 1, c0:c1 + 1] = True
    return mask


def paint_stroke(mask: np.ndarray, p0, p1=None, radius: float = 1.0,
                 value: bool = True) -> np.ndarray:
    """A copy of the H x W `mask` with a brush stroke from `p0` to `p1` set to `value`.

    The brush is a disc of `radius` pixels: every pixel whose centre lies within `radius`
    of the segment is painted, and so are the pixels containing the two ends (a tiny
    brush always paints the pixel under the mouse). `p1=None` paints one dab at `p0`.
    """
    m = np.array(mask, dtype=bool, copy=True)
    if m.ndim != 2:
        raise ValueError(f"the mask must be H x W, not shape {m.shape}")
    if not (np.isfinite(radius) and radius >= 0):
        raise ValueError(f"the brush radius must be a number >= 0, not {radius}")
    a = np.asarray(p0, dtype=np.float64).reshape(2)
    b = a if p1 is None else np.asarray(p1, dtype=np.float64).reshape(2)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("brush points must be finite numbers")
    h, w = m.shape
    cy, cx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    ab = b - a
    denom = float(ab @ ab)
    # Distance of every pixel centre to the segment a-b (to the point a when a == b).
    t = np.zeros_like(cx) if denom == 0 else np.clip(((cx - a[0]) * ab[0] + (cy - a[1]) * ab[1])
                                                      / denom, 0.0, 1.0)
    d2 = (cx - (a[0] + t * ab[0])) ** 2 + (cy - (a[1] + t * ab[1])) ** 2
    m[d2 <= radius * radius] = value
    for x, y in (a, b):
        r, c = math.floor(y), math.floor(x)
        if 0 <= r < h and 0 <= c < w:
            m[r, c] = value
    return m


def mask_overlay(display: np.ndarray, mask: np.ndarray | None, colour=HOLE_COLOUR,
                 alpha: float = 0.65) -> np.ndarray:
    """RGB uint8 H x W x 3 copy of a display image (H x W or H x W x 3) with the masked
    pixels blended towards `colour` (the hole the model will fill)."""
    img = np.asarray(display, dtype=np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"a display image is H x W or H x W x 3, not shape {img.shape}")
    out = img.astype(np.float32)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != img.shape[:2]:
            raise ValueError(f"the mask {m.shape} does not match the image {img.shape[:2]}")
        tint = np.asarray(colour, dtype=np.float32)
        out[m] = (1.0 - alpha) * out[m] + alpha * tint
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
