"""The hole threshold of `compare_models` is pooled over every compared model.

Two linear models whose encoder and decoder are mirrored in numpy here let every distance
be recomputed independently by brute force: the threshold must be the percentile of all
models' held-out reconstruction distances together, not one model's, and not depend on
the order the models are given in.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explorer.core.data import ImageSet
from explorer.core.metrics import MetricSettings, compare_models
from explorer.core.progress import drain
from models.config import ModelConfig
from models.trainer import split_indices

SETTINGS = MetricSettings(n_prior=300, n_pairs=8, n_path=40, seed=2)
SHAPE = (1, 8, 8)
N_PIX = 64


class LinearModel(nn.Module):
    """encode(x) = (x - 0.5) P, decode(z) = 0.5 + z Q (a VAE, so its prior is N(0, I))."""

    def __init__(self, proj: np.ndarray, back: np.ndarray):
        super().__init__()
        self.config = ModelConfig(kind="vae", input_shape=SHAPE, latent_dim=proj.shape[1], seed=0)
        self.proj = nn.Parameter(torch.from_numpy(np.asarray(proj, np.float64)))
        self.back = nn.Parameter(torch.from_numpy(np.asarray(back, np.float64)))

    @property
    def latent_dim(self) -> int:
        return self.proj.shape[1]

    def encode(self, x, y=None):
        return ((x.double().flatten(1) - 0.5) @ self.proj).float(), None

    def decode(self, z):
        return (0.5 + z.double() @ self.back).float().view(-1, *SHAPE)

    # the same maps in numpy
    def np_encode(self, images_uint8: np.ndarray) -> np.ndarray:
        x = images_uint8.reshape(len(images_uint8), -1).astype(np.float64) / 255.0
        return ((x - 0.5) @ self.proj.detach().numpy()).astype(np.float32)

    def np_decode(self, z: np.ndarray) -> np.ndarray:
        return (0.5 + z.astype(np.float64) @ self.back.detach().numpy()).astype(np.float32)


def _data(n: int = 300, seed: int = 0) -> ImageSet:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(6, *SHAPE))
    imgs = np.clip(base[rng.integers(0, 6, n)] + rng.normal(0, 25, (n, *SHAPE)), 0, 255)
    return ImageSet(images=imgs.astype(np.uint8), spec="pooling-test")


def _models(data: ImageSet) -> dict[str, LinearModel]:
    """A PCA-like model with 4 components (scaled so its codes look N(0, 1)-ish) and a
    cruder one with 2: their reconstruction distances differ clearly."""
    x = data.images.reshape(len(data.images), -1) / 255.0 - 0.5
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    scale = s / np.sqrt(len(x))

    def pca(k: int) -> LinearModel:
        return LinearModel(vt[:k].T / scale[:k], vt[:k] * scale[:k, None])

    return {"good": pca(4), "poor": pca(2)}


def _nearest_rms(images: np.ndarray, reference_uint8: np.ndarray) -> np.ndarray:
    """Brute-force RMS pixel distance of each float image to its nearest reference image."""
    ref = reference_uint8.reshape(len(reference_uint8), -1).astype(np.float64) / 255.0
    q = images.reshape(len(images), -1).astype(np.float64)
    d2 = ((q[:, None, :] - ref[None, :, :]) ** 2).mean(axis=2)
    return np.sqrt(d2.min(axis=1))


def _independent(models: dict[str, LinearModel], data: ImageSet):
    held = split_indices(len(data.images), 0.1, 0)[1]  # every model has seed 0
    train = np.setdiff1d(np.arange(len(data.images)), held)
    recon_dist, prior_dist = {}, {}
    for name, m in models.items():
        recon = m.np_decode(m.np_encode(data.images[held]))
        recon_dist[name] = _nearest_rms(recon, data.images[train])
        z = np.random.default_rng(SETTINGS.seed).standard_normal((SETTINGS.n_prior, m.latent_dim))
        prior_dist[name] = _nearest_rms(m.np_decode(z.astype(np.float32)), data.images[train])
    return held, train, recon_dist, prior_dist


def test_hole_threshold_is_pooled_over_the_models():
    data = _data()
    models = _models(data)
    held, train, recon_dist, prior_dist = _independent(models, data)
    res = drain(compare_models(models, data, SETTINGS))
    assert res.n_held_out == len(held) and res.n_reference == len(train)

    pooled = float(np.percentile(np.concatenate(list(recon_dist.values())), 95))
    own = {name: float(np.percentile(d, 95)) for name, d in recon_dist.items()}
    # the two models really face different bars on their own
    assert abs(own["good"] - own["poor"]) > 0.02
    assert min(own.values()) < pooled < max(own.values())
    assert min(abs(pooled - v) for v in own.values()) > 0.003

    assert res.hole_threshold == pytest.approx(pooled, rel=1e-5)
    for m in res.models:
        assert m.hole_threshold == res.hole_threshold
        assert m.recon_p95 == pytest.approx(own[m.name], rel=1e-4)
        expected_holes = float((prior_dist[m.name] > res.hole_threshold).mean())
        assert m.hole_fraction == pytest.approx(expected_holes, abs=1.5 / SETTINGS.n_prior)
    fractions = [m.hole_fraction for m in res.models]
    assert 0.0 < min(fractions) and max(fractions) < 1.0  # the threshold matters here


def test_hole_threshold_does_not_depend_on_model_order():
    data = _data()
    models = _models(data)
    forward = drain(compare_models(models, data, SETTINGS))
    backward = drain(compare_models(dict(reversed(list(models.items()))), data, SETTINGS))
    assert backward.hole_threshold == pytest.approx(forward.hole_threshold, rel=1e-6)
    by_name = {m.name: m for m in backward.models}
    for m in forward.models:
        assert by_name[m.name].hole_fraction == pytest.approx(m.hole_fraction, abs=1e-9)


def test_one_model_alone_uses_its_own_percentile():
    data = _data()
    models = _models(data)
    _, _, recon_dist, _ = _independent(models, data)
    alone = drain(compare_models({"poor": models["poor"]}, data, SETTINGS))
    assert alone.hole_threshold == pytest.approx(float(np.percentile(recon_dist["poor"], 95)),
                                                 rel=1e-4)
