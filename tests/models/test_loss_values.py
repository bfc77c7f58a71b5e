"""Every loss term against numbers computed independently (plain numpy, float64).

Batches hold several images, so a term summed where it should be averaged (or the other
way round) changes the value; `total` is checked term by term for every kind.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.models.config import ModelConfig
from latent_atlas.models.losses import (
    contractive_penalty,
    kl_divergence,
    kl_per_dimension,
    loss_terms,
    reconstruction_loss,
    sparsity_penalty,
)

B, C, H, W, D = 4, 1, 4, 4, 3  # batch, image shape, latent size


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


def _batch(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "logits": torch.randn(B, C, H, W, generator=g) * 2.0,
        "target": torch.rand(B, C, H, W, generator=g),
        "mu": torch.randn(B, D, generator=g),
        "logvar": torch.randn(B, D, generator=g) * 0.7,
    }


# ---- independent formulas -------------------------------------------------------------
def bce_sum_mean(logits: np.ndarray, target: np.ndarray) -> float:
    """Bernoulli negative log-likelihood, summed over pixels, averaged over images."""
    p = 1.0 / (1.0 + np.exp(-logits))
    nll = -(target * np.log(p) + (1.0 - target) * np.log(1.0 - p))
    return float(nll.reshape(len(nll), -1).sum(axis=1).mean())


def mse_sum_mean(logits: np.ndarray, target: np.ndarray) -> float:
    p = 1.0 / (1.0 + np.exp(-logits))
    return float(((p - target) ** 2).reshape(len(p), -1).sum(axis=1).mean())


def kl_mean(mu: np.ndarray, logvar: np.ndarray) -> float:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per image, summed over dimensions, mean over images."""
    var = np.exp(logvar)
    per_dim = 0.5 * (var + mu**2 - 1.0 - logvar)
    return float(per_dim.sum(axis=1).mean())


def l1_mean(z: np.ndarray) -> float:
    return float(np.abs(z).sum(axis=1).mean())


def kl_to_rho(z: np.ndarray, rho: float) -> float:
    with np.errstate(over="ignore"):  # exp(800) = inf gives sigmoid 0, as intended
        sig = 1.0 / (1.0 + np.exp(-z))
    rho_hat = np.clip(sig.mean(axis=0), 1e-6, 1 - 1e-6)
    return float(np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))


def _cfg(kind: str, **kw) -> ModelConfig:
    base = dict(kind=kind, arch="mlp", input_shape=(C, H, W), latent_dim=D, hidden=(4,))
    if kind == "cvae":
        base["n_classes"] = 2
    base.update(kw)
    return ModelConfig(**base)


# ---- single terms ------------------------------------------------------------------------
def test_bce_is_summed_over_pixels_and_averaged_over_the_batch():
    b = _batch(1)
    got = float(reconstruction_loss(b["logits"], b["target"], "bce"))
    assert got == pytest.approx(bce_sum_mean(_np(b["logits"]), _np(b["target"])), rel=1e-5)
    # same value from torch's own Bernoulli log-likelihood
    nll = -torch.distributions.Bernoulli(logits=b["logits"].double(),
                                      validate_args=False).log_prob(b["target"].double())
    assert got == pytest.approx(float(nll.sum()) / B, rel=1e-5)
    # a per-pixel mean would be 16x smaller here (784x on MNIST)
    assert got > 8.0


def test_mse_is_taken_on_probabilities_summed_over_pixels_and_averaged_over_the_batch():
    b = _batch(2)
    got = float(reconstruction_loss(b["logits"], b["target"], "mse"))
    assert got == pytest.approx(mse_sum_mean(_np(b["logits"]), _np(b["target"])), rel=1e-5)
    # on the raw logits the value would differ a lot
    raw = float((((_np(b["logits"]) - _np(b["target"])) ** 2).sum()) / B)
    assert abs(got - raw) > 1.0


def test_bce_and_mse_of_a_perfect_and_a_known_reconstruction():
    # logits 0 -> p = 0.5 everywhere: BCE = log 2 per pixel; MSE = 0.25 per pixel
    logits = torch.zeros(B, C, H, W)
    target = torch.zeros(B, C, H, W)
    target[0] = 1.0
    n_pix = C * H * W
    assert float(reconstruction_loss(logits, target, "bce")) == pytest.approx(n_pix * np.log(2), rel=1e-6)
    assert float(reconstruction_loss(logits, target, "mse")) == pytest.approx(n_pix * 0.25, rel=1e-6)


def test_kl_is_summed_over_dimensions_and_averaged_over_the_batch():
    b = _batch(3)
    got = float(kl_divergence(b["mu"], b["logvar"]))
    assert got == pytest.approx(kl_mean(_np(b["mu"]), _np(b["logvar"])), rel=1e-5)
    q = torch.distributions.Normal(b["mu"].double(), torch.exp(0.5 * b["logvar"].double()))
    p = torch.distributions.Normal(torch.zeros(D, dtype=torch.float64), torch.ones(D, dtype=torch.float64))
    assert got == pytest.approx(float(torch.distributions.kl_divergence(q, p).sum(dim=1).mean()), rel=1e-5)
    # the standard normal posterior has no KL; a shifted one has mu^2 / 2 per dimension
    assert float(kl_divergence(torch.zeros(B, D), torch.zeros(B, D))) == pytest.approx(0.0, abs=1e-7)
    assert float(kl_divergence(torch.full((B, D), 2.0), torch.zeros(B, D))) == pytest.approx(D * 2.0)


def test_kl_per_dimension_is_the_batch_mean_of_each_dimension():
    b = _batch(4)
    mu, logvar = _np(b["mu"]), _np(b["logvar"])
    expected = (0.5 * (np.exp(logvar) + mu**2 - 1.0 - logvar)).mean(axis=0)
    got = kl_per_dimension(b["mu"], b["logvar"])
    assert got.shape == (D,)
    np.testing.assert_allclose(_np(got), expected, rtol=1e-5)
    assert float(got.sum()) == pytest.approx(float(kl_divergence(b["mu"], b["logvar"])), rel=1e-5)


def test_sparsity_l1_is_lambda_times_the_mean_per_image_l1():
    z = _batch(5)["mu"]
    cfg = _cfg("sae", sparsity_weight=0.3)
    assert float(sparsity_penalty(z, cfg)) == pytest.approx(0.3 * l1_mean(_np(z)), rel=1e-5)


def test_sparsity_kl_to_rho_uses_the_batch_mean_activation():
    z = _batch(6)["mu"]
    cfg = _cfg("sae", sparsity_weight=1.5, sparsity_target=0.1)
    assert float(sparsity_penalty(z, cfg)) == pytest.approx(1.5 * kl_to_rho(_np(z), 0.1), rel=1e-5)
    # a unit whose mean activation is exactly rho costs nothing: logit(0.2) everywhere
    at_rho = torch.full((B, D), float(np.log(0.2 / 0.8)))
    assert float(sparsity_penalty(at_rho, _cfg("sae", sparsity_weight=1.0, sparsity_target=0.2))) \
        == pytest.approx(0.0, abs=1e-6)


def test_sparsity_kl_to_rho_stays_finite_for_saturated_units():
    # sigmoid rounds to exactly 0 and 1 here: the clamp keeps the logs finite
    z = torch.tensor([[-800.0, 800.0, 0.0]] * B, dtype=torch.float64)
    cfg = _cfg("sae", sparsity_weight=1.0, sparsity_target=0.05)
    got = float(sparsity_penalty(z, cfg))
    assert np.isfinite(got)
    assert got == pytest.approx(kl_to_rho(_np(z), 0.05), rel=1e-9)


def _contractive_case(seed: int = 7):
    """mu = tanh(x W): the Jacobian of image b is diag(1 - tanh^2(a_b)) W^T, so its squared
    Frobenius norm is sum_i (1 - tanh^2(a_bi))^2 |W[:, i]|^2."""
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(C * H * W, D, generator=g, dtype=torch.float64)
    x = torch.rand(B, C, H, W, generator=g, dtype=torch.float64, requires_grad=True)
    mu = torch.tanh(x.flatten(1) @ weight)
    a = _np(x).reshape(B, -1) @ _np(weight)
    per_image = ((1 - np.tanh(a) ** 2) ** 2 * (_np(weight) ** 2).sum(axis=0)).sum(axis=1)
    return x, mu, float(per_image.mean()), per_image


def test_contractive_penalty_is_the_mean_squared_frobenius_norm():
    x, mu, expected, per_image = _contractive_case()
    assert per_image.std() > 0.01 * per_image.mean()  # images differ: sum != mean
    assert float(contractive_penalty(mu, x).detach()) == pytest.approx(expected, rel=1e-9)


# ---- total, kind by kind ----------------------------------------------------------------
def _out(b: dict, variational: bool) -> dict:
    return {"mu": b["mu"], "logvar": b["logvar"] if variational else None, "z": b["mu"],
            "logits": b["logits"]}


@pytest.mark.parametrize("recon", ["bce", "mse"])
@pytest.mark.parametrize("kind,beta", [("vae", 1.0), ("vae", 0.5), ("beta-vae", 4.0),
                                       ("cvae", 2.5)])
def test_variational_total_is_recon_plus_beta_kl(kind, beta, recon):
    b = _batch(8)
    cfg = _cfg(kind, beta=beta, recon_loss=recon)
    terms = loss_terms(cfg, _out(b, True), b["target"])
    assert set(terms) == {"recon", "kl", "total"}
    want_recon = (bce_sum_mean if recon == "bce" else mse_sum_mean)(_np(b["logits"]), _np(b["target"]))
    want_kl = kl_mean(_np(b["mu"]), _np(b["logvar"]))
    assert float(terms["recon"]) == pytest.approx(want_recon, rel=1e-5)
    assert float(terms["kl"]) == pytest.approx(want_kl, rel=1e-5)
    assert float(terms["total"]) == pytest.approx(want_recon + beta * want_kl, rel=1e-5)


def test_beta_scales_only_the_kl_term():
    b = _batch(9)
    t1 = loss_terms(_cfg("beta-vae", beta=1.0), _out(b, True), b["target"])
    t4 = loss_terms(_cfg("beta-vae", beta=4.0), _out(b, True), b["target"])
    assert float(t4["recon"]) == pytest.approx(float(t1["recon"]), rel=1e-6)
    assert float(t4["kl"]) == pytest.approx(float(t1["kl"]), rel=1e-6)
    assert float(t4["total"] - t1["total"]) == pytest.approx(3.0 * float(t1["kl"]), rel=1e-5)


@pytest.mark.parametrize("recon", ["bce", "mse"])
@pytest.mark.parametrize("kind", ["ae", "dae", "aae"])
def test_plain_total_is_the_reconstruction(kind, recon):
    b = _batch(10)
    # beta is ignored without a KL term (it multiplies zero)
    terms = loss_terms(_cfg(kind, recon_loss=recon, beta=3.0), _out(b, False), b["target"])
    assert set(terms) == {"recon", "kl", "total"}
    want = (bce_sum_mean if recon == "bce" else mse_sum_mean)(_np(b["logits"]), _np(b["target"]))
    assert float(terms["recon"]) == pytest.approx(want, rel=1e-5)
    assert float(terms["kl"]) == 0.0
    assert float(terms["total"]) == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("target,weight", [(0.0, 0.25), (0.1, 2.0)])
def test_sparse_total_adds_the_sparsity_term(target, weight):
    b = _batch(11)
    cfg = _cfg("sae", sparsity_weight=weight, sparsity_target=target)
    terms = loss_terms(cfg, _out(b, False), b["target"])
    assert set(terms) == {"recon", "kl", "sparsity", "total"}
    mu = _np(b["mu"])
    want_sparsity = weight * (l1_mean(mu) if target == 0 else kl_to_rho(mu, target))
    want_recon = bce_sum_mean(_np(b["logits"]), _np(b["target"]))
    assert float(terms["sparsity"]) == pytest.approx(want_sparsity, rel=1e-5)
    assert float(terms["recon"]) == pytest.approx(want_recon, rel=1e-5)
    assert float(terms["total"]) == pytest.approx(want_recon + want_sparsity, rel=1e-5)


def test_contractive_total_adds_the_weighted_penalty_only_with_gradients():
    x, mu, expected, _ = _contractive_case(12)
    g = torch.Generator().manual_seed(12)
    logits = torch.randn(B, C, H, W, generator=g, dtype=torch.float64)
    target = torch.rand(B, C, H, W, generator=g, dtype=torch.float64)
    out = {"mu": mu, "logvar": None, "z": mu, "logits": logits}
    cfg = _cfg("cae", contractive_weight=0.2)
    terms = loss_terms(cfg, out, target, inputs=x)
    assert set(terms) == {"recon", "kl", "contractive", "total"}
    want_recon = bce_sum_mean(_np(logits), _np(target))
    assert float(terms["contractive"].detach()) == pytest.approx(0.2 * expected, rel=1e-9)
    assert float(terms["total"].detach()) == pytest.approx(want_recon + 0.2 * expected, rel=1e-9)
    # without inputs that require grad (validation) the term is left out
    for inputs in (None, x.detach()):
        plain = loss_terms(cfg, {**out, "mu": mu.detach()}, target, inputs=inputs)
        assert set(plain) == {"recon", "kl", "total"}
        assert float(plain["total"]) == pytest.approx(want_recon, rel=1e-9)
