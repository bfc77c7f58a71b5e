"""Denoising: seeded noises, error numbers, and a denoising AE actually denoising."""

from __future__ import annotations

import numpy as np
import pytest
from applications_fixtures import digits_split, trained, untrained

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    add_noise,
    denoise,
    mse,
    psnr,
)
from latent_atlas.explorer.core.analysis.applications.common import to_unit
from latent_atlas.explorer.core.inference import decode_float, encode_posterior


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(30, 226, size=(20, 3, 16, 16), dtype=np.uint8)


@pytest.mark.parametrize("kind", ["gaussian", "masking", "salt-and-pepper"])
def test_noise_is_reproducible_with_a_seed(images, kind):
    a = add_noise(images, kind, 0.3, seed=5)
    assert a.dtype == np.uint8 and a.shape == images.shape
    np.testing.assert_array_equal(a, add_noise(images, kind, 0.3, seed=5))
    assert not np.array_equal(a, add_noise(images, kind, 0.3, seed=6))
    assert not np.array_equal(a, images)
    np.testing.assert_array_equal(add_noise(images, kind, 0.0, seed=5), images)


def test_masking_zeroes_whole_pixels_at_the_given_fraction(images):
    noisy = add_noise(images, "masking", 0.4, seed=1)
    changed = noisy != images
    assert np.all(noisy[changed] == 0)
    hit = (noisy == 0).all(axis=1)  # pixel positions zeroed in every channel
    # Every channel of a hit pixel is zeroed together (one decision per position).
    assert np.array_equal(changed.any(axis=1), hit & changed.any(axis=1))
    assert hit.mean() == pytest.approx(0.4, abs=0.03)


def test_salt_and_pepper_sets_black_or_white(images):
    noisy = add_noise(images, "salt-and-pepper", 0.2, seed=2)
    changed = (noisy != images).any(axis=1)
    vals = noisy.transpose(0, 2, 3, 1)[changed]
    assert set(np.unique(vals)) <= {0, 255}
    assert changed.mean() == pytest.approx(0.2, abs=0.03)
    assert 0.3 < (vals == 255).mean() < 0.7


def test_gaussian_noise_has_the_given_sigma():
    flat = np.full((50, 1, 16, 16), 128, dtype=np.uint8)
    noisy = add_noise(flat, "gaussian", 0.1, seed=3)
    assert (noisy.astype(float) / 255 - 128 / 255).std() == pytest.approx(0.1, rel=0.05)


def test_mse_and_psnr_match_the_formulas():
    a = np.zeros((2, 1, 4, 4), np.uint8)
    b = a.copy()
    b[0, 0, 0, 0] = 255  # one of 16 pixels off by 1.0
    np.testing.assert_allclose(mse(a, b), [1 / 16, 0.0])
    p = psnr(a, b)
    assert p[0] == pytest.approx(10 * np.log10(16))
    assert p[1] == np.inf
    with pytest.raises(ApplicationError, match="shapes"):
        mse(a, b[:, :, :2])


def test_denoise_returns_images_and_consistent_error_numbers():
    model = untrained("ae")
    images = np.random.default_rng(4).integers(0, 256, size=(6, 1, 8, 8), dtype=np.uint8)
    model.train()
    r = denoise(model, images, "masking", 0.3, seed=9, batch_size=4)
    assert model.training  # restored
    model.eval()
    np.testing.assert_array_equal(r.clean, images)
    np.testing.assert_array_equal(r.noisy, add_noise(images, "masking", 0.3, seed=9))
    recon = decode_float(model, encode_posterior(model, to_unit(r.noisy))[0])
    np.testing.assert_allclose(r.recon_mse, mse(recon, images), rtol=1e-6)
    np.testing.assert_allclose(r.noisy_mse, mse(r.noisy, images))
    assert r.reconstruction.shape == images.shape and r.reconstruction.dtype == np.uint8
    s = r.summary()
    assert s["recon_psnr"] == pytest.approx(10 * np.log10(1 / r.recon_mse.mean()))
    rows = r.display_rows()
    assert len(rows) == 3 and rows[0].shape == (6, 8, 8)
    one = denoise(model, images[0], "gaussian", 0.2)  # one C x H x W image works too
    assert one.clean.shape == (1, 1, 8, 8)


def test_a_denoising_autoencoder_removes_masking_noise():
    model = trained("dae", noise="masking", noise_level=0.3)
    _, test = digits_split()
    r = denoise(model, test.images, "masking", 0.3, seed=0)
    s = r.summary()
    assert s["recon_mse"] < 0.6 * s["noisy_mse"]
    assert s["recon_psnr"] > s["noisy_psnr"] + 2
    assert (r.recon_mse < r.noisy_mse).mean() > 0.8


def test_cvae_denoises_with_labels():
    model = trained("cvae")
    _, test = digits_split()
    r = denoise(model, test.images[:10], "gaussian", 0.2, labels=test.labels[:10])
    assert r.recon_mse.shape == (10,)
    with pytest.raises(ApplicationError, match="0..9"):
        denoise(model, test.images[:2], "gaussian", 0.2, labels=[1, 12])


@pytest.mark.parametrize("args, words", [
    (("speckle", 0.1), "noise must be one of"),
    (("masking", 1.5), "fraction of pixels"),
    (("gaussian", -0.1), "sigma"),
    (("gaussian", "lots"), "must be a number"),
])
def test_bad_noise_is_a_readable_error(args, words):
    images = np.zeros((2, 1, 8, 8), np.uint8)
    with pytest.raises(ApplicationError, match=words):
        denoise(untrained("ae"), images, *args)


def test_bad_images_are_a_readable_error():
    with pytest.raises(ApplicationError, match="uint8"):
        add_noise(np.zeros((2, 1, 8, 8), np.float32), "gaussian", 0.1)
    with pytest.raises(ApplicationError, match="expects 8x8"):
        denoise(untrained("ae"), np.zeros((2, 1, 9, 9), np.uint8))
    with pytest.raises(ApplicationError, match="no images"):
        denoise(untrained("ae"), np.zeros((0, 1, 8, 8), np.uint8))
