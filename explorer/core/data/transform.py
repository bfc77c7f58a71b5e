"""Pixel-level helpers shared by the sources: channel conversion and square fitting.

Everything stays uint8; conversions run in chunks so a 60,000-image set never needs a
float copy of itself.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 4096


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """uint8 N x C x H x W to `channels` (1 or 3): gray is replicated, RGB uses luma."""
    c = images.shape[1]
    if c == channels:
        return images
    if channels == 3 and c == 1:
        return np.repeat(images, 3, axis=1)
    if channels == 1 and c == 3:
        out = np.empty((len(images), 1, *images.shape[2:]), dtype=np.uint8)
        for i in range(0, len(images), _CHUNK):
            part = images[i : i + _CHUNK].astype(np.uint32)
            # ITU-R 601-2 luma in integers (the weights Pillow uses for "L").
            luma = part[:, 0] * 299 + part[:, 1] * 587 + part[:, 2] * 114 + 500
            out[i : i + _CHUNK, 0] = luma // 1000
        return out
    raise ValueError(f"cannot convert {c}-channel images to {channels} channels")


def fit_box(width: int, height: int) -> tuple[float, float, float, float]:
    """The centred square crop box of a width x height image (keeps the aspect ratio)."""
    side = min(width, height)
    left = (width - side) / 2
    top = (height - side) / 2
    return (left, top, left + side, top + side)


def fit_pil(im, size: int):
    """Aspect-preserving resize with centre crop of a Pillow image to size x size."""
    from PIL import Image

    if im.size == (size, size):
        return im
    box = fit_box(*im.size)
    # reducing_gap lets Pillow shrink big images by cheap integer steps first.
    return im.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def fit_images(images: np.ndarray, size: int) -> np.ndarray:
    """Fit every image of a uint8 N x C x H x W array to size x size (centre crop)."""
    from PIL import Image

    n, c = images.shape[:2]
    out = np.empty((n, c, size, size), dtype=np.uint8)
    for i in range(n):
        if c == 1:
            out[i, 0] = np.asarray(fit_pil(Image.fromarray(images[i, 0]), size))
        else:
            rgb = np.ascontiguousarray(images[i].transpose(1, 2, 0))
            out[i] = np.asarray(fit_pil(Image.fromarray(rgb), size)).transpose(2, 0, 1)
    return out
