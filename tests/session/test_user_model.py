"""Models Latent Atlas did not build, opened in Python (`open_source`) behind the model
contract: a plain nn.Module, an (encoder, decoder) pair, spatial latents, numpy data,
`--python` factories, and the bad models of issue 21, each one sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.explorer.core.inference import Decoder, decode_float, encode, encode_posterior
from latent_atlas.explorer.session.opening import open_model, open_source
from latent_atlas.explorer.session.user_code import PythonFactory, UserSource
from latent_atlas.models.contract import Capabilities, LatentModel
from latent_atlas.models.sources import BadModelError
from tests import user_models as um

USER_FILE = um.__file__


def test_a_plain_vae_speaks_the_contract():
    opened = open_source(um.make_vae()["model"], data="digits", name="mine")
    m = opened.model
    assert isinstance(m, LatentModel)
    assert (m.image_shape, m.code_shape, m.latent_dim) == ((1, 8, 8), (4,), 4)
    assert m.variational and m.kind == "user-vae" and m.n_cond == 0
    assert m.capabilities == Capabilities(log_variance=True, prior=True)
    assert opened.name == "mine" and opened.data.spec == "digits"
    assert opened.meta["data_spec"] == "digits" and opened.config is None
    mu, logvar = encode_posterior(m, opened.data.images[:5])
    raw_mu, raw_lv = um.make_vae()["model"].encode(torch.from_numpy(
        opened.data.images[:5]).float() / 255)
    np.testing.assert_allclose(mu, raw_mu.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(logvar, raw_lv.detach().numpy(), atol=1e-6)


def test_an_encoder_decoder_pair_and_an_ae_module_decode_the_same():
    ae = um.make_ae()
    by_module = open_source(ae, data="digits").model
    by_pair = open_source((ae.encoder, ae.decoder), data="digits").model
    assert not by_module.variational and by_module.kind == "user-ae"
    assert "not variational" in by_module.capabilities.why_not("log_variance", "mine")
    images = open_source(ae, data="digits").data.images[:7]
    z = encode(by_module, images)
    np.testing.assert_allclose(decode_float(by_module, z), decode_float(by_pair, z), atol=1e-6)
    with torch.inference_mode():
        direct = ae(torch.from_numpy(images).float() / 255).numpy()
    np.testing.assert_allclose(Decoder(by_pair).decode_float(z), direct, atol=1e-5)


def test_spatial_latents_are_flat_for_the_map_and_restored_for_decoding():
    opened = open_source(um.make_spatial(), data="digits")
    m = opened.model
    assert m.code_shape == (2, 4, 4) and m.latent_dim == 32
    z = encode(m, opened.data.images[:3])
    assert z.shape == (3, 32)
    assert decode_float(m, z).shape == (3, 1, 8, 8)
    assert opened.latent_map is not None and opened.latent_map.codes.shape[1] == 32


def test_numpy_images_are_data_too():
    rng = np.random.default_rng(0)
    images = rng.random((20, 8, 8)).astype(np.float32)  # N x H x W floats in [0, 1]
    opened = open_source(um.make_ae(), data=images)
    assert opened.data.images.shape == (20, 1, 8, 8) and opened.data.images.dtype == np.uint8
    assert opened.latent_map.n_points == 20


def test_logits_are_refused_then_read_through_a_sigmoid():
    with pytest.raises(BadModelError, match=r"outside \[0, 1\].*logits"):
        open_source(um.make_logits(), data="digits")
    opened = open_source(um.make_logits(), data="digits", output="logits")
    out = decode_float(opened.model, np.zeros((2, 4), np.float32))
    assert 0.0 <= out.min() and out.max() <= 1.0


@pytest.mark.parametrize(("factory", "words"), [
    (um.make_wrong_shape, "1 x 8 x 8 images"),
    (um.make_misfit, "does not take the encoder's codes"),
    (um.make_nan, "NaN or infinite pixels"),
])
def test_a_bad_model_is_one_sentence(factory, words):
    with pytest.raises(BadModelError, match=words) as info:
        open_source(factory(), data="digits")
    assert "\n" not in str(info.value)


def test_what_is_not_an_autoencoder_says_what_is_wanted():
    with pytest.raises(BadModelError, match="encode\\(x\\) and decode\\(z\\)"):
        open_source(object(), data="digits")


def test_data_of_another_shape_and_no_data_are_refused():
    with pytest.raises(ValueError, match="encoder fails on 16 image.* 1 x 32 x 32.*trained on"):
        open_source(um.make_ae(), data="shapes:16")
    with pytest.raises(ValueError, match="takes 8x8x1"):
        open_source(um.make_ae(), data="shapes:16", image_shape=(1, 8, 8))
    with pytest.raises(ValueError, match="give the data to map.*--data SPEC"):
        open_source(um.make_ae())


def test_a_slow_decoder_gets_a_notice_not_an_error():
    # The decoder sleeps 150 ms a call, so it is slower than the 100 ms bound whatever the
    # machine: this asserts the notice, not a time.
    opened = open_source(um.make_slow(), data="digits?limit=40")
    assert any("decodes one image in" in n for n in opened.notes)


def test_python_factories_run_only_when_named():
    opened = open_model(UserSource(PythonFactory(f"{USER_FILE}:make_vae")))
    assert opened.name == "my-vae" and opened.model.variational and opened.data.spec == "digits"
    by_module = open_source(PythonFactory("tests.user_models:make_pair"), data="digits")
    assert by_module.name == "make_pair" and by_module.model.latent_dim == 4
    with pytest.raises(ValueError, match="make_raises raised RuntimeError: the checkpoint is "
                                         r"missing \(line \d+ of user_models.py\)"):
        open_source(PythonFactory(f"{USER_FILE}:make_raises"), data="digits")
    with pytest.raises(ValueError, match="has no 'nope'"):
        open_source(PythonFactory(f"{USER_FILE}:nope"), data="digits")
    with pytest.raises(ValueError, match="no such Python file"):
        open_source(PythonFactory("missing_file.py:make"), data="digits")
    with pytest.raises(ValueError, match="FILE.py:FACTORY"):
        PythonFactory("no-colon")


def test_a_string_is_a_path_never_code(tmp_path):
    # A path that looks like a factory is opened as a (missing) model file, never run.
    with pytest.raises(Exception, match="no such|not exist|No such"):
        open_model(f"{USER_FILE}:make_vae")


def test_our_own_model_is_its_own_contract():
    opened = open_model("resources/models/digits_vae.safetensors")
    m = opened.model
    assert isinstance(m, LatentModel) and m.capabilities.trainable and m.capabilities.saveable
    again = open_source(m, data="digits")
    assert again.model is m and not again.notes
