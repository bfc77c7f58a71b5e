"""Per-latent diagnostics of any model: what each code dimension carries.

- variance: the variance over the data of the mean code, per dimension; a dimension is
  *active* when it exceeds 0.01 (Burda et al., "Importance Weighted Autoencoders", ICLR
  2016). For a plain AE this, with the active count, is what there is to say.
- KL per dimension (variational models): the mean over the data of
  KL(q(z_j|x) || N(0, 1)) = 0.5 (mu_j² + sigma_j² - 1 - log sigma_j²), in nats.
- mutual information between image and code (variational models), I(x; z) = E_x E_q(z|x)
  [log q(z|x)] - E_q(z) [log q(z)] (Hoffman and Johnson, "ELBO surgery", NeurIPS 2016
  workshop), estimated as He et al. ("Lagging Inference Networks", ICLR 2019) do: the
  first term in closed form; for the second, one z per image drawn from its posterior and
  log q(z) = logsumexp_n log q(z|x_n) - log N over the data's posteriors. It is bounded by
  log N (the code of one image cannot tell more than which of N images it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

ACTIVE_THRESHOLD = 0.01
MI_SAMPLES = 1000  # images whose sampled code is scored
MI_REFERENCE = 10_000  # posteriors q(z|x_n) the aggregate posterior is averaged over
_CHUNK = 256


@dataclass(frozen=True)
class LatentDiagnostics:
    """One model's per-dimension numbers (arrays of length d) and its summary."""

    variance: np.ndarray
    kl: np.ndarray | None
    mutual_information: float | None  # nats; None for a non-variational model
    mi_bound: float  # log of the number of reference posteriors: the estimate's ceiling
    threshold: float = ACTIVE_THRESHOLD

    @property
    def latent_dim(self) -> int:
        return len(self.variance)

    @property
    def active(self) -> np.ndarray:
        return self.variance > self.threshold

    @property
    def n_active(self) -> int:
        return int(self.active.sum())

    @property
    def kl_total(self) -> float | None:
        return None if self.kl is None else float(self.kl.sum())

    def order(self) -> np.ndarray:
        """Dimensions by KL (variational) or by variance (AE), largest first."""
        key = self.kl if self.kl is not None else self.variance
        return np.argsort(-np.asarray(key, dtype=np.float64), kind="stable")

    def to_dict(self) -> dict[str, Any]:
        return {"variance": [float(v) for v in self.variance],
                "active": [bool(a) for a in self.active], "n_active": self.n_active,
                "active_threshold": self.threshold,
                "kl": None if self.kl is None else [float(v) for v in self.kl],
                "kl_total": self.kl_total, "mutual_information": self.mutual_information,
                "mutual_information_bound": self.mi_bound,
                "order": [int(j) for j in self.order()]}

    def lines(self) -> list[str]:
        """The table `latent-atlas info --data` prints: one row per dimension, by order."""
        head = "dim  variance  active" + ("    KL (nats)" if self.kl is not None else "")
        rows = [head]
        for j in self.order():
            row = f"z{j:<3d} {self.variance[j]:8.4f}  {'yes' if self.active[j] else 'no ':>6}"
            if self.kl is not None:
                row += f"  {self.kl[j]:11.3f}"
            rows.append(row)
        summary = f"active units: {self.n_active} of {self.latent_dim} (variance of the mean " \
                  f"code > {self.threshold:g})"
        if self.kl is not None:
            summary += f"; KL {self.kl_total:.2f} nats"
        if self.mutual_information is not None:
            summary += (f"; mutual information I(x; z) ≈ {self.mutual_information:.2f} nats "
                        f"(at most log N = {self.mi_bound:.2f})")
        return rows + [summary]


def kl_per_dimension(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """Mean over the rows of KL(N(mu, exp(logvar)) || N(0, 1)) per dimension, in nats."""
    mu = np.asarray(mu, dtype=np.float64)
    lv = np.asarray(logvar, dtype=np.float64)
    return (0.5 * (mu**2 + np.exp(lv) - 1.0 - lv)).mean(axis=0)


def mutual_information(mu: np.ndarray, logvar: np.ndarray, *, n_samples: int = MI_SAMPLES,
                       n_reference: int = MI_REFERENCE, seed: int = 0) -> tuple[float, float]:
    """(I(x; z) estimate in nats, its ceiling log N_reference); see the module docstring."""
    mu = np.asarray(mu, dtype=np.float64)
    lv = np.asarray(logvar, dtype=np.float64)
    n, d = mu.shape
    rng = np.random.default_rng(seed)
    ref = np.sort(rng.permutation(n)[:n_reference])
    rows = rng.permutation(n)[:n_samples]
    # E_x E_q(z|x) log q(z|x) = -d/2 log 2π - 1/2 Σ_j (1 + logvar_j), averaged over x.
    neg_entropy = float((-0.5 * d * np.log(2 * np.pi) - 0.5 * (1 + lv[rows]).sum(axis=1)).mean())
    z = mu[rows] + np.exp(0.5 * lv[rows]) * rng.standard_normal((len(rows), d))
    m_ref, lv_ref = mu[ref], lv[ref]
    inv_var = np.exp(-lv_ref)
    const = -0.5 * d * np.log(2 * np.pi) - 0.5 * lv_ref.sum(axis=1)  # per reference
    log_qz = np.empty(len(rows))
    for start in range(0, len(rows), _CHUNK):
        zc = z[start:start + _CHUNK]
        # log q(z_i | x_n) for every sample i and reference n: chunk x N_ref
        sq = ((zc[:, None, :] - m_ref[None]) ** 2 * inv_var[None]).sum(axis=2)
        logp = const[None] - 0.5 * sq
        top = logp.max(axis=1, keepdims=True)
        log_qz[start:start + _CHUNK] = (top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))
                                        - np.log(len(ref)))
    return neg_entropy - float(log_qz.mean()), float(np.log(len(ref)))


def latent_diagnostics(mu: Any, logvar: Any = None, *, threshold: float = ACTIVE_THRESHOLD,
                       seed: int = 0) -> LatentDiagnostics:
    """Diagnostics from the mean codes N x d (and log-variances, for a variational model)."""
    mu = np.asarray(mu, dtype=np.float64)
    if mu.ndim != 2 or len(mu) < 2:
        raise ValueError(f"diagnostics need N x d mean codes with N >= 2, not {mu.shape}")
    variance = mu.var(axis=0)
    if logvar is None:
        return LatentDiagnostics(variance=variance, kl=None, mutual_information=None,
                                 mi_bound=float(np.log(min(len(mu), MI_REFERENCE))),
                                 threshold=threshold)
    lv = np.asarray(logvar, dtype=np.float64)
    if lv.shape != mu.shape:
        raise ValueError(f"log-variances {lv.shape} do not match the codes {mu.shape}")
    mi, bound = mutual_information(mu, lv, seed=seed)
    return LatentDiagnostics(variance=variance, kl=kl_per_dimension(mu, lv),
                             mutual_information=mi, mi_bound=bound, threshold=threshold)


def diagnose_model(model: Any, images: np.ndarray, labels: Any = None, *,
                   seed: int = 0) -> LatentDiagnostics:
    """Encode `images` (uint8) with the model and return its diagnostics."""
    from latent_atlas.explorer.core.inference import encode_posterior

    mu, logvar = encode_posterior(model, images, labels=labels)
    return latent_diagnostics(mu, logvar, seed=seed)
