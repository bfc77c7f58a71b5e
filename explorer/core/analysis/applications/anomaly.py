"""Anomaly ranking: the samples a model reconstructs worst are the ones least like its data.

    errors = reconstruction_errors(model, images)            # N floats, batched
    ranking = rank_anomalies(errors, top=20)                  # worst first
    ranking.top, ranking.percentile

An autoencoder trained on one distribution reconstructs images from it well and
everything else badly, so the per-sample reconstruction error is a classic (if simple)
out-of-distribution score. Long runs are a progress generator like `encode_iter`,
so the GUI can show progress and cancel.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    as_batch,
    check_batch_size,
    check_labels,
    to_unit,
)
from latent_atlas.explorer.core.inference import EncodeProgress, decode_float, encode_posterior
from latent_atlas.explorer.core.progress import check_cancel, drain

Metric = Literal["mse", "bce"]
METRICS = ("mse", "bce")


def _per_image_error(x: np.ndarray, recon: np.ndarray, metric: str) -> np.ndarray:
    flat_x = x.reshape(len(x), -1).astype(np.float64)
    flat_r = recon.reshape(len(recon), -1).astype(np.float64)
    if metric == "mse":
        return np.mean((flat_x - flat_r) ** 2, axis=1)
    # Binary cross-entropy per pixel (the VAE's Bernoulli likelihood); clipped so a
    # saturated decoder output gives a large finite number, not inf.
    r = np.clip(flat_r, 1e-6, 1.0 - 1e-6)
    return -np.mean(flat_x * np.log(r) + (1.0 - flat_x) * np.log1p(-r), axis=1)


def reconstruction_error_iter(model: Any, images: np.ndarray, *, labels: np.ndarray | None = None,
                              metric: Metric = "mse", batch_size: int = 512, cancel: Any = None
                              ) -> Generator[EncodeProgress, None, np.ndarray]:
    """Yield `EncodeProgress` per batch; return each image's reconstruction error (N,).

    The error is the mean over pixels on the 0..1 scale ("mse", or "bce" per pixel), of the
    mean-code reconstruction, computed batch by batch under inference mode. `cancel`
    (Event-like or callable) raises `Cancelled` before the next batch.
    """
    batch, _ = as_batch(model, images)
    if metric not in METRICS:
        raise ApplicationError(f"metric must be mse or bce, not {metric!r}")
    y = check_labels(model, labels, len(batch))
    bs = check_batch_size(batch_size)
    n = len(batch)
    errors = np.empty(n, dtype=np.float64)
    yield EncodeProgress(0, n)
    for s in range(0, n, bs):
        check_cancel(cancel, "anomaly ranking")
        x = to_unit(batch[s:s + bs])
        yb = None if y is None else y[s:s + bs]
        mu, _ = encode_posterior(model, x, labels=yb, batch_size=bs)
        errors[s:s + len(x)] = _per_image_error(x, decode_float(model, mu, labels=yb, batch_size=bs,
                                                                    switch_images=x), metric)
        yield EncodeProgress(min(n, s + bs), n)
    return errors


def reconstruction_errors(model: Any, images: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Drain `reconstruction_error_iter`: the per-image reconstruction errors (N,)."""
    return drain(reconstruction_error_iter(model, images, **kwargs))


@dataclass
class AnomalyRanking:
    """`order` holds every index, worst reconstructed first; `top` the first k of them.

    `percentile[i]` is the share (0..100) of samples reconstructed better than sample i,
    what the map colours by; `zscore` the error in standard deviations from the mean.
    """

    errors: np.ndarray
    order: np.ndarray
    top: np.ndarray
    percentile: np.ndarray
    zscore: np.ndarray

    def rank_of(self, index: int) -> int:
        """1-based rank of sample `index` (1 = worst reconstructed)."""
        if not 0 <= int(index) < len(self.errors):
            raise ApplicationError(f"sample {index} is out of range (0..{len(self.errors) - 1})")
        return int(np.flatnonzero(self.order == int(index))[0]) + 1


def rank_anomalies(errors: np.ndarray, top: int = 20) -> AnomalyRanking:
    """Sort per-sample errors, worst first; `top` (clipped to N) worst indices kept apart."""
    e = np.asarray(errors, dtype=np.float64)
    if e.ndim != 1 or len(e) == 0:
        raise ApplicationError(f"errors must be a non-empty list of numbers, not shape {e.shape}")
    if not np.isfinite(e).all():
        raise ApplicationError("the reconstruction errors contain NaN or infinite values")
    if isinstance(top, bool) or int(top) != top or top < 1:
        raise ApplicationError(f"top must be a whole number >= 1, not {top}")
    # Stable sort on the negated error: ties keep data order, worst first.
    order = np.argsort(-e, kind="stable")
    ranks = np.empty(len(e), dtype=np.float64)
    ranks[np.argsort(e, kind="stable")] = np.arange(len(e))
    percentile = 100.0 * ranks / max(1, len(e) - 1)
    sd = e.std()
    zscore = (e - e.mean()) / sd if sd > 0 else np.zeros_like(e)
    return AnomalyRanking(errors=e, order=order, top=order[:min(int(top), len(e))],
                          percentile=percentile, zscore=zscore)


def worst_k(model: Any, images: np.ndarray, k: int = 20, **kwargs: Any) -> AnomalyRanking:
    """Reconstruction errors of `images` ranked, with the `k` worst in `.top`."""
    return rank_anomalies(reconstruction_errors(model, images, **kwargs), top=k)
