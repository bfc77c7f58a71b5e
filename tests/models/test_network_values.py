"""The networks compute exactly the documented architecture.

A reference forward pass written here with torch.nn.functional on the model's own weights
(stride-2 3x3 convolutions with padding 1, LeakyReLU(0.2), transposed or resize+conv
up-blocks, a final 3x3 convolution) must give the model's outputs; labels of a conditional
VAE join as one-hot vectors; the discriminator and the parameter groups are as documented.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import _conv_sizes, build_model
from tests.fixture_scope import shared

SLOPE = 0.2


def _x(n: int, shape, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, *shape, generator=torch.Generator().manual_seed(seed))


def _ref_encode(sd: dict, cfg: ModelConfig, x: torch.Tensor, onehot=None):
    h = x
    if cfg.arch == "conv":
        for i in range(len(cfg.hidden)):
            h = F.leaky_relu(F.conv2d(h, sd[f"encoder.net.{2 * i}.weight"],
                                      sd[f"encoder.net.{2 * i}.bias"], stride=2, padding=1), SLOPE)
        h = h.flatten(1)
    else:
        h = h.flatten(1)
        for i in range(len(cfg.hidden)):
            h = F.leaky_relu(F.linear(h, sd[f"encoder.net.{1 + 2 * i}.weight"],
                                      sd[f"encoder.net.{1 + 2 * i}.bias"]), SLOPE)
    if onehot is not None:
        h = torch.cat([h, onehot], dim=1)
    mu = F.linear(h, sd["mu_head.weight"], sd["mu_head.bias"])
    logvar = (F.linear(h, sd["logvar_head.weight"], sd["logvar_head.bias"])
              if "logvar_head.weight" in sd else None)
    return mu, logvar


def _ref_decode_logits(sd: dict, cfg: ModelConfig, z: torch.Tensor, onehot=None):
    if onehot is not None:
        z = torch.cat([z, onehot], dim=1)
    c, h, w = cfg.input_shape
    if cfg.arch == "mlp":
        y = z
        for i in range(len(cfg.hidden)):
            y = F.leaky_relu(F.linear(y, sd[f"decoder.net.{2 * i}.weight"],
                                      sd[f"decoder.net.{2 * i}.bias"]), SLOPE)
        k = 2 * len(cfg.hidden)
        return F.linear(y, sd[f"decoder.net.{k}.weight"], sd[f"decoder.net.{k}.bias"]).view(-1, c, h, w)
    chans = list(reversed(cfg.hidden))
    hs = list(reversed(_conv_sizes(h, len(cfg.hidden))))
    ws = list(reversed(_conv_sizes(w, len(cfg.hidden))))
    y = F.leaky_relu(F.linear(z, sd["decoder.fc.0.weight"], sd["decoder.fc.0.bias"]), SLOPE)
    y = y.view(-1, chans[0], hs[0], ws[0])
    for i in range(len(chans)):
        size = (hs[i + 1], ws[i + 1])
        if cfg.upsample == "transpose":
            pad = (size[0] - (2 * hs[i] - 1), size[1] - (2 * ws[i] - 1))
            y = F.conv_transpose2d(y, sd[f"decoder.net.{2 * i}.up.weight"],
                                   sd[f"decoder.net.{2 * i}.up.bias"], stride=2, padding=1,
                                   output_padding=pad)
        else:
            y = F.interpolate(y, size=size, mode=cfg.upsample,
                              align_corners=False if cfg.upsample == "bilinear" else None)
            y = F.conv2d(y, sd[f"decoder.net.{2 * i}.conv.weight"],
                         sd[f"decoder.net.{2 * i}.conv.bias"], padding=1)
        y = F.leaky_relu(y, SLOPE)
    k = 2 * len(chans)
    return F.conv2d(y, sd[f"decoder.net.{k}.weight"], sd[f"decoder.net.{k}.bias"], padding=1)


def _expected_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter's shape, from the documented architecture."""
    c, h, w = cfg.input_shape
    out: dict[str, tuple[int, ...]] = {}
    cond = cfg.n_classes if cfg.kind == "cvae" else 0
    if cfg.arch == "conv":
        prev = c
        for i, ch in enumerate(cfg.hidden):
            out[f"encoder.net.{2 * i}.weight"] = (ch, prev, 3, 3)
            out[f"encoder.net.{2 * i}.bias"] = (ch,)
            prev = ch
        feats = prev * _conv_sizes(h, len(cfg.hidden))[-1] * _conv_sizes(w, len(cfg.hidden))[-1]
        chans = list(reversed(cfg.hidden))
        start = chans[0] * _conv_sizes(h, len(cfg.hidden))[-1] * _conv_sizes(w, len(cfg.hidden))[-1]
        out["decoder.fc.0.weight"] = (start, cfg.latent_dim + cond)
        out["decoder.fc.0.bias"] = (start,)
        outs = chans[1:] + [chans[-1]]
        for i, (cin, cout) in enumerate(zip(chans, outs, strict=True)):
            if cfg.upsample == "transpose":
                out[f"decoder.net.{2 * i}.up.weight"] = (cin, cout, 3, 3)
                out[f"decoder.net.{2 * i}.up.bias"] = (cout,)
            else:
                out[f"decoder.net.{2 * i}.conv.weight"] = (cout, cin, 3, 3)
                out[f"decoder.net.{2 * i}.conv.bias"] = (cout,)
        k = 2 * len(chans)
        out[f"decoder.net.{k}.weight"] = (c, outs[-1], 3, 3)
        out[f"decoder.net.{k}.bias"] = (c,)
    else:
        prev = c * h * w
        for i, width in enumerate(cfg.hidden):
            out[f"encoder.net.{1 + 2 * i}.weight"] = (width, prev)
            out[f"encoder.net.{1 + 2 * i}.bias"] = (width,)
            prev = width
        feats = prev
        prev = cfg.latent_dim + cond
        for i, width in enumerate(reversed(cfg.hidden)):
            out[f"decoder.net.{2 * i}.weight"] = (width, prev)
            out[f"decoder.net.{2 * i}.bias"] = (width,)
            prev = width
        k = 2 * len(cfg.hidden)
        out[f"decoder.net.{k}.weight"] = (c * h * w, prev)
        out[f"decoder.net.{k}.bias"] = (c * h * w,)
    out["mu_head.weight"] = (cfg.latent_dim, feats + cond)
    out["mu_head.bias"] = (cfg.latent_dim,)
    if cfg.kind in ("vae", "beta-vae", "cvae"):
        out["logvar_head.weight"] = (cfg.latent_dim, feats + cond)
        out["logvar_head.bias"] = (cfg.latent_dim,)
    if cfg.kind == "aae":
        for i, shape in ((0, (64, cfg.latent_dim)), (2, (64, 64)), (4, (1, 64))):
            out[f"discriminator.net.{i}.weight"] = shape
            out[f"discriminator.net.{i}.bias"] = (shape[0],)
    return out


CASES = [
    dict(kind="vae", arch="conv", input_shape=(1, 8, 8), hidden=(4, 6), upsample="transpose"),
    dict(kind="vae", arch="conv", input_shape=(3, 12, 10), hidden=(4, 6, 5), upsample="nearest"),
    dict(kind="ae", arch="conv", input_shape=(1, 9, 7), hidden=(3, 5), upsample="bilinear"),
    dict(kind="ae", arch="conv", input_shape=(1, 11, 11), hidden=(5, 3, 4), upsample="transpose"),
    dict(kind="vae", arch="conv", input_shape=(1, 6, 6), hidden=(4,), upsample="transpose"),
    dict(kind="vae", arch="mlp", input_shape=(1, 6, 5), hidden=(12, 7)),
    dict(kind="aae", arch="mlp", input_shape=(1, 4, 4), hidden=(9,)),
    dict(kind="cvae", arch="conv", input_shape=(1, 8, 8), hidden=(4, 6), n_classes=3),
    dict(kind="cvae", arch="mlp", input_shape=(1, 5, 5), hidden=(8,), n_classes=4),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}-{c['arch']}-{c.get('upsample', '')}")
def test_forward_matches_the_documented_architecture(case):
    cfg = ModelConfig(latent_dim=3, seed=5, **case)
    model = build_model(cfg).eval()
    sd = {k: v.detach() for k, v in model.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in sd.items()} == _expected_shapes(cfg)
    x = _x(3, cfg.input_shape)
    onehot = None
    y = None
    if cfg.kind == "cvae":
        y = torch.tensor([2, 0, 1])
        onehot = F.one_hot(y, cfg.n_classes).float()
    with torch.no_grad():
        mu, logvar = model.encode(x, y)
        ref_mu, ref_logvar = _ref_encode(sd, cfg, x, onehot)
        torch.testing.assert_close(mu, ref_mu, rtol=1e-5, atol=1e-6)
        assert (logvar is None) == (ref_logvar is None)
        if logvar is not None:
            torch.testing.assert_close(logvar, ref_logvar, rtol=1e-5, atol=1e-6)
        z = torch.randn(3, 3, generator=torch.Generator().manual_seed(1)) * 2
        logits = model.decode_logits(z, y)
        torch.testing.assert_close(logits, _ref_decode_logits(sd, cfg, z, onehot), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(model.decode(z, y), torch.sigmoid(logits))
        assert logits.shape == (3, *cfg.input_shape)
        out = model(x, y)
        torch.testing.assert_close(out["logits"], _ref_decode_logits(sd, cfg, ref_mu, onehot),
                                   rtol=1e-5, atol=1e-6)


def test_discriminator_is_a_two_hidden_layer_leaky_mlp():
    model = build_model(ModelConfig(kind="aae", arch="mlp", input_shape=(1, 4, 4), latent_dim=3,
                                    hidden=(8,), seed=2))
    sd = {k: v.detach() for k, v in model.discriminator.state_dict().items()}
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(0)) * 3
    h = F.leaky_relu(F.linear(z, sd["net.0.weight"], sd["net.0.bias"]), SLOPE)
    h = F.leaky_relu(F.linear(h, sd["net.2.weight"], sd["net.2.bias"]), SLOPE)
    ref = F.linear(h, sd["net.4.weight"], sd["net.4.bias"])[:, 0]
    with torch.no_grad():
        got = model.discriminator(z)
    assert got.shape == (5,)
    torch.testing.assert_close(got, ref)
    with torch.no_grad():
        assert model.discriminator(z[:1]).shape == (1,)


def test_only_the_adversarial_kind_has_a_discriminator_and_it_is_not_an_ae_parameter():
    base = dict(arch="mlp", input_shape=(1, 4, 4), latent_dim=2, hidden=(6,))
    aae = build_model(ModelConfig(kind="aae", **base))
    disc = {id(p) for p in aae.discriminator.parameters()}
    ae_params = aae.autoencoder_parameters()
    assert disc and not disc & {id(p) for p in ae_params}
    assert len(ae_params) + len(disc) == len(list(aae.parameters()))
    for kind in ("ae", "vae", "dae", "sae", "cae", "beta-vae"):
        m = build_model(ModelConfig(kind=kind, **base))
        assert m.discriminator is None
        assert [id(p) for p in m.autoencoder_parameters()] == [id(p) for p in m.parameters()]


def test_class_count_only_conditions_a_cvae():
    base = dict(arch="mlp", input_shape=(1, 4, 4), latent_dim=2, hidden=(6,), n_classes=3)
    for kind in ("ae", "vae"):
        m = build_model(ModelConfig(kind=kind, **base))
        assert m.n_cond == 0
        assert m.mu_head.in_features == 6
        with torch.no_grad():
            assert m.decode_logits(torch.zeros(2, 2)).shape == (2, 1, 4, 4)
    cvae = build_model(ModelConfig(kind="cvae", **base))
    assert cvae.n_cond == 3 and cvae.mu_head.in_features == 9


@pytest.fixture(scope=shared)
def cvae():
    return build_model(ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 5, 5), latent_dim=2,
                                   hidden=(8,), n_classes=3, seed=3)).eval()


def test_cvae_labels_default_to_zero_and_scalars_broadcast(cvae):
    x = _x(4, (1, 5, 5))
    z = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        zeros = torch.zeros(4, dtype=torch.long)
        torch.testing.assert_close(cvae.encode(x)[0], cvae.encode(x, zeros)[0])
        torch.testing.assert_close(cvae.decode_logits(z), cvae.decode_logits(z, zeros))
        twos = torch.full((4,), 2, dtype=torch.long)
        torch.testing.assert_close(cvae.encode(x, 2)[0], cvae.encode(x, twos)[0])
        torch.testing.assert_close(cvae.decode_logits(z, 2), cvae.decode_logits(z, twos))
        # the label matters, in both halves
        assert not torch.allclose(cvae.encode(x, 2)[0], cvae.encode(x)[0])
        assert not torch.allclose(cvae.decode_logits(z, 2), cvae.decode_logits(z))
        # forward passes the label to the encoder as well as the decoder
        out = cvae(x, twos)
        torch.testing.assert_close(out["mu"], cvae.encode(x, twos)[0])
        torch.testing.assert_close(out["logits"], cvae.decode_logits(out["mu"], twos))


@pytest.mark.parametrize("labels", [np.array([1, 0, 2, 1], np.int32), [1, 0, 2, 1],
                                    torch.tensor([1, 0, 2, 1], dtype=torch.int32)])
def test_cvae_accepts_labels_of_any_integer_type(cvae, labels):
    x = _x(4, (1, 5, 5))
    ref = torch.tensor([1, 0, 2, 1])
    with torch.no_grad():
        torch.testing.assert_close(cvae.encode(x, labels)[0], cvae.encode(x, ref)[0])


@pytest.mark.parametrize("bad", [3, -1, [0, 1, 3, 0]])
def test_cvae_label_out_of_range_names_the_range(cvae, bad):
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.2 for"):
        cvae.encode(_x(4, (1, 5, 5)), bad)


def test_conv_sizes_halve_rounding_up():
    assert _conv_sizes(28, 3) == [28, 14, 7, 4]
    assert _conv_sizes(9, 2) == [9, 5, 3]
    assert all(b == math.ceil(a / 2) for a, b in zip(_conv_sizes(64, 4)[:-1], _conv_sizes(64, 4)[1:], strict=True))
