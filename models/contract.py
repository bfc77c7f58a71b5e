"""The one model contract: what everything above `models/` may ask of an autoencoder.

Latent Atlas's own `Autoencoder` implements it, and so do the adapters of
`models/sources/` (a user's plain `nn.Module` or (encoder, decoder) pair, an ONNX pair,
pythae and diffusers models). The inference runner (`latent_atlas.explorer.core.inference`), the
session, the metrics, the panels and the CLI speak to this and nothing else:

    mu, logvar = model.encode(x, y)    # x: N x C x H x W floats in [0, 1]; codes N x d
                                       # (flattened spatial latents); logvar None if not
                                       # variational
    images = model.decode(z, y)        # z: N x d -> N x C x H x W in [0, 1]
    model.image_shape                  # (C, H, W)
    model.code_shape                   # (d,) or (C, h, w): how a flat code is restored
    model.latent_dim                   # prod(code_shape): the width of a flat code
    model.variational                  # encode gives a log-variance
    model.n_cond, model.label_names    # conditioning labels (0 and () when none)
    model.kind                         # a short name of what it is ("vae", "user-ae", ...)
    model.capabilities                 # what it can and cannot do (below)

`y` is passed only to a conditional model (`n_cond > 0`). A model is also a torch
`nn.Module` (eval/train, parameters: the runner's device and eval-mode policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch

# What a feature needs, and the sentence shown when a source cannot give it. Keys are
# capability names of `Capabilities`.
_MISSING = {
    "log_variance": "{name} is not variational (its encoder gives no log-variance), so "
                    "there is no KL per dimension or posterior spread to show",
    "prior": "{name} has no prior of its own to sample from; samples come from a Gaussian "
             "fitted to its codes",
    "labels": "{name} takes no labels (it is not conditional)",
    "trainable": "{name} was not built by Latent Atlas, so it cannot be trained or resumed "
                 "here; train it in your own code and open it again",
    "saveable": "{name} was not built by Latent Atlas, so it cannot be saved as a Latent "
                "Atlas model file; export its map instead (File ▸ Export, "
                "`latent-atlas export --format parquet`)",
    "switches": "{name} has no max-pooling switches",
}


@dataclass(frozen=True)
class Capabilities:
    """What a model can do beyond encode and decode; `why_not` says what is missing."""

    log_variance: bool = False  # encode gives (mean, log-variance): a VAE
    prior: bool = False  # decodes N(0, I) samples meaningfully (a VAE, an AAE)
    labels: bool = False  # conditional: encode and decode take labels
    trainable: bool = False  # a Latent Atlas network: train, resume, sweep
    saveable: bool = False  # written as a Latent Atlas safetensors file
    switches: bool = False  # a max-unpooling decoder needing the encoder's switches

    def why_not(self, capability: str, name: str = "this model") -> str:
        """The sentence for a feature that needs `capability` ("" when it is there)."""
        if getattr(self, capability):
            return ""
        return _MISSING[capability].format(name=name)


@runtime_checkable
class LatentModel(Protocol):
    """A model everything above `models/` can explore (see the module docstring)."""

    @property
    def image_shape(self) -> tuple[int, int, int]: ...
    @property
    def code_shape(self) -> tuple[int, ...]: ...
    @property
    def latent_dim(self) -> int: ...
    @property
    def variational(self) -> bool: ...
    @property
    def n_cond(self) -> int: ...
    @property
    def label_names(self) -> tuple[str, ...]: ...
    @property
    def kind(self) -> str: ...
    @property
    def seed(self) -> int: ...  # what held-out splits are drawn with (0 when unknown)
    @property
    def capabilities(self) -> Capabilities: ...
    @property
    def training(self) -> bool: ...

    def encode(self, x: torch.Tensor, y: Any = None
               ) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def decode(self, z: torch.Tensor, y: Any = None) -> torch.Tensor: ...

    def eval(self) -> Any: ...

    def train(self, mode: bool = True) -> Any: ...

    def parameters(self, recurse: bool = True) -> Any: ...


def code_width(code_shape: tuple[int, ...]) -> int:
    """The number of values in one flat code of `code_shape`."""
    n = 1
    for s in code_shape:
        n *= int(s)
    return n


def missing(model: Any, capability: str, name: str | None = None) -> str:
    """The sentence a feature shows when `model` lacks `capability` ("" when it has it).

    A model without `capabilities` (an old object) is treated as having none."""
    caps = getattr(model, "capabilities", None) or Capabilities()
    return caps.why_not(capability, name or f"this {getattr(model, 'kind', 'model')} model")


class ConfigContract:
    """The contract's descriptive half read from a `ModelConfig` at `self.config`: what
    Latent Atlas's own networks (and test doubles built on a config) mix in."""

    config: Any
    label_names: tuple[str, ...] = ()

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.config.input_shape)

    @property
    def code_shape(self) -> tuple[int, ...]:
        return (int(self.config.latent_dim),)

    @property
    def variational(self) -> bool:
        return bool(self.config.is_variational)

    @property
    def kind(self) -> str:
        return str(self.config.kind)

    @property
    def seed(self) -> int:
        return int(self.config.seed)

    @property
    def n_cond(self) -> int:
        return int(self.config.n_classes) if self.config.is_conditional else 0

    @property
    def capabilities(self) -> Capabilities:
        cfg = self.config
        return Capabilities(log_variance=cfg.is_variational,
                            prior=cfg.is_variational or cfg.is_adversarial,
                            labels=cfg.is_conditional, trainable=True, saveable=True,
                            switches=cfg.needs_switches)
