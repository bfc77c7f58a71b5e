"""Shared plumbing of the application views: validation, batched encode / decode with labels.

Every application takes uint8 images N x C x H x W (or one C x H x W) as the data sources
produce them and returns numpy arrays. Torch is imported lazily inside the functions so
importing the package stays cheap. A conditional VAE needs a label for both directions;
where the caller has none the model's `default_label` is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..encode import check_images


class ApplicationError(ValueError):
    """Bad input to an application view; the message is one readable line for the user."""


def check_model(model: Any) -> Any:
    """The model must look like a `models.networks.Autoencoder` (config, encode, decode)."""
    if model is None or not all(hasattr(model, a) for a in ("config", "encode", "decode")):
        raise ApplicationError("no model is loaded; open or train a model first")
    return model


def as_batch(model: Any, images: Any) -> tuple[np.ndarray, bool]:
    """Validate uint8 images for `model`; returns (N x C x H x W, whether one image was given)."""
    check_model(model)
    arr = np.asarray(images)
    single = arr.ndim == 3
    try:
        batch = check_images(model, arr)
    except ValueError as exc:
        raise ApplicationError(str(exc)) from None
    if len(batch) == 0:
        raise ApplicationError("there are no images")
    return batch, single


def check_labels(model: Any, labels: Any, n: int) -> np.ndarray | None:
    """Labels for a conditional model (None keeps the default label); ignored by others."""
    if not getattr(model.config, "is_conditional", False) or labels is None:
        return None
    y = np.asarray(labels)
    if y.ndim == 0:
        y = np.full(n, int(y), dtype=np.int64)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ApplicationError(f"labels must be {n} whole numbers, one per image, not shape {y.shape}")
    k = model.config.n_classes
    if len(y) and (y.min() < 0 or y.max() >= k):
        raise ApplicationError(f"labels must be in 0..{k - 1} for this conditional model")
    return y.astype(np.int64)


def check_label(model: Any, label: int | None) -> int | None:
    """One label to decode under: required range for a conditional model, None otherwise."""
    if not getattr(model.config, "is_conditional", False):
        return None
    if label is None:
        return int(getattr(model, "default_label", 0))
    k = model.config.n_classes
    if isinstance(label, bool) or int(label) != label or not 0 <= int(label) < k:
        raise ApplicationError(f"the label must be a whole number in 0..{k - 1}, not {label!r}")
    return int(label)


def check_codes(model: Any, codes: Any) -> tuple[np.ndarray, bool]:
    """Codes (d,) or (M, d) of the model's latent size, finite; returns (M x d float32, single)."""
    z = np.asarray(codes, dtype=np.float32)
    single = z.ndim == 1
    if single:
        z = z[None]
    d = int(model.config.latent_dim)
    if z.ndim != 2 or z.shape[1] != d:
        raise ApplicationError(f"a code of this model has {d} values, not shape {np.shape(codes)}")
    if not np.isfinite(z).all():
        raise ApplicationError("codes must be finite numbers (no NaN or infinity)")
    return z, single


def check_batch_size(batch_size: int) -> int:
    if int(batch_size) != batch_size or batch_size < 1:
        raise ApplicationError(f"batch_size must be a whole number >= 1, not {batch_size}")
    return int(batch_size)


def _device(model: Any):
    import torch

    try:
        return next(model.parameters()).device
    except (StopIteration, AttributeError):
        return torch.device("cpu")


def to_unit(images_uint8: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [0, 1]."""
    return np.asarray(images_uint8, dtype=np.float32) / np.float32(255.0)


def _label_tensor(torch: Any, labels: np.ndarray | None, start: int, stop: int, device):
    if labels is None:
        return None
    return torch.from_numpy(labels[start:stop]).to(device)


def encode_float(model: Any, x: np.ndarray, labels: np.ndarray | None = None, *,
                 batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray | None]:
    """Float images N x C x H x W in [0, 1] -> (mean codes N x d, log-variances or None).

    Unlike `explorer.core.encode`, this passes labels to a conditional model and accepts
    float input (inpainting feeds back the model's own float output).
    """
    import torch

    device, n = _device(model), len(x)
    d = int(model.config.latent_dim)
    mu_out = np.empty((n, d), dtype=np.float32)
    lv_out = np.empty((n, d), dtype=np.float32) if model.config.is_variational else None
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for s in range(0, n, batch_size):
                xb = torch.from_numpy(np.ascontiguousarray(x[s:s + batch_size], dtype=np.float32))
                mu, logvar = model.encode(xb.to(device), _label_tensor(torch, labels, s, s + len(xb),
                                                                       device))
                mu_out[s:s + len(xb)] = mu.float().cpu().numpy()
                if lv_out is not None and logvar is not None:
                    lv_out[s:s + len(xb)] = logvar.float().cpu().numpy()
    finally:
        model.train(was_training)
    if not np.isfinite(mu_out).all():
        raise ApplicationError("the model produced NaN or infinite codes; its weights are damaged")
    return mu_out, lv_out


def decode_float(model: Any, codes: np.ndarray, labels: np.ndarray | None = None, *,
                 batch_size: int = 1024) -> np.ndarray:
    """Codes M x d -> float images M x C x H x W in [0, 1] (labels for a conditional model)."""
    import torch

    device, m = _device(model), len(codes)
    out = np.empty((m, *model.config.input_shape), dtype=np.float32)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for s in range(0, m, batch_size):
                zb = torch.from_numpy(np.ascontiguousarray(codes[s:s + batch_size], dtype=np.float32))
                imgs = model.decode(zb.to(device), _label_tensor(torch, labels, s, s + len(zb), device))
                out[s:s + len(zb)] = imgs.float().cpu().numpy()
    finally:
        model.train(was_training)
    return out


def to_uint8(images_float: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] -> uint8 (rounded, clipped), same layout."""
    return np.clip(np.asarray(images_float) * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
