"""Classic denoisers beside the denoising autoencoder, and the image-quality numbers.

    out = run_baseline("nl-means", noisy)           # float32 N x C x H x W in [0, 1]
    ssim(out, clean), psnr(out, clean)              # per image

Two baselines, the ones the course's medical-imaging example sets against a DAE:
- "median": `scipy.ndimage.median_filter`, a 3 x 3 window per channel (edges mirrored);
- "nl-means": non-local means (Buades et al., 2005) by `skimage.restoration.denoise_nl_means`
  in its fast mode, with the noise sigma of each image estimated by
  `skimage.restoration.estimate_sigma` (wavelet median absolute deviation) and
  h = `NL_MEANS.h_factor` x that sigma. The patch size, search distance and h factor were
  chosen by a measured search on MNIST images (`denoise_sweep.tune_nl_means`; the numbers and
  the reasoning are in docs/metrics.md).
Both take the noisy uint8 images exactly as a model sees them. scipy and scikit-image are
imported when a function runs, off the start-up path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import ApplicationError, to_unit

BASELINES: tuple[str, ...] = ("median", "nl-means")
BASELINE_TITLES = {"median": "median 3×3", "nl-means": "NL-means"}
MEDIAN_SIZE = 3


@dataclass(frozen=True)
class NLMeansParams:
    """Parameters of non-local means: patch side, search distance (pixels each way) and
    h as a multiple of the estimated noise sigma."""

    patch_size: int = 5
    patch_distance: int = 9
    h_factor: float = 0.6

    def to_dict(self) -> dict[str, float]:
        return {"patch_size": self.patch_size, "patch_distance": self.patch_distance,
                "h_factor": self.h_factor}


# Chosen by `tune_nl_means` on 200 MNIST images outside the evaluation split, at Gaussian
# sigma 0.1, 0.3 and 0.5 (docs/metrics.md, "NL-means parameters"): the best of 45 settings
# was patch 5, distance 9, h 0.6 sigma; a finer search found distance 12 only 0.04 dB
# better at about twice the time, so 9 stays.
NL_MEANS = NLMeansParams(patch_size=5, patch_distance=9, h_factor=0.6)


def check_baselines(names: Iterable[str]) -> tuple[str, ...]:
    """Canonical baseline names (order kept, duplicates dropped); unknown -> ApplicationError."""
    aliases = {"nlmeans": "nl-means", "nl_means": "nl-means", "nlm": "nl-means"}
    out: list[str] = []
    for raw in names:
        name = aliases.get(str(raw).strip().lower(), str(raw).strip().lower())
        if name not in BASELINES:
            raise ApplicationError(f"unknown denoiser {raw!r}: choose from {', '.join(BASELINES)}")
        if name not in out:
            out.append(name)
    return tuple(out)


def _batch(images: np.ndarray) -> np.ndarray:
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ApplicationError(f"images must be C x H x W or N x C x H x W, not shape {arr.shape}")
    return to_unit(arr) if arr.dtype == np.uint8 else arr.astype(np.float32)


def median_denoise(noisy: np.ndarray, size: int = MEDIAN_SIZE) -> np.ndarray:
    """Median filter of each channel of each image over a size x size window (float32
    N x C x H x W in [0, 1]; uint8 input is scaled to [0, 1] first)."""
    from scipy.ndimage import median_filter

    if int(size) != size or size < 1:
        raise ApplicationError(f"the median window must be a whole number >= 1, not {size}")
    x = _batch(noisy)
    # One window over the last two axes only: images and channels never mix.
    return median_filter(x, size=(1, 1, int(size), int(size)), mode="reflect").astype(np.float32)


def nl_means_denoise(noisy: np.ndarray, params: NLMeansParams = NL_MEANS) -> np.ndarray:
    """Non-local means of each image with its own estimated sigma (float32 N x C x H x W)."""
    import warnings

    from skimage.restoration import denoise_nl_means, estimate_sigma

    x = _batch(noisy)
    out = np.empty_like(x)
    colour = x.shape[1] > 1
    for i, img in enumerate(x):
        hwc = np.moveaxis(img, 0, -1) if colour else img[0]
        axis = -1 if colour else None
        with warnings.catch_warnings():  # a constant image has no wavelet detail: NaN,
            warnings.simplefilter("ignore", RuntimeWarning)  # handled just below
            sigma = float(np.mean(estimate_sigma(hwc, channel_axis=axis)))
        if not np.isfinite(sigma) or sigma <= 0:
            out[i] = img  # a noise-free (or constant) image: nothing to remove
            continue
        den = denoise_nl_means(hwc, h=params.h_factor * sigma, sigma=sigma,
                               patch_size=params.patch_size,
                               patch_distance=params.patch_distance, fast_mode=True,
                               channel_axis=axis)
        out[i] = np.moveaxis(den, -1, 0) if colour else den[None]
    return np.clip(out, 0.0, 1.0)


def run_baseline(name: str, noisy: np.ndarray, *, nl_means: NLMeansParams = NL_MEANS
                 ) -> np.ndarray:
    """The named classic denoiser ("median" or "nl-means") applied to `noisy`."""
    (name,) = check_baselines([name])
    if name == "median":
        return median_denoise(noisy)
    return nl_means_denoise(noisy, nl_means)


def ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Structural similarity per image (N x C x H x W pairs, uint8 or [0, 1] floats -> N),
    by `skimage.metrics.structural_similarity` with data range 1 and its default 7 x 7
    window (the largest odd window that fits, for images smaller than 7 pixels)."""
    from skimage.metrics import structural_similarity

    x, y = _batch(a), _batch(b)
    if x.shape != y.shape:
        raise ApplicationError(f"cannot compare images of shapes {x.shape} and {y.shape}")
    side = min(x.shape[-2:])
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        raise ApplicationError(f"images of {x.shape[-2]}x{x.shape[-1]} pixels are too small "
                               "for SSIM")
    colour = x.shape[1] > 1
    out = np.empty(len(x), dtype=np.float64)
    for i in range(len(x)):
        xi = np.moveaxis(x[i], 0, -1) if colour else x[i, 0]
        yi = np.moveaxis(y[i], 0, -1) if colour else y[i, 0]
        out[i] = structural_similarity(xi, yi, data_range=1.0, win_size=win,
                                       channel_axis=-1 if colour else None)
    return out
