"""Upsampling (transpose, nearest, bilinear, bed of nails, max-unpool) and downsampling
(stride, max, avg) choices of the conv backbone: the layers put values where the course
says, every allowed combination trains and round-trips, max-unpool without max pooling is
refused, and files without the new fields load with the old defaults."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.models.config import (
    DOWNSAMPLE_CHOICES,
    UPSAMPLE_CHOICES,
    ConfigError,
    ModelConfig,
    parameter_count,
)
from latent_atlas.models.networks import BedOfNails, ConvDecoder, _UpBlock, build_model

COMBOS = [(up, down) for up in UPSAMPLE_CHOICES for down in DOWNSAMPLE_CHOICES
          if up != "max-unpool" or down == "max"]


def test_the_choices_are_the_documented_ones():
    assert set(UPSAMPLE_CHOICES) == {"transpose", "nearest", "bilinear", "bed-of-nails", "max-unpool"}
    assert set(DOWNSAMPLE_CHOICES) == {"stride", "max", "avg"}
    assert len(COMBOS) == 13


def test_bed_of_nails_puts_each_value_top_left_of_its_block_and_zeros_elsewhere():
    x = torch.arange(1.0, 7.0).view(1, 1, 2, 3)  # [[1, 2, 3], [4, 5, 6]]
    out = BedOfNails((4, 6))(x)
    expected = torch.tensor([[1, 0, 2, 0, 3, 0],
                             [0, 0, 0, 0, 0, 0],
                             [4, 0, 5, 0, 6, 0],
                             [0, 0, 0, 0, 0, 0]], dtype=torch.float32)
    assert torch.equal(out[0, 0], expected)


def test_bed_of_nails_to_an_odd_size_keeps_every_value():
    x = torch.rand(2, 3, 4, 4) + 1  # no zeros in the input
    out = BedOfNails((7, 7))(x)
    assert out.shape == (2, 3, 7, 7)
    assert torch.equal(out[:, :, ::2, ::2], x)
    mask = torch.ones(7, 7, dtype=torch.bool)
    mask[::2, ::2] = False
    assert torch.count_nonzero(out[:, :, mask]) == 0


def test_the_bed_of_nails_block_is_zero_insertion_then_a_convolution():
    block = _UpBlock(2, 3, (3, 3), (5, 5), "bed-of-nails")
    x = torch.rand(1, 2, 3, 3)
    manual = torch.zeros(1, 2, 5, 5)
    manual[:, :, 0::2, 0::2] = x
    assert torch.allclose(block(x), block.conv(manual))


@pytest.mark.parametrize("size", [(4, 4), (5, 7)])
def test_max_unpool_restores_the_max_positions(size):
    """Encoder pool -> decoder unpool: each window's maximum is back where it was, every
    other position is zero."""
    cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, *size), hidden=(2,),
                      upsample="max-unpool", downsample="max")
    model = build_model(cfg)
    pool = model.encoder.pools[0]
    unpool = model.decoder.net[0].up
    x = torch.rand(1, 2, *size, generator=torch.Generator().manual_seed(1))
    pooled, idx = pool(x)
    restored = unpool(pooled, idx, output_size=size)
    expected = torch.zeros_like(x)
    h, w = size
    for c in range(2):
        for i in range(0, h, 2):
            for j in range(0, w, 2):
                window = x[0, c, i:i + 2, j:j + 2]
                k = int(torch.argmax(window))
                di, dj = divmod(k, window.shape[1])
                expected[0, c, i + di, j + dj] = window.max()
    assert torch.equal(restored, expected)


def test_the_decoder_uses_the_switches_of_the_mirrored_pooling_block():
    cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, 12, 12), hidden=(3, 4, 5),
                      upsample="max-unpool", downsample="max", latent_dim=2)
    model = build_model(cfg).eval()
    x = torch.rand(2, 1, 12, 12)
    mu, _, switches = model.encode_with_switches(x)
    assert [tuple(s.shape) for s in switches] == [(2, 3, 6, 6), (2, 4, 3, 3), (2, 5, 2, 2)]
    out = model.decode(mu, switches=switches)
    assert out.shape == (2, 1, 12, 12)
    # Other switches give another image: the decoder really reads them.
    other = model.encode_with_switches(torch.rand(2, 1, 12, 12))[2]
    assert not torch.allclose(out, model.decode(mu, switches=other))
    with pytest.raises(ValueError, match="cannot decode a code alone"):
        model.decode(mu)
    assert model.needs_switches and isinstance(model.decoder, ConvDecoder)


@pytest.mark.parametrize("down", DOWNSAMPLE_CHOICES)
def test_downsampling_halves_like_the_strided_conv(down):
    cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, 28, 28), hidden=(4, 5, 6),
                      downsample=down)
    model = build_model(cfg)
    h = model.encoder(torch.rand(3, 1, 28, 28))
    assert h.shape == (3, 6 * 4 * 4)
    assert model.encoder.out_features == 6 * 4 * 4


def test_avg_pooling_averages_and_max_pooling_takes_the_maximum():
    x = torch.rand(1, 1, 4, 4)
    for down, reduce in (("avg", torch.mean), ("max", torch.amax)):
        cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, 4, 4), hidden=(1,),
                          downsample=down)
        enc = build_model(cfg).encoder
        pooled = enc.pools[0](x)
        pooled = pooled[0] if isinstance(pooled, tuple) else pooled
        blocks = x.view(1, 1, 2, 2, 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(1, 1, 2, 2, 4)
        assert torch.allclose(pooled, reduce(blocks, dim=-1))


@pytest.mark.parametrize("up, down", [("max-unpool", "stride"), ("max-unpool", "avg")])
def test_max_unpool_without_max_pooling_is_refused(up, down):
    with pytest.raises(ConfigError, match="max-unpool needs the encoder's max-pooling switches"):
        ModelConfig(kind="ae", arch="conv", upsample=up, downsample=down)
    with pytest.raises(ConfigError, match="arch conv"):
        ModelConfig(kind="ae", arch="mlp", upsample="max-unpool", downsample="max")


def test_old_files_without_downsample_load_with_the_old_default():
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 8, 8), hidden=(4, 6))
    d = cfg.to_dict()
    del d["downsample"]
    old = ModelConfig.from_dict(d)
    assert old.downsample == "stride" and old.upsample == "transpose"
    assert not old.needs_switches
    new = cfg.replace(upsample="bed-of-nails", downsample="avg")
    assert ModelConfig.from_dict(new.to_dict()) == new
    with pytest.raises(ConfigError, match="downsample must be one of"):
        ModelConfig.from_dict({**d, "downsample": "dilate"})


@pytest.mark.parametrize("up, down", COMBOS)
def test_parameter_count_matches_every_combination(up, down):
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 11, 9), hidden=(3, 4),
                      upsample=up, downsample=down)
    model = build_model(cfg)
    assert parameter_count(cfg) == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("up, down", COMBOS)
def test_each_combination_trains_reconstructs_and_round_trips(up, down, digits, tmp_path):
    from latent_atlas.models.checkpoint import load_model, save_model
    from latent_atlas.models.trainer import run_training

    cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, 8, 8), hidden=(4, 8),
                      latent_dim=4, epochs=1, batch_size=64, upsample=up, downsample=down)
    result = run_training(build_model(cfg), digits.images[:300], device="cpu")
    assert result.epochs_completed == 1
    assert np.isfinite(result.history[-1]["train"]["total"])
    model = result.model.eval()
    x = torch.from_numpy(digits.images[600:700]).float() / 255
    with torch.no_grad():
        recon = torch.sigmoid(model(x)["logits"])
    mse = float(((recon - x) ** 2).mean())
    assert np.isfinite(mse) and mse < 0.25

    path = tmp_path / "m.safetensors"
    save_model(path, model, data_spec="digits", history=result.history)
    loaded = load_model(path)
    assert loaded.config == cfg
    with torch.no_grad():
        again = torch.sigmoid(loaded.model.eval()(x)["logits"])
    assert torch.allclose(recon, again, atol=1e-6)


def test_max_unpool_trains_on_shapes(tmp_path):
    from latent_atlas.explorer.core.data import load_data
    from latent_atlas.models.trainer import run_training

    data = load_data("shapes:200")
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=data.shape, hidden=(4, 8, 8),
                      latent_dim=4, epochs=1, batch_size=64, upsample="max-unpool",
                      downsample="max")
    result = run_training(build_model(cfg), data.images, device="cpu")
    assert result.epochs_completed == 1
    assert np.isfinite(result.history[-1]["train"]["total"])


def test_an_mlp_has_no_sampling_choice_but_old_files_that_stored_one_still_load():
    with pytest.raises(ConfigError, match="an MLP has none"):
        ModelConfig(kind="ae", arch="mlp", upsample="nearest")
    with pytest.raises(ConfigError, match="an MLP has none"):
        ModelConfig(kind="ae", arch="mlp", downsample="avg")
    stored = ModelConfig(kind="ae", arch="mlp").to_dict()
    stored["upsample"] = "bilinear"  # an MLP saved by a release that ignored the option
    cfg = ModelConfig.from_dict(stored)
    assert (cfg.upsample, cfg.downsample) == ("transpose", "stride")
