"""Checks of what the inference runner (`latent_atlas.explorer.core.inference`) is given: images
against the model's input shape, codes, batch sizes. Each raises a readable ValueError."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from latent_atlas.models.networks import Autoencoder


def check_images(model: Autoencoder, images: npt.ArrayLike, *, allow_float: bool = False
                 ) -> np.ndarray:
    """Validate N x C x H x W images (or one C x H x W) against the model's input shape.

    uint8 (0-255) images always; float images in [0, 1] only with `allow_float`.
    """
    images = np.asarray(images)
    floating = np.issubdtype(images.dtype, np.floating)
    if images.dtype != np.uint8 and not (allow_float and floating):
        raise ValueError(f"images must be uint8 (0-255), not {images.dtype}")
    if images.ndim == 3:  # one image C x H x W
        images = images[None]
    if images.ndim != 4:
        raise ValueError(f"images must be N x C x H x W, not shape {images.shape}")
    expected = tuple(model.config.input_shape)
    if tuple(images.shape[1:]) != expected:
        c, h, w = expected
        raise ValueError(
            f"the images are {images.shape[2]}x{images.shape[3]} with {images.shape[1]} channel(s) "
            f"but this model expects {h}x{w} with {c}; use data the model was trained on"
        )
    return images


def check_codes(codes: npt.ArrayLike, dim: int | None = None, *, one: bool = False
                ) -> npt.NDArray[np.float32]:
    """Validate codes and return them as C-contiguous float32 N x d.

    `codes` must be an N x d array of finite numbers (d == `dim` when given); with `one`,
    a single code of shape (d,) is accepted too and returned as 1 x d.
    """
    arr = np.asarray(codes)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise ValueError(f"codes must be numbers, not {arr.dtype}")
    if one and arr.ndim == 1:
        arr = arr[None]
    if dim is not None and (arr.ndim != 2 or arr.shape[1] != dim):
        raise ValueError(f"a code of this model has {dim} values, not shape {np.shape(codes)}")
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"codes must be an N x d array with N, d >= 1, not shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError("the codes contain NaN or infinite values (did training diverge?)")
    return arr


def _check_batch_size(batch_size: int) -> int:
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, not {batch_size}")
    return int(batch_size)
