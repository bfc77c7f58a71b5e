"""The one inference runner gives a max-unpooling decoder its switches: a reconstruction
uses the image's own, any other code those of the nearest encoded data sample; without
data it refuses with a readable message instead of inventing switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.explorer.core.inference import (
    Decoder,
    SwitchReference,
    decode_float,
    encode,
    reconstruct_float,
    set_switch_reference,
    switch_reference,
    switch_sources,
)
from latent_atlas.explorer.core.switches import NO_REFERENCE
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model


def _model(upsample: str = "max-unpool", downsample: str = "max"):
    cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, 8, 8), hidden=(4, 6),
                      latent_dim=3, upsample=upsample, downsample=downsample, seed=2)
    return build_model(cfg).eval()


@pytest.fixture()
def images(digits):
    return digits.images[:150]


def test_without_data_a_max_unpool_model_refuses_to_decode_a_code(images):
    model = _model()
    z = encode(model, images[:2])
    assert switch_reference(model) is None
    with pytest.raises(ValueError, match="cannot decode a code on its own"):
        decode_float(model, z)
    decoder = Decoder(model)
    assert decoder.needs_switches and not decoder.decodes_codes
    with pytest.raises(ValueError, match="max-unpooling"):
        decoder.decode(z[0])
    assert "load the data" in NO_REFERENCE


def test_a_code_decodes_with_the_switches_of_the_nearest_sample(images):
    model = _model()
    ref = set_switch_reference(model, images)
    assert ref is switch_reference(model) and len(ref) == len(images)
    codes = ref.codes
    rng = np.random.default_rng(0)
    # Arbitrary codes: midpoints of random pairs, plus noise.
    pairs = rng.choice(len(images), size=(20, 2))
    z = ((codes[pairs[:, 0]] + codes[pairs[:, 1]]) / 2
         + rng.normal(0, 0.01, (20, codes.shape[1]))).astype(np.float32)
    brute = np.argmin(((z[:, None, :] - codes[None]) ** 2).sum(-1), axis=1)
    sources = switch_sources(model, z)
    assert np.array_equal(sources, brute)
    assert np.array_equal(Decoder(model).switch_sources(z), brute)
    got = decode_float(model, z)
    want = decode_float(model, z, switch_images=images[brute])
    np.testing.assert_allclose(got, want, atol=1e-6)
    # The switches matter: another sample's switches give another image.
    other = decode_float(model, z, switch_images=images[(brute + 1) % len(images)])
    assert np.abs(got - other).max() > 1e-3
    # The click path (Decoder) goes through the same lookup.
    np.testing.assert_allclose(Decoder(model).decode_float(z), got, atol=1e-6)


def test_an_explicit_reference_wins_over_the_attached_one(images):
    model = _model()
    set_switch_reference(model, images[:100])
    sub = SwitchReference(images[100:], encode(model, images[100:]))
    z = encode(model, images[120:125])
    assert np.array_equal(switch_sources(model, z, reference=sub), np.arange(20, 25))
    np.testing.assert_allclose(decode_float(model, z, reference=sub),
                               decode_float(model, z, switch_images=images[120:125]), atol=1e-6)


def test_reconstruction_uses_each_images_own_switches(images):
    model = _model()
    # No reference attached: a reconstruction needs none.
    recon = reconstruct_float(model, images[:10])
    x = torch.from_numpy(images[:10]).float() / 255
    with torch.no_grad():
        want = torch.sigmoid(model(x)["logits"]).numpy()
    np.testing.assert_allclose(recon, want, atol=1e-5)
    np.testing.assert_allclose(Decoder(model).reconstruct(images[:10]).astype(np.float32),
                               np.clip(want[:, 0] * 255 + 0.5, 0, 255).astype(np.uint8),
                               atol=1)


def test_other_models_need_no_switches(images):
    model = _model("nearest", "stride")
    assert set_switch_reference(model, images) is None
    assert switch_sources(model, encode(model, images[:3])) is None
    assert Decoder(model).decodes_codes and not Decoder(model).needs_switches
    z = encode(model, images[:3])
    np.testing.assert_allclose(decode_float(model, z), reconstruct_float(model, images[:3]),
                               atol=1e-6)


def test_a_reference_must_be_row_aligned(images):
    model = _model()
    with pytest.raises(ValueError, match="10 images but 5 codes"):
        SwitchReference(images[:10], np.zeros((5, 3), np.float32))
    with pytest.raises(ValueError, match="switch images"):
        decode_float(model, np.zeros((4, 3), np.float32), switch_images=images[:3])
