"""Stacked autoencoder: greedy layer-wise pretraining of an MLP autoencoder.

Bengio et al., "Greedy Layer-Wise Training of Deep Networks", NIPS 2007. Each encoder
layer is trained as the encoder of a shallow autoencoder on the (frozen) activations of
the layers below it; its partner decoder layer, the mirror layer of the deep decoder, is
the shallow decoder. Fine-tuning end to end follows in the normal trainer.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .networks import Autoencoder


def layer_pairs(model: Autoencoder) -> list[tuple[nn.Linear, nn.Linear]]:
    """(encoder layer, mirror decoder layer), from the input side to the code."""
    enc = [m for m in model.encoder.net if isinstance(m, nn.Linear)] + [model.mu_head]
    dec = [m for m in model.decoder.net if isinstance(m, nn.Linear)]
    if len(enc) != len(dec):
        raise ValueError("layer-wise pretraining needs a mirrored MLP encoder and decoder")
    return list(zip(enc, reversed(dec), strict=True))


def pretrain_layerwise(model: Autoencoder, x_train: torch.Tensor, *, epochs: int,
                       cancel_check, progress) -> Generator[Any, None, bool]:
    """Pretrain each layer pair for `epochs` epochs; yields progress, returns False if cancelled.

    `x_train` is uint8 N x C x H x W; `progress(stage, stages, epoch, step, steps, loss)`
    builds the event to yield, so this module needs no knowledge of the trainer's types.
    """
    cfg = model.config
    pairs = layer_pairs(model)
    act = nn.LeakyReLU(0.2)
    n = len(x_train)
    bs = min(cfg.batch_size, n)
    steps = math.ceil(n / bs)
    shuffle = torch.Generator().manual_seed(cfg.seed + 3)
    for stage, (enc, dec) in enumerate(pairs):
        last = stage == len(pairs) - 1
        opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=cfg.lr)
        for epoch in range(1, epochs + 1):
            order = torch.randperm(n, generator=shuffle)
            for step in range(1, steps + 1):
                if cancel_check():
                    return False
                x = x_train[order[(step - 1) * bs: step * bs]].float().div_(255.0).flatten(1)
                with torch.no_grad():  # the layers below are frozen during this stage
                    a = x
                    for lower, _ in pairs[:stage]:
                        a = act(lower(a))
                h = enc(a) if last else act(enc(a))
                out = dec(h)
                if stage == 0:
                    loss = (F.binary_cross_entropy_with_logits(out, a, reduction="sum") / len(a)
                            if cfg.recon_loss == "bce"
                            else F.mse_loss(torch.sigmoid(out), a, reduction="sum") / len(a))
                else:
                    loss = F.mse_loss(act(out), a, reduction="sum") / len(a)
                if not torch.isfinite(loss):
                    raise ArithmeticError(f"pretraining layer {stage + 1} diverged")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                yield progress(stage + 1, len(pairs), epoch, step, steps, float(loss.detach()))
    return True
