"""Codes to displayable 8-bit images, and the `Decoder` every view uses for live decoding.

The click path is inverse (sub-millisecond) + one small decoder pass (~0.25 ms) + the
uint8 conversion here, so everything on it avoids per-call allocation beyond the image.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .encode import check_images, encode_all

# Batches up to this size decode on one intra-op thread: a tiny decoder gains nothing from
# a second thread, and when the other core is busy (training, UMAP, another program) the
# pool waits for a descheduled worker, turning a 0.5 ms click into 100+ ms.
SINGLE_THREAD_MAX = 64


def to_display(images: Any) -> np.ndarray:
    """Float images N x C x H x W in [0, 1] (numpy or torch) -> uint8 N x H x W or N x H x W x 3.

    One-channel images lose the channel axis (what `ImageItem.setImage` and Pillow's "L"
    mode want); three-channel images become channels-last. Values outside [0, 1] clip.
    """
    if hasattr(images, "detach"):  # a torch tensor; no torch import needed here
        images = images.detach().cpu().numpy()
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(f"images must be N x C x H x W with 1 or 3 channels, not {arr.shape}")
    out = np.clip(arr * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
    if out.shape[1] == 1:
        return out[:, 0]
    return np.ascontiguousarray(out.transpose(0, 2, 3, 1))


def image_strip(images: np.ndarray, gap: int = 2, background: int = 255) -> np.ndarray:
    """Display images (N x H x W or N x H x W x 3) side by side in one uint8 image."""
    images = np.asarray(images, dtype=np.uint8)
    if images.ndim == 2:  # one gray image
        images = images[None]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"expected N x H x W or N x H x W x 3 images, not shape {images.shape}")
    n, h, w = images.shape[:3]
    extra = images.shape[3:]
    strip = np.full((h, n * w + max(0, n - 1) * gap, *extra), background, dtype=np.uint8)
    for i, img in enumerate(images):
        x = i * (w + gap)
        strip[:, x:x + w] = img
    return strip


class Decoder:
    """Decode codes (or map positions) of one model to uint8 display images.

    Single inputs give single images: `decode(z)` with z of shape (d,) returns H x W
    (or H x W x 3); a batch (M, d) returns M images.
    """

    def __init__(self, model: Any) -> None:
        import torch

        self.model = model
        self._torch = torch
        model.eval()
        try:
            self.device = next(model.parameters()).device
        except StopIteration:
            self.device = torch.device("cpu")

    @property
    def latent_dim(self) -> int:
        return int(self.model.latent_dim)

    def decode_float(self, codes: np.ndarray) -> np.ndarray:
        """Codes (M, d) -> float images M x C x H x W in [0, 1]."""
        torch = self._torch
        z = np.asarray(codes, dtype=np.float32)
        if z.ndim == 1:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"codes must have {self.latent_dim} values each, not shape "
                             f"{np.shape(codes)}")
        prev = torch.get_num_threads()
        single = len(z) <= SINGLE_THREAD_MAX and self.device.type == "cpu" and prev > 1
        if single:
            torch.set_num_threads(1)  # affects this thread only (and threads it starts)
        try:
            with torch.inference_mode():
                t = torch.from_numpy(np.ascontiguousarray(z))
                if self.device.type != "cpu":
                    t = t.to(self.device)
                return self.model.decode(t).float().cpu().numpy()
        finally:
            if single:
                torch.set_num_threads(prev)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Codes (d,) or (M, d) -> uint8 display image(s)."""
        single = np.ndim(codes) == 1
        out = to_display(self.decode_float(codes))
        return out[0] if single else out

    def decode_at(self, latent_map: Any, xy: np.ndarray) -> np.ndarray:
        """Map position(s) (2,) or (M, 2) -> uint8 display image(s) via the map's inverse."""
        return self.decode(latent_map.inverse(xy))

    def encode(self, images_uint8: np.ndarray) -> np.ndarray:
        """uint8 images N x C x H x W (or one C x H x W) -> mean codes N x d."""
        return encode_all(self.model, images_uint8)

    def reconstruct(self, images_uint8: np.ndarray) -> np.ndarray:
        """Encode then decode: uint8 images in, uint8 display images out (N of them)."""
        codes = self.encode(check_images(self.model, images_uint8))
        return to_display(self.decode_float(codes))
