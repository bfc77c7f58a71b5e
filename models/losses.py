"""Loss functions, each returning every term so the trainer and the UI can show them."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .config import ModelConfig


def reconstruction_loss(logits: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-image reconstruction loss summed over pixels, averaged over the batch.

    Summing over pixels (not averaging) keeps the balance with the KL term that the VAE
    derivation assumes: BCE is the negative Bernoulli log-likelihood of the image.
    """
    n = target.shape[0]
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / n
    return F.mse_loss(torch.sigmoid(logits), target, reduction="sum") / n


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) in closed form, summed over dimensions, averaged over the batch.

    Kingma & Welling, "Auto-Encoding Variational Bayes", 2014, Appendix B:
    -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2).
    """
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / mu.shape[0]


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Mean KL of each latent dimension over the batch (shape: latent_dim)."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(dim=0)


def loss_terms(cfg: ModelConfig, out: dict, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every loss term of one batch: `recon`, `kl` (zero for an AE) and `total`.

    The VAE objective is the negative ELBO, recon + beta * KL (beta = 1: Kingma & Welling
    2014; beta != 1: Higgins et al., "beta-VAE", ICLR 2017).
    """
    recon = reconstruction_loss(out["logits"], target, cfg.recon_loss)
    if out.get("logvar") is not None:
        kl = kl_divergence(out["mu"], out["logvar"])
    else:
        kl = torch.zeros((), device=recon.device)
    return {"recon": recon, "kl": kl, "total": recon + cfg.beta * kl}
