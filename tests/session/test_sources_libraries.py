"""Adapters for the libraries users of this field name: diffusers' AutoencoderKL (spatial
latents) and pythae model folders. Tiny randomly initialised models are built here; nothing
is downloaded. Each test skips, with the reason, when its optional extra is missing."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.inference import decode_float, encode, encode_posterior
from latent_atlas.explorer.session.opening import open_model, open_source


def _rgb16(n: int = 40) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 3, 16, 16), dtype=np.uint8)


def test_an_autoencoder_kl_object_has_spatial_latents_and_a_posterior():
    pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
    import torch

    from latent_atlas.models.sources.diffusers_vae import tiny_autoencoder_kl

    kl = tiny_autoencoder_kl()
    opened = open_source(kl, data=_rgb16())
    m = opened.model
    assert m.kind == "diffusers-vae" and m.variational
    assert m.code_shape == (4, 4, 4) and m.latent_dim == 64 and m.image_shape == (3, 16, 16)
    mu, logvar = encode_posterior(m, opened.data.images[:3])
    with torch.inference_mode():
        dist = kl.encode(torch.from_numpy(opened.data.images[:3]).float() / 127.5 - 1).latent_dist
    np.testing.assert_allclose(mu, dist.mean.flatten(1).numpy(), atol=1e-5)
    np.testing.assert_allclose(logvar, dist.logvar.flatten(1).numpy(), atol=1e-5)
    out = decode_float(m, mu)
    assert out.shape == (3, 3, 16, 16) and 0.0 <= out.min() and out.max() <= 1.0
    assert opened.latent_map.codes.shape == (40, 64)


def test_an_autoencoder_kl_folder_opens_from_safetensors_only(tmp_path):
    pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
    from latent_atlas.models.sources.diffusers_vae import tiny_autoencoder_kl

    kl = tiny_autoencoder_kl()
    kl.save_pretrained(tmp_path / "kl")
    images = _rgb16()
    np.savez(tmp_path / "rgb.npz", x=images)
    opened = open_model(tmp_path / "kl", data=f"npz:{tmp_path / 'rgb.npz'}")
    assert opened.model.kind == "diffusers-vae" and opened.name == "kl"
    again = open_source(kl, data=images)
    np.testing.assert_allclose(encode(opened.model, images[:4]), encode(again.model, images[:4]),
                               atol=1e-5)
    (tmp_path / "kl" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(ValueError, match="safetensors"):
        open_model(tmp_path / "kl", data=f"npz:{tmp_path / 'rgb.npz'}")


def _pythae_vae(custom: bool = False):
    pytest.importorskip("pythae", reason="the pythae extra is not installed")
    import torch
    from pythae.models import VAE, VAEConfig

    torch.manual_seed(0)
    cfg = VAEConfig(input_dim=(1, 8, 8), latent_dim=3)
    if not custom:
        return VAE(cfg)
    from pythae.models.nn.default_architectures import Decoder_AE_MLP, Encoder_VAE_MLP

    return VAE(cfg, encoder=Encoder_VAE_MLP(cfg), decoder=Decoder_AE_MLP(cfg))


def test_a_pythae_vae_object_and_its_folder_open_without_unpickling(tmp_path):
    model = _pythae_vae()
    opened = open_source(model, data="digits")
    assert opened.model.kind == "pythae-vae" and opened.model.latent_dim == 3
    model.save(str(tmp_path / "vae"))
    assert not any(p.suffix == ".pkl" for p in (tmp_path / "vae").iterdir())
    again = open_model(tmp_path / "vae", data="digits")
    assert again.model.kind == "pythae-vae"
    images = opened.data.images[:5]
    np.testing.assert_allclose(encode(again.model, images), encode(opened.model, images),
                               atol=1e-5)


def test_a_pythae_folder_with_pickled_networks_needs_consent(tmp_path):
    from latent_atlas.explorer.session.user_code import UserSource

    model = _pythae_vae(custom=True)
    model.save(str(tmp_path / "custom"))
    assert (tmp_path / "custom" / "encoder.pkl").is_file()
    with pytest.raises(ValueError, match="pickled.*--allow-pickle"):
        open_model(tmp_path / "custom", data="digits")
    opened = open_model(UserSource(str(tmp_path / "custom"), allow_pickle=True), data="digits")
    assert opened.model.kind == "pythae-vae"


def test_ci_installs_the_source_extras():
    """CI installs the extras (.ci/run, the README's test command), so the tests above run
    there instead of skipping."""
    import importlib.util
    import os

    if not os.environ.get("CI"):
        pytest.skip("not under CI: the onnx, diffusers and pythae extras are optional here")
    missing = [m for m in ("onnx", "onnxruntime", "diffusers", "pythae")
               if importlib.util.find_spec(m) is None]
    assert not missing, f"CI lacks {missing}: .ci/run must install the source extras"
