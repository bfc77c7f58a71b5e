"""Shared plumbing of the application views: validation of their input, pixel conversions.

Every application takes uint8 images N x C x H x W (or one C x H x W) as the data sources
produce them and returns numpy arrays. Encoding and decoding go through
`latent_atlas.explorer.core.inference` (batches, labels, device, threads). A conditional VAE needs a
label for both directions; where the caller has none the model's `default_label` is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from latent_atlas.explorer.core.inference import check_images


class ApplicationError(ValueError):
    """Bad input to an application view; the message is one readable line for the user."""


def check_model(model: Any) -> Any:
    """The model must look like a `latent_atlas.models.networks.Autoencoder` (config, encode, decode)."""
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


def check_batch_size(batch_size: int) -> int:
    if int(batch_size) != batch_size or batch_size < 1:
        raise ApplicationError(f"batch_size must be a whole number >= 1, not {batch_size}")
    return int(batch_size)


def to_unit(images_uint8: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [0, 1]."""
    return np.asarray(images_uint8, dtype=np.float32) / np.float32(255.0)


def to_uint8(images_float: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] -> uint8 (rounded, clipped), same layout."""
    return np.clip(np.asarray(images_float) * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
