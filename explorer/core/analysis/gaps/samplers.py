"""Samplers of a model's latent space, to tell prior mismatch apart from gaps.

A hole fraction measured with one sampler mixes two effects: codes the decoder never saw
because the sampler does not match where the codes are (prior mismatch: a VAE's aggregate
posterior is not exactly N(0, I), the "prior hole" problem of Rosca et al., 2018 and
Aneja et al., 2021), and gaps between the codes themselves. Measuring the same model
under several samplers separates them:

- `own`: the model's own prior, exactly `generate.model_prior` (N(0, I) for the kinds
  trained towards it, a Gaussian fitted to the codes for the others);
- `standard_normal`: N(0, I) for every model (how a lecture samples an AE);
- `fitted_gaussian`: the full-covariance Gaussian fitted to the codes (the aggregate
  posterior's best Gaussian);
- `gmm`: a full-covariance Gaussian mixture fitted to the codes, its number of components
  chosen by BIC (ex-post density estimation, Ghosh et al., 2020, "From Variational to
  Deterministic Autoencoders").

Every sampler has `sample(n, seed) -> codes` (float32 n x d, reproducible for a seed) and
a `description`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from latent_atlas.explorer.core.analysis.gaps.generate import (
    STANDARD_NORMAL,
    Prior,
    fit_gaussian,
    model_prior,
)

SAMPLERS = ("own", "standard_normal", "fitted_gaussian", "gmm")
SAMPLER_LABELS = {"own": "own prior", "standard_normal": "N(0, I)",
                  "fitted_gaussian": "fitted Gaussian", "gmm": "GMM (BIC)"}
MAX_COMPONENTS = 30
# BIC has turned once this many more components than the best have not beaten it.
BIC_PATIENCE = 3


class Sampler(Protocol):
    """Anything that draws codes: `sample(n, seed)` and what it is."""

    @property
    def description(self) -> str: ...

    def sample(self, n: int, seed: int = 0) -> np.ndarray: ...


def _factor(cov: np.ndarray) -> np.ndarray:
    """A square root of a (possibly singular) covariance: eigh, negative rounding clipped."""
    w, v = np.linalg.eigh(cov)
    return np.asarray(v * np.sqrt(np.clip(w, 0.0, None)))


@dataclass(frozen=True)
class MixtureSampler:
    """A Gaussian mixture: `weights` (k,), `means` (k, d), `covs` (k, d, d), with the BIC
    of every number of components tried (`bic[j]` is for j + 1 components)."""

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray
    bic: tuple[float, ...] = field(default=())
    capped: bool = False  # the best BIC was the largest number of components tried

    @property
    def n_components(self) -> int:
        return len(self.weights)

    @property
    def description(self) -> str:
        cap = ", the most tried: BIC was still falling" if self.capped else ""
        return f"Gaussian mixture of {self.n_components} fitted to the codes (BIC{cap})"

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n codes (float32 n x d), reproducible for a given seed."""
        if int(n) != n or n < 0:
            raise ValueError(f"the number of samples must be a whole number >= 0, not {n}")
        rng = np.random.default_rng(seed)
        k, d = self.means.shape
        comp = rng.choice(k, size=int(n), p=self.weights)
        white = rng.standard_normal((int(n), d))
        factors = np.stack([_factor(c) for c in self.covs])
        z = self.means[comp] + np.einsum("nij,nj->ni", factors[comp], white)
        return z.astype(np.float32)


def fit_gmm(codes: np.ndarray, max_components: int = MAX_COMPONENTS, seed: int = 0
            ) -> MixtureSampler:
    """Full-covariance Gaussian mixtures with 1, 2, ... components fitted to the codes
    (N x d); the one with the lowest BIC. The search stops once BIC_PATIENCE more
    components than the best have not lowered the BIC (it has turned), or at
    max_components; `capped` says the best was the largest tried, so BIC had not turned.
    Seeded, so the same codes give the same mixture. Fewer components are tried when
    there are few codes (at least 2 (d + 1) codes per component, and no more than
    distinct codes)."""
    from latent_atlas.explorer.core.progress import drain

    return drain(fit_gmm_steps(codes, max_components, seed))


def fit_gmm_steps(codes: np.ndarray, max_components: int = MAX_COMPONENTS, seed: int = 0
                  ) -> Generator[tuple[int, int], None, MixtureSampler]:
    """`fit_gmm` as a generator, for progress inside the fit: yields (k, k_max) before the
    fit with k components (the search may stop before k_max); returns the mixture."""
    from sklearn.mixture import GaussianMixture

    from latent_atlas.explorer.core.threads import single_threaded_blas

    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or len(z) < 2:
        raise ValueError(f"fitting a mixture needs at least 2 codes as N x d, not {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("the codes contain NaN or infinite values")
    if max_components < 1:
        raise ValueError(f"max_components must be >= 1, not {max_components}")
    # Fit on standardised codes (BIC ranks the same under an affine change of scale, and
    # sklearn's covariance regulariser is then relative to the codes' spread).
    centre = z.mean(axis=0)
    scale = z.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    x = (z - centre) / scale
    d = z.shape[1]
    # No more components than distinct codes (collapsed codes give one).
    distinct = len(np.unique(x, axis=0))
    k_max = max(1, min(int(max_components), len(z) // (2 * (d + 1)), distinct))
    best: Any = None
    bics: list[float] = []
    for k in range(1, k_max + 1):
        if best is not None and k > best.n_components + BIC_PATIENCE:
            break  # BIC has turned
        yield k, k_max
        gm = GaussianMixture(n_components=k, covariance_type="full", random_state=seed,
                             reg_covar=1e-6)
        # EM multiplies small matrices (N x d by d x d, per component): a threaded BLAS
        # spends longer handing them out than computing them (MNIST codes, 16-D, k = 28:
        # 6.0 s with two OpenBLAS threads, 1.8 s with one, on a quiet machine).
        with single_threaded_blas():
            gm.fit(x)
            bics.append(float(gm.bic(x)))
        if best is None or bics[-1] < min(bics[:-1], default=np.inf):
            best = gm
    weights = np.asarray(best.weights_, dtype=np.float64)
    means = np.asarray(best.means_, dtype=np.float64) * scale + centre
    covs = np.asarray(best.covariances_, dtype=np.float64) * np.outer(scale, scale)
    return MixtureSampler(weights=weights / weights.sum(), means=means, covs=covs,
                          bic=tuple(bics), capped=best.n_components == len(bics) > 1)


def standard_normal(d: int) -> Prior:
    """N(0, I) in d dimensions."""
    return Prior(mean=np.zeros(int(d)), cov=np.eye(int(d)), description=STANDARD_NORMAL)


def make_samplers(model: Any, codes: np.ndarray, *, seed: int = 0,
                  max_components: int = MAX_COMPONENTS,
                  gmm: MixtureSampler | None = None) -> dict[str, Sampler]:
    """The four samplers of `SAMPLERS` for `model`, given its codes of the training data
    (N x latent_dim). `seed` fixes the mixture's fit; `gmm` is one fitted already."""
    codes = np.asarray(codes)
    d = int(model.latent_dim)
    if codes.ndim != 2 or codes.shape[1] != d:
        raise ValueError(f"codes must be N x {d} for this model, not {codes.shape}")
    return {"own": model_prior(model, codes), "standard_normal": standard_normal(d),
            "fitted_gaussian": fit_gaussian(codes),
            "gmm": gmm if gmm is not None else fit_gmm(codes, max_components, seed)}
