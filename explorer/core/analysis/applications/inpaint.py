"""Inpainting: fill a masked region by iterating encode -> decode, keeping known pixels fixed.

    mask = rectangle_mask((28, 28), top=8, left=8, height=10, width=10)
    r = inpaint(model, image, mask, steps=10)
    r.filled, r.changes           # uint8 image; mean change of the hole per iteration

The hole starts at the mean of the image's known pixels; each iteration replaces it by
the model's reconstruction of the current image and then projects back onto the known
pixels (x = mask ? decode(encode(x)) : original). An autoencoder's reconstruction pulls
an image towards the data it learnt, so the hole converges to something consistent with
the visible part; the change per iteration shows that convergence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    as_batch,
    check_labels,
    to_uint8,
    to_unit,
)
from latent_atlas.explorer.core.inference import decode_float, encode_posterior, to_display

Init = Literal["mean", "zero"]
MAX_STEPS = 500


def rectangle_mask(shape: tuple[int, ...], top: int, left: int, height: int,
                   width: int) -> np.ndarray:
    """Boolean H x W mask, True inside the rectangle (the pixels to fill).

    `shape` is (H, W) or an image shape (C, H, W). A rectangle reaching past the border is
    clipped; one that misses the image entirely is an error.
    """
    if len(shape) not in (2, 3):
        raise ApplicationError(f"shape must be (H, W) or (C, H, W), not {shape}")
    h, w = int(shape[-2]), int(shape[-1])
    vals = (top, left, height, width)
    if any(isinstance(v, bool) or int(v) != v for v in vals):
        raise ApplicationError(f"the rectangle needs whole numbers, not {vals}")
    top, left, height, width = (int(v) for v in vals)
    if height < 1 or width < 1:
        raise ApplicationError(f"the rectangle must be at least 1x1 pixels, not {height}x{width}")
    y0, y1 = max(0, top), min(h, top + height)
    x0, x1 = max(0, left), min(w, left + width)
    if y0 >= y1 or x0 >= x1:
        raise ApplicationError(f"the rectangle (top {top}, left {left}, {height}x{width}) lies "
                               f"outside the {h}x{w} image")
    mask = np.zeros((h, w), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def check_mask(mask: Any, batch_shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast a boolean mask (H x W, C x H x W, N x H x W or N x C x H x W) to the batch.

    True marks unknown pixels. The mask must select at least one pixel per image and
    leave at least one known pixel in each.
    """
    n, c, h, w = batch_shape
    m = np.asarray(mask)
    if m.dtype != bool:
        if not np.issubdtype(m.dtype, np.integer) or not np.isin(m, (0, 1)).all():
            raise ApplicationError("the mask must be boolean (True = pixel to fill)")
        m = m.astype(bool)
    if m.shape == (h, w):
        m = m[None, None]
    elif m.shape == (c, h, w):
        m = m[None]
    elif m.shape == (n, h, w):
        m = m[:, None]
    elif m.shape != (n, c, h, w):
        raise ApplicationError(f"the mask has shape {m.shape}; expected {h}x{w} (or one per image)")
    m = np.broadcast_to(m, (n, c, h, w))
    per_image = m.reshape(n, -1)
    if not per_image.any(axis=1).all():
        raise ApplicationError("the mask is empty: mark at least one pixel to fill")
    if per_image.all(axis=1).any():
        raise ApplicationError("the mask covers the whole image: leave some pixels visible")
    return m


def mean_fill(images: np.ndarray, mask: Any, reference: np.ndarray | None = None) -> np.ndarray:
    """Baseline: masked pixels set to a mean (float N x C x H x W in [0, 1]).

    Without `reference` the mean of each image's own known pixels (per channel); with
    reference images (uint8 M x C x H x W, e.g. the training set) their per-pixel mean.
    """
    x = np.asarray(images)
    if x.dtype != np.uint8 or x.ndim not in (3, 4):
        raise ApplicationError("images must be uint8 C x H x W or N x C x H x W")
    x = to_unit(x[None] if x.ndim == 3 else x)
    m = check_mask(mask, x.shape)
    if reference is None:
        fill = _known_mean(x, m)
    else:
        ref = np.asarray(reference)
        if ref.dtype != np.uint8 or ref.ndim != 4 or ref.shape[1:] != x.shape[1:] or not len(ref):
            raise ApplicationError(f"reference images must be uint8 M x {' x '.join(map(str, x.shape[1:]))}")
        fill = to_unit(ref).mean(axis=0, keepdims=True)
    return np.where(m, fill, x).astype(np.float32)


def _known_mean(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    known = ~m
    total = np.where(known, x, 0.0).sum(axis=(2, 3), keepdims=True)
    count = known.sum(axis=(2, 3), keepdims=True)
    # A channel with no known pixel (only possible with a per-channel mask) borrows 0.5.
    return np.where(count > 0, total / np.maximum(count, 1), 0.5).astype(np.float32)


def masked_mse(a: np.ndarray, b: np.ndarray, mask: Any) -> np.ndarray:
    """Mean squared error per image over the masked pixels only (0..1 scale)."""
    a = to_unit(a) if np.asarray(a).dtype == np.uint8 else np.asarray(a, dtype=np.float32)
    b = to_unit(b) if np.asarray(b).dtype == np.uint8 else np.asarray(b, dtype=np.float32)
    a, b = (v[None] if v.ndim == 3 else v for v in (a, b))
    if a.shape != b.shape:
        raise ApplicationError(f"cannot compare images of shapes {a.shape} and {b.shape}")
    m = check_mask(mask, a.shape)
    sq = np.where(m, (a.astype(np.float64) - b) ** 2, 0.0).reshape(len(a), -1).sum(axis=1)
    return sq / m.reshape(len(a), -1).sum(axis=1)


@dataclass
class InpaintResult:
    """`original` and `filled` are uint8 N x C x H x W (`filled_float` unrounded), `mask`
    the boolean N x C x H x W hole, `changes[t]` the mean absolute change of the hole's
    pixels at iteration t+1 (0..1 scale), `iterations` how many were run."""

    original: np.ndarray
    mask: np.ndarray
    filled: np.ndarray
    filled_float: np.ndarray
    changes: np.ndarray
    iterations: int

    def masked_input(self, hole_value: int = 128) -> np.ndarray:
        """The input as the model sees it at the start, the hole painted `hole_value`."""
        return np.where(self.mask, np.uint8(hole_value), self.original)

    def display_rows(self) -> list[np.ndarray]:
        """[original, masked input, filled] display images (for a 3-row picture)."""
        return [to_display(to_unit(a)) for a in (self.original, self.masked_input(), self.filled)]


def inpaint(model: Any, images: np.ndarray, mask: Any, *, steps: int = 10, init: Init = "mean",
            tol: float = 0.0, labels: np.ndarray | None = None) -> InpaintResult:
    """Fill the `mask`ed pixels (True = unknown) of uint8 `images` (N x C x H x W or one
    C x H x W) with `model`, iterating encode -> decode up to `steps` times with the
    known pixels reset after each step. Stops early when the hole changes by less than
    `tol` (mean absolute change, 0..1 scale). Returns an `InpaintResult`.
    """
    batch, _ = as_batch(model, images)
    m = check_mask(mask, batch.shape)
    if int(steps) != steps or not 1 <= steps <= MAX_STEPS:
        raise ApplicationError(f"steps must be a whole number in 1..{MAX_STEPS}, not {steps}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ApplicationError(f"tol must be a number >= 0, not {tol}")
    y = check_labels(model, labels, len(batch))
    known = to_unit(batch)
    if init == "mean":
        x = np.where(m, _known_mean(known, m), known)
    elif init == "zero":
        x = np.where(m, np.float32(0.0), known)
    else:
        raise ApplicationError(f"init must be mean or zero, not {init!r}")
    x = x.astype(np.float32)
    n_masked = m.sum()
    changes = []
    for _ in range(int(steps)):
        mu, _ = encode_posterior(model, x, labels=y)
        recon = decode_float(model, mu, labels=y, switch_images=x)  # max-unpool: x's switches
        new = np.where(m, recon, known)  # projection: known pixels stay exactly as given
        changes.append(float(np.abs(new - x)[m].sum() / n_masked))
        x = new
        if changes[-1] < tol:
            break
    return InpaintResult(original=batch, mask=np.ascontiguousarray(m), filled=to_uint8(x),
                         filled_float=x, changes=np.asarray(changes, dtype=np.float64),
                         iterations=len(changes))
