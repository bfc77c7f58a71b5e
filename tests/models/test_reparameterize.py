"""The reparameterisation trick and where its sample goes.

z = mu + eps * exp(logvar / 2), eps ~ N(0, I), in training only; in eval mode z is the
mean exactly, and the decoder always decodes z (not mu), so a VAE is not an AE with a KL
penalty.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model

LOGVAR = torch.tensor([-1.5, 0.0, 1.2])


def _vae(kind: str = "vae", arch: str = "mlp", **kw):
    cfg = ModelConfig(kind=kind, arch=arch, input_shape=(1, 8, 8), latent_dim=3,
                      hidden=(16,) if arch == "mlp" else (4, 8), seed=2, **kw)
    return build_model(cfg)


def _images(n: int = 5, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_sample_variance_is_exp_logvar_and_mean_is_mu():
    model = _vae().train()
    n = 40_000
    mu = torch.tensor([0.5, -2.0, 1.0]).expand(n, 3)
    torch.manual_seed(0)
    with torch.no_grad():
        z = model.reparameterize(mu, LOGVAR.expand(n, 3)).double().numpy()
    # standard errors: mean sqrt(var / n), variance var * sqrt(2 / n) (< 1 %)
    np.testing.assert_allclose(z.mean(axis=0), [0.5, -2.0, 1.0], atol=0.03)
    np.testing.assert_allclose(z.var(axis=0), np.exp(LOGVAR.double().numpy()), rtol=0.05)


def test_sample_is_mu_plus_seeded_noise_times_std():
    model = _vae().train()
    g = torch.Generator().manual_seed(3)
    mu = torch.randn(4, 3, generator=g)
    logvar = torch.randn(4, 3, generator=g)
    torch.manual_seed(11)
    eps = torch.randn(4, 3)
    torch.manual_seed(11)
    z = model.reparameterize(mu, logvar)
    expected = mu.double().numpy() + eps.double().numpy() * np.exp(0.5 * logvar.double().numpy())
    np.testing.assert_allclose(z.detach().double().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_noise_reaches_logvar_through_the_gradient():
    model = _vae().train()
    mu = torch.zeros(5, 3, requires_grad=True)
    logvar = LOGVAR.repeat(5, 1).requires_grad_(True)
    torch.manual_seed(5)
    eps = torch.randn(5, 3)
    torch.manual_seed(5)
    model.reparameterize(mu, logvar).sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), 1.0)
    expected = (0.5 * eps * torch.exp(0.5 * LOGVAR)).numpy()
    np.testing.assert_allclose(logvar.grad.numpy(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_eval_mode_uses_the_mean_exactly(arch):
    model = _vae(arch=arch).eval()
    x = _images()
    mu, logvar = model.encode(x)
    assert logvar is not None
    assert torch.equal(model.reparameterize(mu, logvar), mu)
    torch.manual_seed(0)
    a = model(x)
    torch.manual_seed(1)
    b = model(x)
    assert torch.equal(a["z"], a["mu"])
    assert torch.equal(a["logits"], b["logits"])  # no noise: the seed does not matter
    with torch.no_grad():
        assert torch.equal(a["logits"], model.decode_logits(a["mu"]))


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_train_mode_decodes_the_noisy_sample(arch):
    model = _vae(arch=arch).train()
    x = _images()
    torch.manual_seed(0)
    a = model(x)
    torch.manual_seed(1)
    b = model(x)
    torch.manual_seed(0)
    again = model(x)
    assert torch.equal(a["mu"], b["mu"])  # the encoder is deterministic
    assert not torch.allclose(a["z"], a["mu"], atol=1e-3)
    assert not torch.allclose(a["logits"], b["logits"], atol=1e-4)  # logits depend on the noise
    assert torch.equal(a["logits"], again["logits"])  # and only on it
    with torch.no_grad():
        np.testing.assert_allclose(a["logits"].detach().numpy(),
                                   model.decode_logits(a["z"]).numpy(), rtol=1e-5, atol=1e-6)
        assert not torch.allclose(a["logits"], model.decode_logits(a["mu"]), atol=1e-4)


def test_cvae_train_mode_also_decodes_the_sample():
    model = _vae("cvae", n_classes=3).train()
    x, y = _images(), torch.tensor([0, 1, 2, 1, 0])
    torch.manual_seed(0)
    a = model(x, y)
    with torch.no_grad():
        np.testing.assert_allclose(a["logits"].detach().numpy(),
                                   model.decode_logits(a["z"], y).numpy(), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(a["z"], a["mu"], atol=1e-3)


@pytest.mark.parametrize("kind", ["ae", "dae", "sae", "aae"])
def test_deterministic_kinds_never_sample(kind):
    model = _vae(kind).train()
    x = _images()
    torch.manual_seed(0)
    a = model(x)
    torch.manual_seed(1)
    b = model(x)
    assert a["logvar"] is None
    assert torch.equal(a["z"], a["mu"])
    assert torch.equal(a["logits"], b["logits"])
