"""Encoding image sets to mean codes, and the decoder's display conversion."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from latent_atlas.explorer.core.inference import (
    Decoder,
    EncodeProgress,
    encode,
    encode_iter,
    to_display,
)
from latent_atlas.explorer.core.io.images import image_strip
from latent_atlas.explorer.core.progress import Cancelled, drain
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model
from tests.fixture_scope import shared


@pytest.fixture(scope=shared)
def model():
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 8, 8), latent_dim=3, hidden=(8, 16))
    return build_model(cfg).eval()


@pytest.fixture(scope=shared)
def images():
    return np.random.default_rng(0).integers(0, 256, size=(50, 1, 8, 8), dtype=np.uint8)


def test_encode_yields_progress_and_returns_mean_codes(model, images):
    events = []
    codes = drain(encode_iter(model, images, batch_size=16), events.append)
    assert codes.shape == (50, 3) and codes.dtype == np.float32
    assert events[0] == EncodeProgress(0, 50)
    assert [e.done for e in events] == [0, 16, 32, 48, 50]
    assert events[-1].fraction == 1.0
    with torch.no_grad():
        mu, logvar = model.encode(torch.from_numpy(images).float() / 255)
    assert logvar is not None  # a VAE: the map must use mu, not a sample
    np.testing.assert_allclose(codes, mu.numpy(), rtol=1e-5, atol=1e-6)
    # deterministic up to float rounding: one batch of 50 gives the same codes as batches
    # of 16 (a different batch size may take another GEMM path: ~1e-8 apart on some CPUs)
    np.testing.assert_allclose(codes, encode(model, images), rtol=1e-5, atol=1e-6)


def test_encode_restores_training_mode(model, images):
    model.train()
    try:
        encode(model, images[:4])
        assert model.training
    finally:
        model.eval()


def test_encode_cancel_with_event_and_callable(model, images):
    ev = threading.Event()
    gen = encode_iter(model, images, batch_size=10, cancel=ev)
    next(gen)
    next(gen)
    ev.set()
    with pytest.raises(Cancelled):
        drain(gen)
    with pytest.raises(Cancelled):
        drain(encode_iter(model, images, batch_size=10, cancel=lambda: True))


@pytest.mark.parametrize("bad, words", [
    (np.zeros((2, 1, 9, 9), np.uint8), "expects 8x8"),
    (np.zeros((2, 3, 8, 8), np.uint8), "channel"),
    (np.zeros((2, 1, 8, 8), np.float32), "uint8"),
    (np.zeros((8, 8), np.uint8), "N x C x H x W"),
])
def test_encode_rejects_bad_images_readably(model, bad, words):
    with pytest.raises(ValueError, match=words):
        encode(model, bad)


def test_to_display_gray_and_colour():
    gray = np.array([[[[0.0, 0.5], [1.0, 2.0]]]], dtype=np.float32)  # 1 x 1 x 2 x 2
    out = to_display(gray)
    assert out.shape == (1, 2, 2) and out.dtype == np.uint8
    assert out.tolist() == [[[0, 128], [255, 255]]]
    rgb = torch.rand(2, 3, 4, 5)
    out = to_display(rgb)
    assert out.shape == (2, 4, 5, 3)
    np.testing.assert_array_equal(out[1, 2, 3], np.round(rgb[1, :, 2, 3].numpy() * 255))
    with pytest.raises(ValueError):
        to_display(np.zeros((1, 2, 4, 4)))


def test_decoder_single_batch_and_reconstruct(model, images):
    dec = Decoder(model)
    z = np.zeros(3, np.float32)
    one = dec.decode(z)
    assert one.shape == (8, 8) and one.dtype == np.uint8
    batch = dec.decode(np.stack([z, z + 1]))
    assert batch.shape == (2, 8, 8)
    # uint8 of a batch of 2 and of a batch of 1 (another GEMM path): at most 1 apart
    np.testing.assert_allclose(batch[0].astype(int), one.astype(int), atol=1)
    with torch.no_grad():
        ref = to_display(model.decode(torch.from_numpy(np.stack([z, z + 1]))))
    np.testing.assert_allclose(batch.astype(int), ref.astype(int), atol=1)  # another thread count
    rec = dec.reconstruct(images[:5])
    assert rec.shape == (5, 8, 8)
    np.testing.assert_array_equal(rec, dec.decode(dec.encode(images[:5])))
    with pytest.raises(ValueError, match="3 values"):
        dec.decode(np.zeros(4))


def test_decoder_restores_torch_threads(model):
    before = torch.get_num_threads()
    dec = Decoder(model)
    dec.decode(np.zeros((3, 3), np.float32))     # small batch: one thread, then restored
    dec.decode(np.zeros((100, 3), np.float32))   # large batch: the pool as configured
    assert torch.get_num_threads() == before


def test_image_strip_layout():
    imgs = np.stack([np.full((3, 2), i, np.uint8) for i in range(3)])
    strip = image_strip(imgs, gap=1, background=9)
    assert strip.shape == (3, 3 * 2 + 2)
    assert strip[0].tolist() == [0, 0, 9, 1, 1, 9, 2, 2]
    assert image_strip(np.zeros((2, 4, 4, 3), np.uint8)).shape == (4, 10, 3)


def test_conditional_model_encodes_each_image_under_its_label(digits):
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    model = build_model(ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 8, 8), latent_dim=3,
                                    hidden=(16,), n_classes=10))
    imgs, labels = digits.images[:50], digits.labels[:50]
    with_labels = encode(model, imgs, labels=labels)
    default = encode(model, imgs)
    assert not np.allclose(with_labels, default)
    import torch

    with torch.inference_mode():
        direct = model.encode(torch.as_tensor(imgs).float() / 255, torch.as_tensor(labels))[0]
    assert np.allclose(with_labels, direct.numpy(), atol=1e-6)
