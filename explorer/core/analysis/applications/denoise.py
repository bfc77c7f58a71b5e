"""Denoising: corrupt images with a seeded noise, reconstruct them, measure the gain.

    r = denoise(model, images, "gaussian", 0.3, seed=0)
    r.noisy_psnr, r.recon_psnr        # dB against the clean images; higher is better

Noise types (levels on the 0..1 intensity scale):
- "gaussian": add N(0, level^2) to every pixel, clip to [0, 1] (level = sigma);
- "masking": zero a random fraction `level` of the pixel positions (all channels of a
  pixel together), the corruption of Vincent et al., 2008;
- "salt-and-pepper": set a random fraction `level` of the pixel positions to black or
  white with equal chance.
Noisy images are quantised back to uint8, exactly what a user's noisy picture would be.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications.baselines import (
    BASELINES,
    check_baselines,
    run_baseline,
    ssim,
)
from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    as_batch,
    check_batch_size,
    check_labels,
    to_uint8,
    to_unit,
)
from latent_atlas.explorer.core.inference import decode_float, encode_posterior, to_display

NoiseKind = Literal["gaussian", "masking", "salt-and-pepper"]
NOISE_KINDS: tuple[NoiseKind, ...] = ("gaussian", "masking", "salt-and-pepper")
MAX_GAUSSIAN_SIGMA = 5.0


def _noise_kind(name: str) -> NoiseKind:
    for kind in NOISE_KINDS:
        if kind == name:
            return kind
    raise ApplicationError(f"noise must be one of {', '.join(NOISE_KINDS)}, not {name!r}")


def check_noise(name: str, level: float) -> tuple[NoiseKind, float]:
    """Validate a noise type and level; returns the canonical (kind, level)."""
    kind = _noise_kind({"salt_and_pepper": "salt-and-pepper", "saltpepper": "salt-and-pepper",
                        "s&p": "salt-and-pepper"}.get(str(name).lower(), str(name).lower()))
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise ApplicationError(f"the noise level must be a number, not {level!r}") from None
    if kind == "gaussian":
        if not 0 <= level <= MAX_GAUSSIAN_SIGMA:
            raise ApplicationError(f"the Gaussian sigma must be in 0..{MAX_GAUSSIAN_SIGMA:g} "
                                   f"(on the 0..1 pixel scale), not {level:g}")
    elif not 0 <= level <= 1:
        raise ApplicationError(f"the {kind} level is a fraction of pixels in 0..1, not {level:g}")
    return kind, level


def add_noise(images: np.ndarray, kind: NoiseKind, level: float, *, seed: int = 0) -> np.ndarray:
    """Return a noisy uint8 copy of uint8 images (any shape ... x C x H x W, C first).

    The same `seed` always gives the same noise, so two models can be compared on
    identical corrupted inputs.
    """
    arr = np.asarray(images)
    if arr.dtype != np.uint8:
        raise ApplicationError(f"images must be uint8 (0-255), not {arr.dtype}")
    if arr.ndim < 3:
        raise ApplicationError(f"images must be C x H x W or N x C x H x W, not shape {arr.shape}")
    kind, level = check_noise(kind, level)
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        noisy = to_unit(arr) + rng.normal(0.0, level, size=arr.shape).astype(np.float32)
        return to_uint8(noisy)
    # One decision per pixel position, shared by its channels (axis -3).
    pos_shape = arr.shape[:-3] + (1,) + arr.shape[-2:]
    hit = rng.random(pos_shape) < level
    if kind == "masking":
        return np.where(hit, np.uint8(0), arr)
    white = rng.random(pos_shape) < 0.5
    return np.where(hit, np.where(white, np.uint8(255), np.uint8(0)), arr).astype(np.uint8)


def mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean squared error per image on the 0..1 scale (N x C x H x W pairs -> N)."""
    a = _unit(a)
    b = _unit(b)
    if a.shape != b.shape:
        raise ApplicationError(f"cannot compare images of shapes {a.shape} and {b.shape}")
    diff = (a - b).reshape(len(a), -1)
    return np.mean(diff.astype(np.float64) ** 2, axis=1)


def psnr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio per image in dB (peak 1.0); identical images give inf."""
    err = mse(a, b)
    out = np.full(err.shape, np.inf)
    pos = err > 0
    out[pos] = 10.0 * np.log10(1.0 / err[pos])
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    x = to_unit(x) if x.dtype == np.uint8 else x.astype(np.float32)
    return x[None] if x.ndim == 3 else x


@dataclass
class BaselineOutput:
    """A classic denoiser's output (uint8 N x C x H x W) with its numbers against the
    clean images, per image: MSE, PSNR (dB) and SSIM, measured before rounding."""

    name: str
    output: np.ndarray
    mse: np.ndarray
    psnr: np.ndarray
    ssim: np.ndarray


@dataclass
class DenoiseResult:
    """Clean, noisy and reconstructed images (uint8 N x C x H x W) with error numbers.

    Errors are per image on the 0..1 scale: `*_mse`, `*_psnr` (dB) and `*_ssim` of the
    noisy input and of the model's reconstruction of it, all against the clean image. The
    reconstruction is measured before rounding to uint8. `baselines` holds the classic
    denoisers asked for, run on the same noisy images.
    """

    clean: np.ndarray
    noisy: np.ndarray
    reconstruction: np.ndarray
    noise: str
    level: float
    seed: int
    noisy_mse: np.ndarray
    noisy_psnr: np.ndarray
    recon_mse: np.ndarray
    recon_psnr: np.ndarray
    noisy_ssim: np.ndarray | None = None
    recon_ssim: np.ndarray | None = None
    baselines: dict[str, BaselineOutput] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """Mean error numbers over the images (PSNR from the mean MSE, so inf never leaks):
        noisy_* and recon_* (mse, psnr, ssim), and <baseline>_* for each baseline."""
        out = {
            "noisy_mse": float(self.noisy_mse.mean()),
            "recon_mse": float(self.recon_mse.mean()),
            "noisy_psnr": psnr_of_mse(float(self.noisy_mse.mean())),
            "recon_psnr": psnr_of_mse(float(self.recon_mse.mean())),
        }
        if self.noisy_ssim is not None and self.recon_ssim is not None:
            out["noisy_ssim"] = float(self.noisy_ssim.mean())
            out["recon_ssim"] = float(self.recon_ssim.mean())
        for name, b in self.baselines.items():
            out[f"{name}_mse"] = float(b.mse.mean())
            out[f"{name}_psnr"] = psnr_of_mse(float(b.mse.mean()))
            out[f"{name}_ssim"] = float(b.ssim.mean())
        return out

    def display_rows(self) -> list[np.ndarray]:
        """[clean, noisy, reconstruction, baselines...] display images, N each (a picture
        of one row per kind)."""
        arrays = (self.clean, self.noisy, self.reconstruction,
                  *(b.output for b in self.baselines.values()))
        return [to_display(to_unit(a)) for a in arrays]


def psnr_of_mse(m: float) -> float:
    """PSNR in dB (peak 1.0) of a mean squared error; 0 gives inf."""
    return float("inf") if m <= 0 else float(10.0 * np.log10(1.0 / m))


def classic_denoise(clean: np.ndarray, noisy: np.ndarray, names: Sequence[str] = BASELINES
                    ) -> dict[str, BaselineOutput]:
    """Run each named classic denoiser on `noisy` (uint8, as a model sees it) and measure
    it against `clean` (uint8, same shape)."""
    clean_b, noisy_b = np.asarray(clean), np.asarray(noisy)
    if clean_b.shape != noisy_b.shape:
        raise ApplicationError(f"clean {clean_b.shape} and noisy {noisy_b.shape} images differ "
                               "in shape")
    out: dict[str, BaselineOutput] = {}
    for name in check_baselines(names):
        den = run_baseline(name, noisy_b)
        out[name] = BaselineOutput(name=name, output=to_uint8(den), mse=mse(den, clean_b),
                                   psnr=psnr(den, clean_b), ssim=ssim(den, clean_b))
    return out


def _reconstruct(model: Any, noisy: np.ndarray, y: np.ndarray | None, bs: int) -> np.ndarray:
    noisy_unit = to_unit(noisy)
    mu, _ = encode_posterior(model, noisy_unit, labels=y, batch_size=bs)
    # A max-unpooling decoder reconstructs with the noisy image's own switches.
    return decode_float(model, mu, labels=y, batch_size=bs, switch_images=noisy_unit)


def denoise(model: Any, images: np.ndarray, noise: NoiseKind = "gaussian", level: float = 0.3,
            *, seed: int = 0, labels: np.ndarray | None = None,
            batch_size: int = 1024, baselines: Sequence[str] = ()) -> DenoiseResult:
    """Corrupt `images` (uint8 N x C x H x W or one C x H x W) with `noise` at `level`,
    reconstruct the noisy images with `model` and return a `DenoiseResult`; each classic
    denoiser named in `baselines` ("median", "nl-means") runs on the same noisy images.

    A conditional model is given `labels` (default: its default label). Runs under
    inference mode; the model's training flag is restored afterwards.
    """
    batch, _ = as_batch(model, images)
    y = check_labels(model, labels, len(batch))
    bs = check_batch_size(batch_size)
    noise, level = check_noise(noise, level)
    names = check_baselines(baselines)
    noisy = add_noise(batch, noise, level, seed=seed)
    recon = _reconstruct(model, noisy, y, bs)
    return DenoiseResult(
        clean=batch, noisy=noisy, reconstruction=to_uint8(recon), noise=noise, level=level,
        seed=int(seed), noisy_mse=mse(noisy, batch), noisy_psnr=psnr(noisy, batch),
        recon_mse=mse(recon, batch), recon_psnr=psnr(recon, batch),
        noisy_ssim=ssim(noisy, batch), recon_ssim=ssim(recon, batch),
        baselines=classic_denoise(batch, noisy, names))


def error_caption(mse: float, psnr: float | None = None) -> str:
    """'MSE 0.0123 · PSNR 19.1 dB' (PSNR from the MSE when not given; identical = ∞)."""
    mse = float(mse)
    if psnr is None:
        psnr = float("inf") if mse <= 0 else 10.0 * math.log10(1.0 / mse)
    p = "∞" if math.isinf(psnr) else f"{psnr:.1f}"
    return f"MSE {mse:.4f} · PSNR {p} dB"


def quality_caption(mse: float, psnr: float | None = None, ssim: float | None = None) -> str:
    """'MSE 0.0123 · PSNR 19.1 dB · SSIM 0.812' (the SSIM part only when given)."""
    text = error_caption(mse, psnr)
    return text if ssim is None else f"{text} · SSIM {float(ssim):.3f}"
