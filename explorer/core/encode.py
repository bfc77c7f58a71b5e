"""Encode an image set to its mean latent codes, in batches, with progress and cancel.

The map always plots the mean code (`mu`), never a sampled one: a VAE's sample would
move every point on each run. Images stay uint8 until a batch is made, so encoding
60,000 MNIST images needs a few megabytes of float memory at a time.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .progress import check_cancel, drain


@dataclass(frozen=True)
class EncodeProgress:
    """`done` of `total` images encoded so far."""

    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def _model_device(model: Any):
    try:
        return next(model.parameters()).device
    except StopIteration:  # a model without parameters; nothing to move
        return None


def check_images(model: Any, images: np.ndarray) -> np.ndarray:
    """Validate uint8 N x C x H x W images against the model's input shape."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
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


def encode_images(model: Any, images_uint8: np.ndarray, *, batch_size: int = 1024,
                  cancel: Any = None, labels: np.ndarray | None = None,
                  ) -> Generator[EncodeProgress, None, np.ndarray]:
    """Yield `EncodeProgress` per batch; return the mean codes (N x d float32).

    A conditional model encodes each image under its own label when `labels` is given
    (otherwise under the model's default label).

    Runs under `torch.inference_mode()` with the model in eval mode (restored after).
    `cancel` (Event-like or callable) is checked before every batch; when set, raises
    `explorer.core.progress.Cancelled`.
    """
    import torch

    images = check_images(model, images_uint8)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    n = len(images)
    conditional = bool(getattr(model, "n_cond", 0)) and labels is not None
    if conditional and len(labels) != n:
        raise ValueError(f"{n} images but {len(labels)} labels")
    codes = np.empty((n, model.latent_dim), dtype=np.float32)
    device = _model_device(model)
    was_training = model.training
    model.eval()
    try:
        yield EncodeProgress(0, n)
        for start in range(0, n, batch_size):
            check_cancel(cancel, "encoding")
            # np.array copies the slice: torch refuses read-only buffers (e.g. memory maps).
            batch = torch.from_numpy(np.array(images[start:start + batch_size]))
            if device is not None and device.type != "cpu":
                batch = batch.to(device)
            y = (torch.as_tensor(np.asarray(labels[start:start + batch_size]), dtype=torch.long)
                 if conditional else None)
            with torch.inference_mode():
                mu, _ = model.encode(batch.float().div_(255.0), y) if y is not None else \
                    model.encode(batch.float().div_(255.0))
            codes[start:start + len(batch)] = mu.float().cpu().numpy()
            yield EncodeProgress(min(n, start + batch_size), n)
    finally:
        model.train(was_training)
    if not np.isfinite(codes).all():
        raise ValueError("the model produced NaN or infinite codes; its weights are damaged "
                         "(did training diverge?)")
    return codes


def encode_all(model: Any, images_uint8: np.ndarray, *, batch_size: int = 1024,
               labels: np.ndarray | None = None) -> np.ndarray:
    """Encode everything at once (drains `encode_images`)."""
    return drain(encode_images(model, images_uint8, batch_size=batch_size, labels=labels))
