import pytest
import torch

from latent_atlas.models.config import ConfigError, ModelConfig, default_hidden
from latent_atlas.models.losses import kl_divergence, loss_terms
from latent_atlas.models.networks import build_model


@pytest.mark.parametrize("kind", ["ae", "vae"])
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 64, 64), (3, 28, 20)])
@pytest.mark.parametrize("arch, upsample", [("mlp", "transpose"), ("conv", "transpose"),
                                            ("conv", "nearest"), ("conv", "bilinear")])
def test_shapes_for_every_arch_and_size(kind, arch, shape, upsample):
    cfg = ModelConfig(kind=kind, arch=arch, input_shape=shape, latent_dim=5,
                      hidden=default_hidden(arch, shape), upsample=upsample)
    model = build_model(cfg)
    x = torch.rand(3, *shape)
    mu, logvar = model.encode(x)
    assert mu.shape == (3, 5)
    assert (logvar is None) == (kind == "ae")
    if logvar is not None:
        assert logvar.shape == (3, 5)
    with torch.no_grad():
        y = model.decode(mu)
    assert y.shape == (3, *shape)
    assert float(y.min()) >= 0 and float(y.max()) <= 1
    out = model(x)
    terms = loss_terms(cfg, out, x)
    assert set(terms) == {"recon", "kl", "total"}
    assert torch.isfinite(terms["total"])


def test_ae_and_vae_share_the_backbone():
    base = dict(arch="conv", input_shape=(1, 28, 28), latent_dim=4, hidden=(8, 16))
    ae = build_model(ModelConfig(kind="ae", **base))
    vae = build_model(ModelConfig(kind="vae", **base))
    ae_keys = {k: v.shape for k, v in ae.state_dict().items()}
    vae_keys = {k: v.shape for k, v in vae.state_dict().items()}
    extra = set(vae_keys) - set(ae_keys)
    assert extra == {"logvar_head.weight", "logvar_head.bias"}
    assert all(vae_keys[k] == s for k, s in ae_keys.items())


def test_kl_matches_direct_computation():
    mu = torch.tensor([[0.5, -1.0]])
    logvar = torch.tensor([[0.0, -2.0]])
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    expected = torch.distributions.kl_divergence(q, p).sum()
    assert torch.allclose(kl_divergence(mu, logvar), expected)


def test_config_roundtrip_and_errors():
    cfg = ModelConfig(kind="ae", input_shape=(3, 32, 32), hidden=(8, 16, 32), latent_dim=2)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    d = cfg.to_dict()
    d["colour"] = "red"
    with pytest.raises(ConfigError, match="unknown config key.*colour"):
        ModelConfig.from_dict(d)
    d = cfg.to_dict()
    del d["latent_dim"]
    with pytest.raises(ConfigError, match="missing config key.*latent_dim"):
        ModelConfig.from_dict(d)
    with pytest.raises(ConfigError, match="kind must be one of"):
        ModelConfig(kind="gan")
    with pytest.raises(ConfigError, match="1 or 3 channels"):
        ModelConfig(input_shape=(2, 8, 8))
    with pytest.raises(ConfigError):
        ModelConfig.from_dict("not a dict")


def test_a_max_unpooling_block_without_switches_says_what_it_needs():
    """The block refuses on its own too (the decoder checks first, but a block can be
    called alone): the message names the switches, not an empty ValueError."""
    from latent_atlas.models.networks import _UpBlock

    block = _UpBlock(4, 2, (2, 2), (4, 4), "max-unpool")
    with pytest.raises(ValueError, match="max-pooling switches of an encoded image"):
        block(torch.zeros(1, 4, 2, 2))
