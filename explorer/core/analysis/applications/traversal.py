"""Latent traversal: decode a code while one latent dimension sweeps -3 sigma ... +3 sigma.

    sigma, scale = traversal_scale(model, data_codes)          # per-dimension step unit
    kl = kl_per_dim(model, images)                              # variational models only
    t = latent_traversal(model, z, sigma=sigma, kl=kl, order="kl")
    t.images            # rows x steps display images, one row per latent dimension

The unit of the sweep (documented choice):
- a variational model (VAE, beta-VAE, CVAE) sweeps around the code in units of the prior's
  sigma = 1. The prior N(0, I) is what the KL term measures every dimension against, so
  a dimension the model switched off (KL ~ 0, decoder ignores it) shows an unchanging row
  and an informative one shows its factor; that contrast is the beta-VAE lesson
  (Higgins et al., 2017). The codes' own spread would shrink the sweep of a switched-off
  dimension to nothing and hide the difference.
- every other model has no prior, so its sigma is the standard deviation of each latent
  dimension over the data's mean codes: +-3 sigma then spans the range the data occupies,
  whatever the arbitrary scale an AE picked for each dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    as_batch,
    check_batch_size,
    check_label,
    check_labels,
    check_model,
    to_unit,
)
from latent_atlas.explorer.core.inference import (
    check_codes,
    decode_float,
    encode_posterior,
    to_display,
)

Scale = Literal["auto", "prior", "data"]
Order = Literal["index", "kl"]
MAX_STEPS = 101


@dataclass
class Traversal:
    """A traversal grid: row r sweeps dimension `dims[r]` through `values[r]`.

    `images` are uint8 display images rows x steps x H x W (x 3 for colour); `offsets` the
    sweep in units of sigma (-span ... +span); `kl` the per-dimension KL (all d of them)
    for a variational model, else None; `label` the class decoded under (conditional only).
    """

    code: np.ndarray
    dims: np.ndarray
    offsets: np.ndarray
    values: np.ndarray
    images: np.ndarray
    sigma: np.ndarray
    scale: str
    kl: np.ndarray | None = None
    label: int | None = None

    @property
    def rows(self) -> list[np.ndarray]:
        """One array of display images per row (what `exports.strip_picture` takes)."""
        return list(self.images)

    def row_titles(self) -> list[str]:
        """Short row captions: `z3  KL 1.24` (or `z3` without KL)."""
        if self.kl is None:
            return [f"z{d}" for d in self.dims]
        return [f"z{d}  KL {self.kl[d]:.2f}" for d in self.dims]


def traversal_scale(model: Any, codes: np.ndarray | None = None,
                    scale: Scale = "auto") -> tuple[np.ndarray, str]:
    """Per-dimension sweep unit sigma (d,) and its name ("prior" or "data").

    "auto" picks "prior" (sigma = 1) for a variational model and "data" (the std of the
    data's mean `codes`, N x d) for every other one; see the module docstring for why.
    """
    check_model(model)
    d = int(model.config.latent_dim)
    if scale == "auto":
        scale = "prior" if model.config.is_variational else "data"
    if scale == "prior":
        return np.ones(d, dtype=np.float32), "prior"
    if scale != "data":
        raise ApplicationError(f"scale must be auto, prior or data, not {scale!r}")
    if codes is None:
        raise ApplicationError("a data-scaled traversal needs the data's codes (encode the data first)")
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != d:
        raise ApplicationError(f"codes must be N x {d}, not shape {z.shape}")
    if len(z) < 2:
        raise ApplicationError("at least 2 codes are needed to measure their spread")
    if not np.isfinite(z).all():
        raise ApplicationError("the codes contain NaN or infinite values")
    sigma = z.std(axis=0)
    # A dimension the data never moves would give a zero-width sweep; fall back to the
    # mean spread of the other dimensions so its (probably empty) effect is still shown.
    positive = sigma[sigma > 1e-8]
    fallback = float(positive.mean()) if len(positive) else 1.0
    sigma = np.where(sigma > 1e-8, sigma, fallback)
    return sigma.astype(np.float32), "data"


def kl_per_dim(model: Any, images: np.ndarray, labels: np.ndarray | None = None, *,
               batch_size: int = 1024) -> np.ndarray:
    """Mean KL(q(z_j|x) || N(0, 1)) of each latent dimension over `images` (d,).

    Uses `latent_atlas.models.losses.kl_per_dimension` batch by batch (weighted by batch size), with
    the labels of a conditional model. Non-variational models have no posterior variance
    and raise ApplicationError.
    """
    import torch

    from latent_atlas.models.losses import kl_per_dimension

    check_model(model)
    if not model.config.is_variational:
        raise ApplicationError(f"a {model.config.kind} model is not variational: it has no KL "
                               "per dimension")
    batch, _ = as_batch(model, images)
    y = check_labels(model, labels, len(batch))
    bs = check_batch_size(batch_size)
    total = np.zeros(int(model.config.latent_dim), dtype=np.float64)
    for s in range(0, len(batch), bs):
        mu, logvar = encode_posterior(model, to_unit(batch[s:s + bs]),
                                      labels=None if y is None else y[s:s + bs], batch_size=bs)
        kl = kl_per_dimension(torch.from_numpy(mu), torch.from_numpy(logvar))
        total += kl.double().numpy() * len(mu)
    return (total / len(batch)).astype(np.float32)


def dims_by_kl(kl: np.ndarray) -> np.ndarray:
    """Dimension indices sorted from most to least informative (largest KL first)."""
    kl = np.asarray(kl, dtype=np.float64).reshape(-1)
    return np.argsort(-kl, kind="stable")


def latent_traversal(model: Any, code: np.ndarray, *, sigma: np.ndarray, scale: str = "",
                     dims: Any = None, steps: int = 7, span: float = 3.0,
                     kl: np.ndarray | None = None, order: Order = "index",
                     label: int | None = None) -> Traversal:
    """Decode `code` (d,) with each dimension in `dims` swept over code[j] + t * sigma[j],
    t = -span ... +span in `steps` steps; returns a `Traversal`.

    `dims` defaults to every dimension; `order="kl"` sorts the rows by `kl` (largest
    first). A conditional model decodes under `label` (default: its default label).
    """
    check_model(model)
    single = np.ndim(code) == 1
    try:
        z = check_codes(code, int(model.config.latent_dim), one=True)
    except ValueError as exc:
        raise ApplicationError(str(exc)) from None
    if not single:
        raise ApplicationError(f"traverse one code (shape ({z.shape[1]},)), not {z.shape[0]}")
    z = z[0]
    d = len(z)
    sig = np.asarray(sigma, dtype=np.float32).reshape(-1)
    if sig.shape != (d,) or not np.isfinite(sig).all() or (sig <= 0).any():
        raise ApplicationError(f"sigma must be {d} positive finite numbers")
    if int(steps) != steps or not 2 <= steps <= MAX_STEPS:
        raise ApplicationError(f"steps must be a whole number in 2..{MAX_STEPS}, not {steps}")
    if not (np.isfinite(span) and span > 0):
        raise ApplicationError(f"span must be a positive number of sigmas, not {span}")
    kl_arr = None
    if kl is not None:
        kl_arr = np.asarray(kl, dtype=np.float32).reshape(-1)
        if kl_arr.shape != (d,):
            raise ApplicationError(f"kl must have {d} values, one per dimension")
    chosen = _choose_dims(dims, d)
    if order == "kl":
        if kl_arr is None:
            raise ApplicationError("sorting by KL needs the KL per dimension (variational models)")
        rank = {int(j): r for r, j in enumerate(dims_by_kl(kl_arr))}
        chosen = np.array(sorted(chosen, key=lambda j: rank[int(j)]), dtype=np.int64)
    elif order != "index":
        raise ApplicationError(f"order must be index or kl, not {order!r}")
    lab = check_label(model, label)

    offsets = np.linspace(-span, span, int(steps)).astype(np.float32)
    values = z[chosen][:, None] + offsets[None, :] * sig[chosen][:, None]  # rows x steps
    grid = np.repeat(z[None, None, :], len(chosen), axis=0).repeat(int(steps), axis=1)
    grid[np.arange(len(chosen)), :, chosen] = values
    flat = grid.reshape(-1, d)
    labels = None if lab is None else np.full(len(flat), lab, dtype=np.int64)
    images = to_display(decode_float(model, flat, labels=labels))
    images = images.reshape(len(chosen), int(steps), *images.shape[1:])
    return Traversal(code=z, dims=chosen, offsets=offsets, values=values.astype(np.float32),
                     images=images, sigma=sig, scale=scale or "custom", kl=kl_arr, label=lab)


def _choose_dims(dims: Any, d: int) -> np.ndarray:
    if dims is None:
        return np.arange(d, dtype=np.int64)
    arr = np.asarray(dims).reshape(-1)
    if len(arr) == 0:
        raise ApplicationError("choose at least one latent dimension to traverse")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ApplicationError(f"dimensions must be whole numbers, not {list(arr)}")
    bad = [int(j) for j in arr if not 0 <= j < d]
    if bad:
        raise ApplicationError(f"dimension(s) {bad} out of range: this latent has dims 0..{d - 1}")
    if len(set(arr.tolist())) != len(arr):
        raise ApplicationError("each dimension may be listed only once")
    return arr.astype(np.int64)


def traversal_for(model: Any, code: np.ndarray, images: np.ndarray | None = None,
                  labels: np.ndarray | None = None, *, codes: np.ndarray | None = None,
                  scale: Scale = "auto", **kwargs: Any) -> Traversal:
    """Convenience: pick sigma (from `codes`, encoding `images` when needed) and the KL
    of a variational model over `images`, then call `latent_traversal`."""
    check_model(model)
    variational = model.config.is_variational
    use = "prior" if scale == "auto" and variational else ("data" if scale == "auto" else scale)
    if use == "data" and codes is None:
        if images is None:
            raise ApplicationError("give the data images (or their codes) to scale the sweep")
        batch, _ = as_batch(model, images)
        codes, _ = encode_posterior(model, to_unit(batch),
                                    labels=check_labels(model, labels, len(batch)))
    sigma, name = traversal_scale(model, codes, use)
    kl = kwargs.pop("kl", None)
    if kl is None and variational and images is not None:
        kl = kl_per_dim(model, images, labels)
    return latent_traversal(model, code, sigma=sigma, scale=name, kl=kl, **kwargs)


def even_subset(n: int, limit: int) -> np.ndarray:
    """At most `limit` indices spread evenly over range(n), in order (all of them when
    n <= limit). Statistics such as the mean KL per dimension are estimated on these."""
    if n < 0 or limit < 1:
        raise ValueError(f"need n >= 0 and limit >= 1, not n={n}, limit={limit}")
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
