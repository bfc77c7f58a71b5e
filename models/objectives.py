"""One optimisation step per model kind. The trainer calls `step(batch, labels)`.

Each step returns the batch's loss terms as floats, and raises `NonFiniteLoss` *before*
updating any weight when a term is NaN or infinite, so the last good weights survive.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .distributed import Local
from .losses import corrupt, loss_terms, reconstruction_loss
from .networks import Autoencoder

LOCAL = Local()


class NonFiniteLoss(ArithmeticError):
    def __init__(self, name: str, value: float, where: str = ""):
        super().__init__(f"the {name} loss became {value}" + (f" {where}" if where else ""))
        self.name, self.value = name, value


def _floats(terms: dict[str, torch.Tensor], group: Local = LOCAL) -> dict[str, float]:
    # One host transfer for all terms; it doubles as the NaN/Inf check. In data-parallel
    # training every process learns whether any of them saw one, before any backward pass
    # (which would otherwise wait for the process that stopped).
    values = dict(zip(terms, torch.stack([v.detach() for v in terms.values()]).tolist(), strict=True))
    bad = next(((n, v) for n, v in values.items() if not math.isfinite(v)), None)
    if group.any(bad is not None):
        raise NonFiniteLoss(*bad) if bad else NonFiniteLoss("total", math.nan, "in another process")
    return values


class GradientStep:
    """AE, VAE, beta-VAE, CVAE, denoising, sparse and contractive AEs: one loss, one step."""

    def __init__(self, model: Autoencoder, group: Local = LOCAL):
        cfg = model.config
        self.model, self.cfg, self.group = model, cfg, group
        self.forward = group.wrap(model)  # DistributedDataParallel averages the gradients
        self.opt = torch.optim.Adam(model.autoencoder_parameters(), lr=cfg.lr,
                                    weight_decay=cfg.weight_decay)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"ae": self.opt}

    def __call__(self, batch: torch.Tensor, labels: torch.Tensor | None) -> dict[str, float]:
        cfg = self.cfg
        inputs = corrupt(batch, cfg) if cfg.kind == "dae" else batch
        if cfg.kind == "cae":
            inputs = inputs.clone().requires_grad_(True)
        terms = loss_terms(cfg, self.forward(inputs, labels), batch, inputs=inputs)
        values = _floats(terms, self.group)
        self.opt.zero_grad(set_to_none=True)
        terms["total"].backward()
        self.opt.step()
        return values


class AdversarialStep:
    """Adversarial autoencoder: reconstruction phase, then regularisation phase.

    Makhzani et al., "Adversarial Autoencoders", 2015, section 2: the discriminator learns
    to tell prior samples N(0, I) from codes, then the encoder (the generator) learns to
    fool it, which pushes the aggregate posterior q(z) towards the prior. The conditional
    adversarial AE (Zhang et al. 2017, kind `caae`) is the same step with the labels given
    to the decoder in the reconstruction phase; its encoder never sees them. (Zhang et al.
    also train an image discriminator and a total-variation term for sharper faces; we
    keep the latent discriminator only, the part that lets one code take every condition.)
    """

    def __init__(self, model: Autoencoder, group: Local = LOCAL):
        cfg = model.config
        if model.discriminator is None:
            raise ValueError("an adversarial step needs a model with a discriminator (kind 'aae' "
                             "or 'caae')")
        self.model, self.cfg, self.disc = model, cfg, model.discriminator
        self.opt_ae = torch.optim.Adam(model.autoencoder_parameters(), lr=cfg.lr,
                                       weight_decay=cfg.weight_decay)
        self.opt_disc = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr)
        enc = list(model.encoder.parameters()) + list(model.mu_head.parameters())
        self.opt_gen = torch.optim.Adam(enc, lr=cfg.lr)
        # Its phases call parts of the model, so gradients are averaged by hand (a no-op
        # in one process) rather than through a DistributedDataParallel forward.
        self.group, self._enc = group, enc
        group.broadcast(model)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"ae": self.opt_ae, "disc": self.opt_disc, "gen": self.opt_gen}

    def __call__(self, batch: torch.Tensor, labels: torch.Tensor | None) -> dict[str, float]:
        model, cfg = self.model, self.cfg
        # Phase 1: reconstruction (a conditional decoder gets the labels).
        out = model(batch, labels)
        recon = reconstruction_loss(out["logits"], batch, cfg.recon_loss)
        _floats({"recon": recon}, self.group)
        self.opt_ae.zero_grad(set_to_none=True)
        recon.backward()
        self.group.average_gradients(model.autoencoder_parameters())
        self.opt_ae.step()
        # Phase 2a: discriminator, prior samples are "real" (1), codes "fake" (0).
        z_fake = model.encode(batch, labels)[0].detach()
        z_real = torch.randn_like(z_fake)
        d_real, d_fake = self.disc(z_real), self.disc(z_fake)
        disc = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        acc = ((d_real > 0).float().mean() + (d_fake <= 0).float().mean()) / 2
        _floats({"disc": disc}, self.group)
        self.opt_disc.zero_grad(set_to_none=True)
        disc.backward()
        self.group.average_gradients(self.disc.parameters())
        self.opt_disc.step()
        # Phase 2b: the encoder tries to make its codes look like prior samples.
        d_gen = self.disc(model.encode(batch, labels)[0])
        gen = cfg.adversarial_weight * F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
        values = _floats({"recon": recon, "disc": disc, "gen": gen, "disc_acc": acc,
                          "total": recon + gen}, self.group)
        self.opt_gen.zero_grad(set_to_none=True)
        gen.backward()
        self.group.average_gradients(self._enc)
        self.opt_gen.step()
        return values


def make_step(model: Autoencoder, group: Local = LOCAL) -> GradientStep | AdversarialStep:
    """The step for the model's kind; `group` (latent_atlas.models.distributed) for data-parallel runs."""
    if model.config.is_adversarial:
        return AdversarialStep(model, group)
    return GradientStep(model, group)
