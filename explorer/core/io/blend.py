"""Pixel-space blending and image strips.

The interpolation view contrasts "representation blending" (decode points on a latent
path) with "content blending": the plain pixel cross-fade between the two end images
computed here. Strips are rows of images tiled side by side for display and export.
"""

from __future__ import annotations

import numpy as np


def cross_fade(a: np.ndarray, b: np.ndarray, steps: int = 7) -> np.ndarray:
    """`steps` images fading linearly from `a` to `b` (uint8, same shape); ends are exact."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"cannot cross-fade images of shapes {a.shape} and {b.shape}")
    if steps < 2:
        raise ValueError(f"a cross-fade needs at least 2 steps, not {steps}")
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32).reshape((steps,) + (1,) * a.ndim)
    mixed = (1.0 - t) * a.astype(np.float32)[None] + t * b.astype(np.float32)[None]
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def tile_row(images: np.ndarray, gap: int = 1, fill: int = 0) -> np.ndarray:
    """Put N display images (N x H x W or N x H x W x 3) side by side with `gap` pixels between."""
    images = np.asarray(images)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"expected N x H x W (x 3) images, got shape {images.shape}")
    n, h, w = images.shape[:3]
    out = np.full((h, n * w + (n - 1) * gap) + images.shape[3:], fill, dtype=images.dtype)
    for i in range(n):
        x = i * (w + gap)
        out[:, x : x + w] = images[i]
    return out


def stack_rows(rows: list[np.ndarray], gap: int = 1, fill: int = 0) -> np.ndarray:
    """Stack tiled rows of equal width vertically with `gap` pixels between."""
    if not rows:
        raise ValueError("no rows to stack")
    rows = [_as_rgb(r) if any(x.ndim == 3 for x in rows) else r for r in rows]
    width = max(r.shape[1] for r in rows)
    height = sum(r.shape[0] for r in rows) + gap * (len(rows) - 1)
    out = np.full((height, width) + rows[0].shape[2:], fill, dtype=np.uint8)
    y = 0
    for r in rows:
        out[y : y + r.shape[0], : r.shape[1]] = r
        y += r.shape[0] + gap
    return out


def _as_rgb(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 3 else np.repeat(img[..., None], 3, axis=2)


def upscale(img: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement so tiny (8 x 8) images stay crisp when exported."""
    if factor <= 1:
        return img
    return np.repeat(np.repeat(img, factor, axis=0), factor, axis=1)
