"""Tiny autoencoders as a user would write them (subclassing nothing of Latent Atlas), and
factories for `--python tests/user_models.py:NAME`. Randomly initialised, seeded, 8x8x1
(the `digits` data); nothing is downloaded.

Conditional ones declare their labels (`conditioning`): a CVAE taking class indices in
`encode(x, y)` and `decode(z, y)`, and an AE whose decoder alone takes one-hot labels.

Also the bad ones of issue 21: wrong output shape, an encoder and a decoder that do not
fit, NaN, values outside [0, 1] (logits), a factory that raises, a slow decoder.
"""

from __future__ import annotations

import time

import torch
from torch import nn

D = 4


class PlainAE(nn.Module):
    """An autoencoder with `encoder` and `decoder` sub-modules."""

    def __init__(self, d: int = D) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, d))
        self.decoder = nn.Sequential(nn.Linear(d, 16), nn.Tanh(), nn.Linear(16, 64), nn.Sigmoid(),
                                     nn.Unflatten(1, (1, 8, 8)))

    def forward(self, x):
        return self.decoder(self.encoder(x))


class PlainVAE(nn.Module):
    """A VAE with `encode(x) -> (mu, logvar)` and `decode(z)`."""

    def __init__(self, d: int = D) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.Tanh())
        self.mu = nn.Linear(16, d)
        self.logvar = nn.Linear(16, d)
        self.out = nn.Sequential(nn.Linear(d, 16), nn.Tanh(), nn.Linear(16, 64))

    def encode(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return torch.sigmoid(self.out(z)).view(-1, 1, 8, 8)


class SpatialAE(nn.Module):
    """Spatial latents: codes 2 x 4 x 4 (flattened to 32 for the map)."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Conv2d(1, 2, 3, stride=2, padding=1)
        self.dec = nn.ConvTranspose2d(2, 1, 4, stride=2, padding=1)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return torch.sigmoid(self.dec(z))


class LogitsAE(PlainVAE):
    """Decodes logits, not probabilities: needs the logits reading."""

    def decode(self, z):
        return 5.0 * self.out(z).view(-1, 1, 8, 8)


class WrongShapeAE(PlainAE):
    def forward(self, x):  # pragma: no cover - unused
        return x

    def decode(self, z):
        return torch.sigmoid(torch.zeros(len(z), 1, 7, 7))

    def encode(self, x):
        return self.encoder(x)


class NaNAE(PlainAE):
    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z) * float("nan")


class SlowAE(PlainAE):
    """A decoder that sleeps 150 ms per call: slower than the 100 ms notice."""

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        time.sleep(0.15)
        return self.decoder(z)


class PlainCVAE(nn.Module):
    """A conditional VAE as a user writes one: `encode(x, y)`, `decode(z, y)`, y class indices."""

    def __init__(self, d: int = D, classes: int = 10) -> None:
        super().__init__()
        self.classes = classes
        self.body = nn.Sequential(nn.Linear(64 + classes, 16), nn.Tanh())
        self.mu = nn.Linear(16, d)
        self.logvar = nn.Linear(16, d)
        self.out = nn.Sequential(nn.Linear(d + classes, 16), nn.Tanh(), nn.Linear(16, 64))

    def _hot(self, y):
        return nn.functional.one_hot(y, self.classes).float()

    def encode(self, x, y):
        h = self.body(torch.cat([x.flatten(1), self._hot(y)], 1))
        return self.mu(h), self.logvar(h)

    def decode(self, z, y):
        return torch.sigmoid(self.out(torch.cat([z, self._hot(y)], 1))).view(-1, 1, 8, 8)


class DecoderConditionalAE(PlainAE):
    """Only the decoder takes the label, as one-hot vectors; it says so itself."""

    latent_atlas_conditioning = {"classes": 10, "encoder": False, "form": "one-hot"}

    def __init__(self) -> None:
        super().__init__()
        self.decoder = nn.Sequential(nn.Linear(D + 10, 16), nn.Tanh(), nn.Linear(16, 64),
                                     nn.Sigmoid(), nn.Unflatten(1, (1, 8, 8)))

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z, y_hot):
        return self.decoder(torch.cat([z, y_hot], 1))


def _seeded(cls, *args):
    torch.manual_seed(0)
    return cls(*args)


def make_ae():
    return _seeded(PlainAE)


def make_vae():
    """A VAE that names its data: no --data needed."""
    return {"model": _seeded(PlainVAE), "data": "digits", "name": "my-vae"}


def make_pair():
    m = _seeded(PlainAE)
    return (m.encoder, m.decoder)


def make_spatial():
    return _seeded(SpatialAE)


def make_logits():
    return _seeded(LogitsAE)


def make_wrong_shape():
    return _seeded(WrongShapeAE)


def make_misfit():
    """An encoder giving 4 values and a decoder taking 3."""
    torch.manual_seed(0)
    return (nn.Sequential(nn.Flatten(), nn.Linear(64, 4)),
            nn.Sequential(nn.Linear(3, 64), nn.Sigmoid()))


def make_nan():
    return _seeded(NaNAE)


def make_slow():
    return _seeded(SlowAE)


def make_cvae():
    """A conditional VAE, declared: both halves take class indices."""
    return {"model": _seeded(PlainCVAE), "data": "digits", "name": "my-cvae",
            "conditioning": {"classes": 10}}


def make_decoder_cae():
    return _seeded(DecoderConditionalAE)  # declares itself (latent_atlas_conditioning)


def make_cvae_undeclared():
    """A conditional VAE opened without saying so: its encoder wants a label."""
    return _seeded(PlainCVAE)


def make_cvae_too_few_classes():
    """Declares 3 classes; the digits have 10 labels."""
    return {"model": _seeded(PlainCVAE, D, 3), "conditioning": {"classes": 3}}


def make_cvae_encoder_not_conditional():
    """Declares a conditional encoder, but only the decoder takes the label."""
    return {"model": _seeded(DecoderConditionalAE),
            "conditioning": {"classes": 10, "form": "one-hot"}}


def make_cvae_wrong_form():
    """Declares class indices; the decoder wants one-hot vectors."""
    return {"model": _seeded(DecoderConditionalAE),
            "conditioning": {"classes": 10, "encoder": False}}


def make_cvae_bad_declaration():
    return {"model": _seeded(PlainCVAE), "conditioning": {"classes": 10, "form": "binary"}}


def make_raises():
    raise RuntimeError("the checkpoint is missing")


def make_nothing():
    return 42
