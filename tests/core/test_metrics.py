"""Continuity metrics and prior sampling: definitions checked on models with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    MetricSettings,
    compare_models,
    held_out_indices,
)
from latent_atlas.explorer.core.analysis.comparison.table import format_table
from latent_atlas.explorer.core.analysis.gaps.generate import (
    FITTED_GAUSSIAN,
    STANDARD_NORMAL,
    fit_gaussian,
    model_prior,
    sample_prior,
)
from latent_atlas.explorer.core.data import ImageSet
from latent_atlas.explorer.core.latent.map import quick_map
from latent_atlas.explorer.core.progress import Cancelled, drain
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model
from latent_atlas.models.trainer import split_indices

SMALL = MetricSettings(n_prior=200, n_pairs=10, n_path=50)


class _LinearModel(nn.Module):
    """Encoder and decoder both linear (decoder around mid-grey, well inside [0, 1]):
    straight latent paths give evenly spaced images and finite differences are exact."""

    def __init__(self, scale: float = 1.0, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.config = ModelConfig(kind="ae", input_shape=(1, 8, 8), latent_dim=4, seed=0)
        self.proj = nn.Parameter(torch.randn(64, 4, generator=g) * 0.05 * scale)
        self.weight = nn.Parameter(torch.randn(4, 64, generator=g) * 0.02 / scale)

    @property
    def latent_dim(self) -> int:
        return 4

    def encode(self, x):
        return (x.flatten(1) - 0.5) @ self.proj, None

    def decode(self, z):
        return (0.5 + z @ self.weight).view(-1, 1, 8, 8)


def _data(n=400, seed=0) -> ImageSet:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(8, 1, 8, 8))
    imgs = np.clip(base[rng.integers(0, 8, n)] + rng.normal(0, 20, (n, 1, 8, 8)), 0, 255)
    return ImageSet(images=imgs.astype(np.uint8), spec="test")


def test_held_out_is_the_trainers_validation_split():
    held, notes = held_out_indices(1000, [3, 3])
    np.testing.assert_array_equal(held, split_indices(1000, 0.1, 3)[1])
    assert notes == []
    # different seeds: only images neither model trained on
    mixed, notes = held_out_indices(10000, [0, 1])
    assert 50 < len(mixed) < 200 and notes
    assert set(mixed) <= set(split_indices(10000, 0.1, 0)[1])
    assert set(mixed) <= set(split_indices(10000, 0.1, 1)[1])
    # too small an overlap: the first model's split, said so
    few, notes = held_out_indices(100, [0, 1])
    np.testing.assert_array_equal(few, split_indices(100, 0.1, 0)[1])
    assert "first model" in notes[0]
    with pytest.raises(ValueError, match="too few"):
        held_out_indices(5, [0])


def test_fitted_gaussian_and_standard_prior():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(5000, 3)) @ np.array([[2, 0, 0], [1, 1, 0], [0, 0, 0.1]]) + 5
    prior = fit_gaussian(codes)
    assert prior.description == FITTED_GAUSSIAN
    z = prior.sample(20000, seed=1)
    assert z.dtype == np.float32 and z.shape == (20000, 3)
    np.testing.assert_allclose(z.mean(axis=0), codes.mean(axis=0), atol=0.05)
    np.testing.assert_allclose(np.cov(z, rowvar=False), np.cov(codes, rowvar=False), atol=0.1)
    np.testing.assert_array_equal(prior.sample(10, seed=4), prior.sample(10, seed=4))
    assert not np.array_equal(prior.sample(10, seed=4), prior.sample(10, seed=5))
    # a collapsed code dimension (singular covariance) still samples
    flat = np.c_[codes[:, :2], np.zeros(len(codes))]
    assert np.isfinite(fit_gaussian(flat).sample(100)).all()

    vae = build_model(ModelConfig(kind="vae", latent_dim=3))
    assert model_prior(vae).description == STANDARD_NORMAL
    assert model_prior(build_model(ModelConfig(kind="aae", latent_dim=3))).description == STANDARD_NORMAL
    ae = build_model(ModelConfig(kind="ae", latent_dim=3))
    with pytest.raises(ValueError, match="no prior of its own"):
        model_prior(ae)
    with pytest.raises(ValueError, match="N x 3"):
        model_prior(ae, np.zeros((10, 5)))
    assert model_prior(ae, codes).description == FITTED_GAUSSIAN


def test_sample_prior_decodes_and_places(digits):
    from latent_atlas.explorer.core.inference import encode

    model = build_model(ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=4,
                                    hidden=(8, 16)))
    codes = encode(model, digits.images[:200])
    m = quick_map(codes)
    s = sample_prior(model, 16, seed=3, latent_map=m)
    assert s.codes.shape == (16, 4) and s.images.shape == (16, 8, 8)
    assert s.images.dtype == np.uint8 and s.positions.shape == (16, 2)
    np.testing.assert_allclose(s.positions, m.place(s.codes), atol=1e-5)
    np.testing.assert_allclose(s.codes.mean(axis=0), codes.mean(axis=0), atol=3 * codes.std())
    again = sample_prior(model, 16, seed=3, codes=codes)
    np.testing.assert_array_equal(again.codes, s.codes)
    assert again.positions is None
    vae = build_model(ModelConfig(kind="vae", input_shape=digits.shape, latent_dim=4,
                                  hidden=(8, 16)))
    none = sample_prior(vae, 0, latent_map=quick_map(encode(vae, digits.images[:50])))
    assert none.codes.shape == (0, 4) and none.positions.shape == (0, 2)


def test_linear_decoder_paths_are_perfectly_even():
    data = _data()
    result = drain(compare_models({"lin": _LinearModel()}, data, SMALL))
    m = result.models[0]
    assert m.interp_smoothness == pytest.approx(1.0, abs=1e-3)
    assert m.path_length > 0


def test_path_length_does_not_depend_on_the_latent_scale():
    # The same model with its latent stretched 10x (encoder x10, decoder /10) decodes the
    # same images; a per-code-unit derivative would shrink 10x, the metric must not.
    data = _data()
    a = drain(compare_models({"a": _LinearModel(1.0)}, data, SMALL)).models[0]
    b = drain(compare_models({"b": _LinearModel(10.0)}, data, SMALL)).models[0]
    assert b.path_length == pytest.approx(a.path_length, rel=1e-3)
    assert b.recon_mse == pytest.approx(a.recon_mse, rel=1e-4)
    assert b.hole_fraction == pytest.approx(a.hole_fraction)


def test_compare_two_models_is_reproducible_and_in_range(digits):
    cfg = ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=4, hidden=(8, 16), seed=1)
    models = {"AE": build_model(cfg), "VAE": build_model(cfg.replace(kind="vae"))}
    events = []
    res = drain(compare_models(models, digits, SMALL), events.append)
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert res.n_held_out == len(split_indices(len(digits), 0.1, 1)[1])
    assert res.n_reference == len(digits) - res.n_held_out
    for m in res.models:
        assert 0.0 <= m.hole_fraction <= 1.0
        assert m.hole_threshold == res.hole_threshold > 0
        for v in (m.recon_mse, m.recon_rms, m.interp_distance, m.path_length):
            assert np.isfinite(v) and v >= 0
        assert m.interp_smoothness >= 1.0
    assert [m.prior for m in res.models] == [FITTED_GAUSSIAN, STANDARD_NORMAL]
    again = drain(compare_models(models, digits, SMALL))
    assert again.to_dict() == res.to_dict()
    other = drain(compare_models(models, digits, MetricSettings(n_prior=200, n_pairs=10,
                                                                n_path=50, seed=7)))
    assert other.models[0].prior_distance != res.models[0].prior_distance

    text = format_table(res)
    assert "AE (ae)" in text and "VAE (vae)" in text and f"{res.hole_threshold:.3f}" in text
    md = format_table(res, markdown=True)
    assert md.startswith("| model |") and md.count("\n|") >= 3


def test_compare_refuses_mismatched_data_and_cancels(digits):
    model = build_model(ModelConfig(kind="ae", input_shape=(1, 16, 16), latent_dim=4,
                                    hidden=(8, 16)))
    with pytest.raises(ValueError, match="expects images"):
        drain(compare_models({"AE": model}, digits))
    with pytest.raises(ValueError, match="at least one"):
        drain(compare_models({}, digits))
    ok = build_model(ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=4, hidden=(8, 16)))
    with pytest.raises(Cancelled):
        drain(compare_models({"AE": ok}, digits, SMALL, cancel=lambda: True))
    with pytest.raises(ValueError, match="steps"):
        MetricSettings(steps=2)


def test_decoded_grid_is_the_manifold_figure(digits):
    from latent_atlas.explorer.core.analysis.gaps.generate import decoded_grid
    from latent_atlas.explorer.core.analysis.gaps.score import grid_points
    from latent_atlas.explorer.core.inference import Decoder, encode

    model = build_model(ModelConfig(kind="vae", input_shape=digits.shape, latent_dim=4,
                                    hidden=(8, 16)))
    m = quick_map(encode(model, digits.images[:200]))
    dec = Decoder(model)
    rect = m.bounds()
    grid = decoded_grid(dec, m, rect, 5)
    assert grid.shape == (5, 5, 8, 8) and grid.dtype == np.uint8
    # cell [iy, ix] is the image decoded at grid point iy * 5 + ix
    # (a batch of 25 against a batch of 1: uint8 may differ by one step)
    one = dec.decode(m.inverse(grid_points(rect, 5)[16]))
    np.testing.assert_allclose(grid[3, 1].astype(int), one.astype(int), atol=1)
    with pytest.raises(ValueError, match="1 to 64"):
        decoded_grid(dec, m, rect, 0)
