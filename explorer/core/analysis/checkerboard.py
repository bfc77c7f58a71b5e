"""Checkerboard artefacts, measured: how much of an image's detail is a period-2 pattern.

A stride-2 transposed convolution whose kernel size is not a multiple of its stride
covers the output unevenly, so even a constant input comes out with a pixel-scale
chequer pattern (Odena, Dumoulin and Olah, 2016, "Deconvolution and checkerboard
artifacts", Distill). The pattern lives at the highest frequencies an image can hold: a
period of two pixels along x, along y, or both (the Nyquist frequencies). So

    share(x) = (c_x^2 + c_y^2 + c_xy^2) / sum((x - mean x)^2) * H * W

where c_x = mean(x * (-1)^j), c_y = mean(x * (-1)^i) and c_xy = mean(x * (-1)^(i + j)) are
the image's Fourier coefficients at those three frequencies: the fraction of its
non-constant energy (its variance) that is a period-2 pattern. A decode's share is read
against real images': `checkerboard_ratio` divides the decodes' mean share by the real
images' mean share, so 1 is "as chequered as real data" and 3 is three times as much.
"""

from __future__ import annotations

import numpy as np


def nyquist_share(images: np.ndarray) -> np.ndarray:
    """Per image (N x C x H x W, uint8 or float in [0, 1]): the share (0..1) of its
    variance at the period-2 frequencies, averaged over channels; 0 for a flat image."""
    x = np.asarray(images)
    if x.ndim != 4:
        raise ValueError(f"images must be N x C x H x W, not shape {x.shape}")
    x = x.astype(np.float64) / (255.0 if x.dtype == np.uint8 else 1.0)
    h, w = x.shape[2:]
    if h < 2 or w < 2:
        raise ValueError(f"a period-2 pattern needs images of at least 2 x 2 pixels, not {h} x {w}")
    sy = np.where(np.arange(h) % 2 == 0, 1.0, -1.0)[:, None]
    sx = np.where(np.arange(w) % 2 == 0, 1.0, -1.0)[None, :]
    c_x = (x * sx).mean(axis=(2, 3))
    c_y = (x * sy).mean(axis=(2, 3))
    c_xy = (x * (sy * sx)).mean(axis=(2, 3))
    energy = (c_x ** 2 + c_y ** 2 + c_xy ** 2) * h * w
    var = ((x - x.mean(axis=(2, 3), keepdims=True)) ** 2).sum(axis=(2, 3))
    share = np.divide(energy, var, out=np.zeros_like(var), where=var > 1e-12)
    return np.clip(share, 0.0, 1.0).mean(axis=1)


def checkerboard_ratio(decoded: np.ndarray, real: np.ndarray) -> float:
    """Mean period-2 share of `decoded` over that of `real` images (NaN when the real
    images have none at all, or are too small to hold the pattern)."""
    if min(np.shape(real)[2:] or (0,)) < 2:
        return float("nan")
    ref = float(nyquist_share(real).mean())
    return float(nyquist_share(decoded).mean() / ref) if ref > 0 else float("nan")
