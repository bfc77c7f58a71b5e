"""Generation: codes drawn from a model's prior, decoded, and placed on its map.

A VAE (and the beta-VAE, the conditional VAE and the adversarial AE, whose training pulls
the codes towards it) has the prior N(0, I). A plain AE has no prior at all; the fair
stand-in, and the usual one in the literature, is a Gaussian fitted to its codes (mean
and full covariance). Sampling that Gaussian is where an AE's holes show: the Gaussian
puts mass between and around the AE's irregular clusters, where its decoder was never
trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

STANDARD_NORMAL = "standard normal N(0, I)"
FITTED_GAUSSIAN = "Gaussian fitted to the codes"


def has_standard_prior(model: Any) -> bool:
    """True when training pulls the model's codes towards N(0, I)."""
    cfg = model.config
    return bool(cfg.is_variational or cfg.kind == "aae")


@dataclass(frozen=True)
class Prior:
    """A Gaussian over the latent space: `mean` (d,), `cov` (d, d), and what it is."""

    mean: np.ndarray
    cov: np.ndarray
    description: str

    @property
    def dim(self) -> int:
        return len(self.mean)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n codes (float32 n x d), reproducible for a given seed."""
        if int(n) != n or n < 0:
            raise ValueError(f"the number of samples must be a whole number >= 0, not {n}")
        rng = np.random.default_rng(seed)
        white = rng.standard_normal((int(n), self.dim))
        return (self.mean + white @ self._factor().T).astype(np.float32)

    def _factor(self) -> np.ndarray:
        # Eigen-decomposition rather than Cholesky: an AE's code covariance can be
        # singular (a collapsed dimension) and this still gives a valid square root.
        w, v = np.linalg.eigh(self.cov)
        return v * np.sqrt(np.clip(w, 0.0, None))

    def to_dict(self) -> dict[str, Any]:
        return {"description": self.description, "mean": self.mean.tolist(),
                "cov": self.cov.tolist()}


def fit_gaussian(codes: np.ndarray) -> Prior:
    """The Gaussian (mean, full covariance) fitted to codes N x d."""
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or len(z) < 2:
        raise ValueError(f"fitting a Gaussian needs at least 2 codes as N x d, not {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("the codes contain NaN or infinite values")
    cov = np.atleast_2d(np.cov(z, rowvar=False))
    return Prior(mean=z.mean(axis=0), cov=cov, description=FITTED_GAUSSIAN)


def model_prior(model: Any, codes: np.ndarray | None = None) -> Prior:
    """The prior used to sample `model`: N(0, I), or for a plain AE (and the other kinds
    without a prior) the Gaussian fitted to `codes` (its codes of the training images)."""
    d = int(model.latent_dim)
    if has_standard_prior(model):
        return Prior(mean=np.zeros(d), cov=np.eye(d), description=STANDARD_NORMAL)
    if codes is None:
        raise ValueError(f"a {model.config.kind} has no prior of its own: give its codes so a "
                         "Gaussian can be fitted to them")
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != d:
        raise ValueError(f"codes must be N x {d} for this model, not {codes.shape}")
    return fit_gaussian(codes)


@dataclass
class PriorSamples:
    """`codes` (n x d) drawn from `prior`, their decoded `images` (uint8 display images)
    and, when a map was given, their map `positions` (n x 2)."""

    codes: np.ndarray
    images: np.ndarray
    positions: np.ndarray | None
    prior: Prior


def sample_prior(model: Any, n: int, *, seed: int = 0, codes: np.ndarray | None = None,
                 latent_map: Any = None, decoder: Any = None) -> PriorSamples:
    """Draw n codes from the model's prior, decode them, place them on `latent_map`.

    `codes` (the model's codes of its data) are needed for a model without a prior; when
    absent the map's codes are used. The same seed gives the same samples.
    """
    from latent_atlas.explorer.core.inference import Decoder

    if codes is None and latent_map is not None:
        codes = latent_map.codes
    prior = model_prior(model, codes)
    z = prior.sample(n, seed)
    dec = decoder if decoder is not None else Decoder(model)
    images = dec.decode(z)
    positions = None
    if latent_map is not None:
        positions = latent_map.place(z) if len(z) else np.empty((0, 2), dtype=np.float32)
    return PriorSamples(codes=z, images=images, positions=positions, prior=prior)


def decoded_grid(decoder: Any, latent_map: Any, rect: tuple[float, float, float, float],
                 n: int = 10) -> np.ndarray:
    """The classic "manifold" figure: images decoded at the centres of an n x n grid of
    cells over rect = (xmin, xmax, ymin, ymax) of the map.

    Returns uint8 (n, n, H, W) or (n, n, H, W, 3) indexed [iy, ix], iy growing with y (so
    a figure with y pointing up shows row n - 1 at the top). One inverse and one batched
    decode for the whole grid.
    """
    from latent_atlas.explorer.core.analysis.gaps.score import grid_points

    if int(n) != n or not 1 <= n <= 64:
        raise ValueError(f"a decoded grid has 1 to 64 images per side, not {n}")
    n = int(n)
    images = decoder.decode(latent_map.inverse(grid_points(rect, n)))
    return images.reshape(n, n, *images.shape[1:])
