"""Per-latent diagnostics: KL per dimension, active units, the mutual information
estimate (checked against the closed form of a linear Gaussian encoder), AE variance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.disentangle import latent_diagnostics
from latent_atlas.explorer.core.analysis.disentangle.latents import (
    kl_per_dimension,
    mutual_information,
)


def test_kl_per_dimension_matches_the_formula_and_the_training_loss():
    import torch

    from latent_atlas.models.losses import kl_per_dimension as torch_kl

    rng = np.random.default_rng(0)
    mu, lv = rng.normal(size=(50, 4)), rng.normal(size=(50, 4)) * 0.5
    ours = kl_per_dimension(mu, lv)
    by_hand = [np.mean([0.5 * (m * m + math.exp(v) - 1 - v) for m, v in zip(mu[:, j], lv[:, j],
                                                                           strict=True)])
               for j in range(4)]
    assert ours == pytest.approx(by_hand, abs=1e-12)
    ref = torch_kl(torch.from_numpy(mu), torch.from_numpy(lv)).numpy()
    assert ours == pytest.approx(ref, abs=1e-6)


def test_active_units_count_dimensions_whose_mean_code_varies():
    rng = np.random.default_rng(1)
    mu = np.concatenate([rng.normal(size=(2000, 3)), rng.normal(size=(2000, 2)) * 0.05], 1)
    diag = latent_diagnostics(mu, np.zeros_like(mu))
    assert diag.n_active == 3
    assert diag.active.tolist() == [True, True, True, False, False]


def test_kl_order_puts_the_busiest_dimension_first():
    rng = np.random.default_rng(2)
    mu = rng.normal(size=(500, 3)) * np.array([0.1, 2.0, 1.0])
    diag = latent_diagnostics(mu, np.zeros_like(mu))
    assert diag.order().tolist() == [1, 2, 0]
    assert diag.kl_total == pytest.approx(float(diag.kl.sum()))


def test_mutual_information_of_a_linear_gaussian_encoder():
    # x ~ N(0, I_2), z | x ~ N(x, I): I(x; z) = 2 * 0.5 * log(1 + 1) = log 2.
    rng = np.random.default_rng(3)
    mu = rng.normal(size=(6000, 2))
    mi, bound = mutual_information(mu, np.zeros_like(mu), n_samples=3000, n_reference=6000)
    assert mi == pytest.approx(math.log(2), abs=0.06)
    assert bound == pytest.approx(math.log(6000))


def test_mutual_information_is_zero_for_a_collapsed_posterior():
    mu = np.zeros((3000, 4))
    mi, _ = mutual_information(mu, np.zeros_like(mu), n_samples=1000, n_reference=3000)
    # The closed-form first term against one sampled z per image: Monte Carlo noise of
    # about 0.05 nats at 1000 samples in 4 dimensions.
    assert abs(mi) < 0.15


def test_mutual_information_reaches_log_n_for_sharp_separate_posteriors():
    rng = np.random.default_rng(4)
    mu = rng.normal(size=(1000, 4)) * 10
    mi, bound = mutual_information(mu, np.full_like(mu, -10.0), n_samples=500,
                                   n_reference=1000)
    assert mi == pytest.approx(bound, abs=0.2)  # Monte Carlo noise as above


def test_a_plain_autoencoder_has_variance_but_no_kl_or_information():
    rng = np.random.default_rng(5)
    mu = rng.normal(size=(300, 3)) * np.array([3.0, 0.01, 1.0])
    diag = latent_diagnostics(mu)
    assert diag.kl is None and diag.mutual_information is None
    assert diag.order().tolist() == [0, 2, 1]
    assert diag.n_active == 2
    d = diag.to_dict()
    assert d["kl"] is None and d["n_active"] == 2
    assert any("active units: 2 of 3" in line for line in diag.lines())


def test_bad_shapes_say_why():
    with pytest.raises(ValueError, match="do not match"):
        latent_diagnostics(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="N x d"):
        latent_diagnostics(np.zeros(5))
