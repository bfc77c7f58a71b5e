"""Small models for the metric tests whose encoder and decoder are mirrored in numpy, so
every metric can be recomputed independently by brute force."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from latent_atlas.explorer.core.data import ImageSet
from latent_atlas.models.config import ModelConfig

SHAPE = (1, 8, 8)
N_PIX = 64


class LinearModel(nn.Module):
    """encode(x) = (x - 0.5) P; decode(z) = 0.5 + z Q, or sigmoid(gain * z Q) when `gain` is
    given (a curved decoder, so interpolation steps are uneven)."""

    def __init__(self, proj: np.ndarray, back: np.ndarray, kind: str = "vae",
                 gain: float | None = None):
        super().__init__()
        self.config = ModelConfig(kind=kind, input_shape=SHAPE, latent_dim=proj.shape[1], seed=0)
        self.proj = nn.Parameter(torch.from_numpy(np.asarray(proj, np.float64)))
        self.back = nn.Parameter(torch.from_numpy(np.asarray(back, np.float64)))
        self.gain = gain

    @property
    def latent_dim(self) -> int:
        return self.proj.shape[1]

    def encode(self, x, y=None):
        return ((x.double().flatten(1) - 0.5) @ self.proj).float(), None

    def decode(self, z):
        h = z.double() @ self.back
        out = 0.5 + h if self.gain is None else torch.sigmoid(self.gain * h)
        return out.float().view(-1, *SHAPE)

    # the same maps in numpy
    def np_encode(self, images_uint8: np.ndarray) -> np.ndarray:
        x = images_uint8.reshape(len(images_uint8), -1).astype(np.float64) / 255.0
        return ((x - 0.5) @ self.proj.detach().numpy()).astype(np.float32)

    def np_decode(self, z: np.ndarray) -> np.ndarray:
        h = np.asarray(z, np.float32).astype(np.float64) @ self.back.detach().numpy()
        out = 0.5 + h if self.gain is None else 1.0 / (1.0 + np.exp(-self.gain * h))
        return out.astype(np.float32)


def synthetic_data(n: int = 300, seed: int = 0) -> ImageSet:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(6, *SHAPE))
    imgs = np.clip(base[rng.integers(0, 6, n)] + rng.normal(0, 25, (n, *SHAPE)), 0, 255)
    return ImageSet(images=imgs.astype(np.uint8), spec="metric-test")


def pca_model(data: ImageSet, k: int, **kw) -> LinearModel:
    """k principal components of the data, codes scaled to unit variance."""
    x = data.images.reshape(len(data.images), -1) / 255.0 - 0.5
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    scale = s / np.sqrt(len(x))
    return LinearModel(vt[:k].T / scale[:k], vt[:k] * scale[:k, None], **kw)


def nearest_rms(images: np.ndarray, reference_uint8: np.ndarray) -> np.ndarray:
    """Brute-force RMS pixel distance of each float image to its nearest reference image."""
    ref = reference_uint8.reshape(len(reference_uint8), -1).astype(np.float64) / 255.0
    q = images.reshape(len(images), -1).astype(np.float64)
    d2 = ((q[:, None, :] - ref[None, :, :]) ** 2).mean(axis=2)
    return np.sqrt(d2.min(axis=1))
