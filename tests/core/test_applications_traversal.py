"""Latent traversal: grid layout, sweep scale, per-dimension KL, KL ordering, labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from applications_fixtures import digits_split, trained, untrained

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    dims_by_kl,
    kl_per_dim,
    latent_traversal,
    traversal_for,
    traversal_scale,
)
from latent_atlas.explorer.core.inference import Decoder, encode
from latent_atlas.models.losses import kl_per_dimension


def test_grid_rows_sweep_one_dimension_around_the_code():
    model = untrained("ae", latent_dim=3)
    code = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    sigma = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    t = latent_traversal(model, code, sigma=sigma, steps=5, span=2.0)
    assert t.images.shape == (3, 5, 8, 8) and t.images.dtype == np.uint8
    np.testing.assert_allclose(t.offsets, [-2, -1, 0, 1, 2])
    np.testing.assert_allclose(t.values[1], -1.0 + np.array([-2, -1, 0, 1, 2]) * 2.0, rtol=1e-6)
    decoder = Decoder(model)
    # The middle column is the code itself, in every row (decoded in a batch of 15, so
    # uint8 may differ by one step from decoding it alone).
    for row in t.images:
        np.testing.assert_allclose(row[2].astype(int), decoder.decode(code).astype(int), atol=1)
    # Cell (row 2, step 0): only z2 moved, by -2 sigma.
    moved = code.copy()
    moved[2] -= 2.0 * 0.5
    np.testing.assert_allclose(t.images[2, 0].astype(int), decoder.decode(moved).astype(int), atol=1)
    assert t.row_titles() == ["z0", "z1", "z2"]


def test_scale_is_prior_for_vae_and_data_spread_for_ae():
    codes = np.random.default_rng(1).normal(size=(200, 3)).astype(np.float32) * [1.0, 3.0, 0.0]
    sigma, name = traversal_scale(untrained("vae"), codes)
    assert name == "prior" and sigma.tolist() == [1.0, 1.0, 1.0]
    sigma, name = traversal_scale(untrained("ae"), codes)
    assert name == "data"
    np.testing.assert_allclose(sigma[:2], codes[:, :2].std(axis=0), rtol=1e-5)
    # A dimension the data never moves still gets a visible sweep (mean of the others).
    assert sigma[2] == pytest.approx(sigma[:2].mean(), rel=1e-5)
    sigma, name = traversal_scale(untrained("vae"), codes, scale="data")
    assert name == "data"
    with pytest.raises(ApplicationError, match="needs the data's codes"):
        traversal_scale(untrained("ae"))


def test_kl_per_dim_is_the_batched_mean_of_kl_per_dimension():
    model = untrained("vae", latent_dim=3)
    images = np.random.default_rng(2).integers(0, 256, size=(37, 1, 8, 8), dtype=np.uint8)
    kl = kl_per_dim(model, images, batch_size=10)  # uneven batches must be weighted
    with torch.no_grad():
        mu, logvar = model.encode(torch.from_numpy(images).float() / 255)
        expected = kl_per_dimension(mu, logvar).numpy()
    np.testing.assert_allclose(kl, expected, rtol=1e-5, atol=1e-7)
    with pytest.raises(ApplicationError, match="not variational"):
        kl_per_dim(untrained("ae"), images)


def test_kl_order_puts_informative_dimensions_first_and_they_change_the_image_more():
    model = trained("vae")
    train, test = digits_split()
    t = traversal_for(model, encode(model, test.images[:1])[0], train.images, order="kl")
    assert t.scale == "prior" and t.kl is not None
    assert list(t.dims) == list(dims_by_kl(t.kl))
    assert np.all(np.diff(t.kl[t.dims]) <= 0)
    # Beta-VAE lesson: a dimension with KL ~ 0 is ignored by the decoder; an informative
    # one visibly changes the digit along its row.
    change = [np.abs(np.diff(row.astype(np.float64), axis=0)).mean() for row in t.images]
    assert t.kl[t.dims[0]] > 10 * t.kl[t.dims[-1]]
    assert change[0] > 3 * change[-1]


def test_ae_traversal_uses_data_spread_and_no_kl():
    model = trained("ae")
    train, test = digits_split()
    t = traversal_for(model, encode(model, test.images[:1])[0], train.images, dims=[4, 1])
    assert t.scale == "data" and t.kl is None
    assert list(t.dims) == [4, 1]
    np.testing.assert_allclose(t.sigma, encode(model, train.images).std(axis=0), rtol=1e-4)
    with pytest.raises(ApplicationError, match="needs the KL"):
        traversal_for(model, np.zeros(8), train.images, order="kl")


def test_cvae_decodes_the_same_traversal_under_different_labels():
    model = trained("cvae")
    z = np.zeros(8, dtype=np.float32)
    sigma = np.ones(8, dtype=np.float32)
    a = latent_traversal(model, z, sigma=sigma, dims=[0], steps=3, label=1)
    b = latent_traversal(model, z, sigma=sigma, dims=[0], steps=3, label=7)
    assert a.label == 1 and b.label == 7
    assert np.abs(a.images.astype(int) - b.images.astype(int)).mean() > 10
    with pytest.raises(ApplicationError, match="0..9"):
        latent_traversal(model, z, sigma=sigma, label=10)


@pytest.mark.parametrize("kwargs, words", [
    ({"code": np.zeros(4)}, "3 values"),
    ({"code": np.array([0.0, np.nan, 0.0])}, "finite"),
    ({"code": np.zeros((2, 3))}, "one code"),
    ({"steps": 1}, "steps"),
    ({"steps": 2.5}, "steps"),
    ({"span": 0}, "span"),
    ({"sigma": np.array([1.0, 0.0, 1.0])}, "positive"),
    ({"sigma": np.ones(2)}, "3 positive"),
    ({"dims": []}, "at least one"),
    ({"dims": [0, 0]}, "only once"),
    ({"dims": [3]}, "out of range"),
    ({"dims": [0.5]}, "whole numbers"),
    ({"kl": np.ones(2)}, "kl must have 3"),
    ({"order": "size"}, "order must be"),
])
def test_bad_traversal_input_is_a_readable_error(kwargs, words):
    args = {"code": np.zeros(3, np.float32), "sigma": np.ones(3, np.float32)}
    args.update(kwargs)
    code = args.pop("code")
    with pytest.raises(ApplicationError, match=words):
        latent_traversal(untrained("ae"), code, **args)
    with pytest.raises(ApplicationError, match="no model"):
        latent_traversal(None, code, sigma=np.ones(3))
