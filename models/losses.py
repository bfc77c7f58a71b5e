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


def loss_terms(cfg: ModelConfig, out: dict, target: torch.Tensor,
               inputs: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Every loss term of one batch: `recon`, `kl` (zero for non-variational kinds), the
    kind's regulariser (`sparsity`, `contractive`) and `total`.

    The VAE objective is the negative ELBO, recon + beta * KL (beta = 1: Kingma & Welling
    2014; beta != 1: Higgins et al., "beta-VAE", ICLR 2017). The contractive term needs
    `inputs` (the batch the codes were computed from, with requires_grad); without it, as
    in validation under inference mode, the term is left out.
    """
    recon = reconstruction_loss(out["logits"], target, cfg.recon_loss)
    if out.get("logvar") is not None:
        kl = kl_divergence(out["mu"], out["logvar"])
    else:
        kl = torch.zeros((), device=recon.device)
    terms = {"recon": recon, "kl": kl}
    total = recon + cfg.beta * kl
    if cfg.kind == "sae":
        terms["sparsity"] = sparsity_penalty(out["mu"], cfg)
        total = total + terms["sparsity"]
    elif cfg.kind == "cae" and inputs is not None and inputs.requires_grad:
        terms["contractive"] = cfg.contractive_weight * contractive_penalty(out["mu"], inputs)
        total = total + terms["contractive"]
    terms["total"] = total
    return terms


def corrupt(x: torch.Tensor, cfg: ModelConfig) -> torch.Tensor:
    """Corrupt a batch for a denoising AE; the loss is then taken against the clean batch.

    Vincent et al., "Extracting and Composing Robust Features with Denoising
    Autoencoders", ICML 2008: masking noise zeroes a random fraction of the pixels;
    additive isotropic Gaussian noise is the other classic corruption.
    """
    if cfg.noise == "masking":
        keep = (torch.rand_like(x) >= cfg.noise_level).to(x.dtype)
        return x * keep
    return (x + cfg.noise_level * torch.randn_like(x)).clamp_(0.0, 1.0)


def sparsity_penalty(z: torch.Tensor, cfg: ModelConfig) -> torch.Tensor:
    """Sparse AE penalty on the code activations (A. Ng, "Sparse autoencoder", CS294A notes).

    sparsity_target == 0: lambda * sum |z| per image (L1), averaged over the batch.
    sparsity_target == rho > 0: lambda * sum_j KL(rho || rho_hat_j), where rho_hat_j is the
    batch-mean of sigmoid(z_j), the notes' average activation of unit j.
    """
    if cfg.sparsity_target <= 0:
        return cfg.sparsity_weight * z.abs().sum(dim=1).mean()
    rho = cfg.sparsity_target
    rho_hat = torch.sigmoid(z).mean(dim=0).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
    return cfg.sparsity_weight * kl.sum()


def contractive_penalty(mu: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """Squared Frobenius norm of the encoder Jacobian dz/dx, averaged over the batch.

    Rifai et al., "Contractive Auto-Encoders", ICML 2011. Computed exactly with one batched
    vector-Jacobian product per latent dimension (is_grads_batched vectorises them), so the
    cost grows with the latent size, not with the number of pixels. `x` must require grad
    and `mu` must have been computed from it; images are independent, so the gradient of
    sum_b mu[b, i] with respect to x holds every image's row i of its own Jacobian.
    """
    d = mu.shape[1]
    basis = torch.eye(d, dtype=mu.dtype, device=mu.device).unsqueeze(1).expand(d, *mu.shape)
    (rows,) = torch.autograd.grad(mu, x, grad_outputs=basis, is_grads_batched=True,
                                  create_graph=create_graph)
    return rows.pow(2).flatten(2).sum(dim=(0, 2)).mean()
