"""Checkerboard artefacts, measured: how much near-period-2 pattern an image holds.

A stride-2 transposed convolution whose kernel size is not a multiple of its stride
covers the output unevenly, so even a constant input comes out with a pixel-scale
chequer pattern (Odena, Dumoulin and Olah, 2016, "Deconvolution and checkerboard
artifacts", Distill). The pattern lives at the highest frequencies an image can hold: a
period of about two pixels along x, along y, or both. A local chequer (one that fades in
and out over the image) spreads its energy over a band around those frequencies, not onto
the three exact period-2 frequencies, so the measure takes the band:

    amplitude(x) = sqrt( sum over the band of X[ky, kx]^2 / (H * W) )

where X is the orthonormal 2-D DCT-II of the image (per channel, pixels in [0, 1]) and the
band is every coefficient with kx >= (1 - BAND) * W or ky >= (1 - BAND) * H: frequencies
within BAND of the period-2 frequency along either axis (DCT index k stands for k / 2N
cycles per pixel, so the top index is period 2 for any size, odd or even, and the DCT's
mirrored edges put no wrap-around jump into the band). By Parseval, the amplitude is the
RMS of the band-passed image, in pixel units: an absolute amount of chequer. It is not
divided by the image's variance, so blurring the rest of an image cannot inflate it (the
old share of variance grew as blur shrank the denominator).

A decode's amplitude is read against real images': `checkerboard_ratio` divides the
decodes' mean amplitude by the real images' mean amplitude (1 = as much as real data), and
`checkerboard_interval` adds a 95 % bootstrap interval over both sets of images.
"""

from __future__ import annotations

import numpy as np

BAND = 0.25  # the band's width, as a share of the frequency range along each axis


def _as_float(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    if x.ndim != 4:
        raise ValueError(f"images must be N x C x H x W, not shape {x.shape}")
    h, w = x.shape[2:]
    if h < 2 or w < 2:
        raise ValueError(f"a period-2 pattern needs images of at least 2 x 2 pixels, not {h} x {w}")
    return x.astype(np.float64) / (255.0 if x.dtype == np.uint8 else 1.0)


def _band_mask(h: int, w: int, band: float) -> np.ndarray:
    ky = np.arange(h)[:, None] >= (1.0 - band) * h
    kx = np.arange(w)[None, :] >= (1.0 - band) * w
    return np.asarray(ky | kx)


def _band_energy(x: np.ndarray, band: float) -> tuple[np.ndarray, np.ndarray]:
    """(band energy, non-constant energy) per image and channel, N x C."""
    from scipy.fft import dctn

    if not 0 < band < 1:
        raise ValueError(f"band must be in (0, 1), not {band}")
    coef = dctn(x, type=2, norm="ortho", axes=(2, 3))
    power = coef ** 2
    mask = _band_mask(x.shape[2], x.shape[3], band)
    total = power.sum(axis=(2, 3)) - power[:, :, 0, 0]
    return power[:, :, mask].sum(axis=2), total


def nyquist_amplitude(images: np.ndarray, band: float = BAND) -> np.ndarray:
    """Per image (N x C x H x W, uint8 or float in [0, 1]): the RMS amplitude, in pixel
    units, of its part in the band around the period-2 frequencies (module docstring),
    root-mean-square over channels; 0 for a flat image."""
    x = _as_float(images)
    energy, _ = _band_energy(x, band)
    hw = x.shape[2] * x.shape[3]
    return np.asarray(np.sqrt(energy.mean(axis=1) / hw))


def nyquist_share(images: np.ndarray, band: float = BAND) -> np.ndarray:
    """Per image: the share (0..1) of its non-constant energy (its variance) in the band,
    averaged over channels; 0 for a flat image. Blur inflates it (it shrinks the
    denominator), so the metrics use `nyquist_amplitude`; this says what the pattern is."""
    x = _as_float(images)
    energy, total = _band_energy(x, band)
    share = np.divide(energy, total, out=np.zeros_like(total), where=total > 1e-12)
    return np.asarray(np.clip(share, 0.0, 1.0).mean(axis=1))


def checkerboard_ratio(decoded: np.ndarray, real: np.ndarray) -> float:
    """Mean near-period-2 amplitude of `decoded` over that of `real` images (NaN when the
    real images have none at all, or are too small to hold the pattern)."""
    if min(np.shape(real)[2:] or (0,)) < 2:
        return float("nan")
    ref = float(nyquist_amplitude(real).mean())
    return float(nyquist_amplitude(decoded).mean() / ref) if ref > 0 else float("nan")


def checkerboard_interval(decoded: np.ndarray, real: np.ndarray, n_boot: int = 1000,
                          seed: int = 0) -> dict[str, float]:
    """{"ratio", "low", "high"}: `checkerboard_ratio` with a 95 % percentile bootstrap
    interval that resamples the decodes and the real images independently."""
    if min(np.shape(real)[2:] or (0,)) < 2:
        nan = float("nan")
        return {"ratio": nan, "low": nan, "high": nan}
    a, r = nyquist_amplitude(decoded), nyquist_amplitude(real)
    ratio = float(a.mean() / r.mean()) if r.mean() > 0 else float("nan")
    if not np.isfinite(ratio) or len(a) < 2 or len(r) < 2:
        return {"ratio": ratio, "low": float("nan"), "high": float("nan")}
    rng = np.random.default_rng(seed)
    num = a[rng.integers(0, len(a), size=(n_boot, len(a)))].mean(axis=1)
    den = r[rng.integers(0, len(r), size=(n_boot, len(r)))].mean(axis=1)
    reps = np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)
    low, high = np.nanpercentile(reps, [2.5, 97.5])
    return {"ratio": ratio, "low": float(min(low, ratio)), "high": float(max(high, ratio))}
