"""Model configuration: one dataclass that rebuilds a model from a file alone."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["ae", "vae", "dae", "sae", "cae", "beta-vae", "cvae", "aae"]
Noise = Literal["gaussian", "masking"]
VARIATIONAL_KINDS = ("vae", "beta-vae", "cvae")
KIND_NAMES = {
    "ae": "autoencoder",
    "vae": "variational autoencoder",
    "dae": "denoising autoencoder",
    "sae": "sparse autoencoder",
    "cae": "contractive autoencoder",
    "beta-vae": "beta-VAE",
    "cvae": "conditional VAE",
    "aae": "adversarial autoencoder",
}
Arch = Literal["mlp", "conv"]
Upsample = Literal["transpose", "nearest", "bilinear"]
ReconLoss = Literal["bce", "mse"]


class ConfigError(ValueError):
    """A configuration that cannot describe a model; the message says which field and why."""


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to build and train one autoencoder.

    `hidden` means hidden layer widths for `arch="mlp"` and conv channels (one stride-2
    block each) for `arch="conv"`. AE and VAE share the backbone; only the head differs.
    """

    kind: Kind = "vae"
    arch: Arch = "conv"
    input_shape: tuple[int, int, int] = (1, 8, 8)
    latent_dim: int = 8
    hidden: tuple[int, ...] = (32, 64)
    upsample: Upsample = "transpose"
    recon_loss: ReconLoss = "bce"
    beta: float = 1.0
    weight_decay: float = 0.0
    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 10
    seed: int = 0
    # Variant options (ignored by kinds that do not use them). Optional in files, so
    # models saved before a variant option existed still load.
    noise: Noise = "gaussian"  # dae: corruption type
    noise_level: float = 0.3  # dae: Gaussian sigma, or the fraction of pixels zeroed
    sparsity_weight: float = 1e-3  # sae: lambda
    sparsity_target: float = 0.0  # sae: 0 = L1 penalty, else the KL-to-rho target rho
    contractive_weight: float = 1e-2  # cae: lambda
    n_classes: int = 0  # cvae: number of labels the model is conditioned on
    adversarial_weight: float = 1.0  # aae: weight of the generator (regularisation) phase
    pretrain_epochs: int = 0  # mlp only: > 0 = stacked AE, greedy layer-wise pretraining
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))
        object.__setattr__(self, "hidden", tuple(int(v) for v in self.hidden))
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first field whose value is not allowed."""
        hints = typing.get_type_hints(ModelConfig)
        for f in dataclasses.fields(self):
            choices = _literal_choices(hints[f.name])
            value = getattr(self, f.name)
            if choices and value not in choices:
                raise ConfigError(
                    f"{f.name} must be one of {', '.join(map(str, choices))}, not {value!r}"
                )
        if len(self.input_shape) != 3:
            raise ConfigError(f"input_shape must be (channels, height, width), not {self.input_shape}")
        c, h, w = self.input_shape
        if c not in (1, 3):
            raise ConfigError(f"images must have 1 or 3 channels, not {c}")
        if h < 4 or w < 4:
            raise ConfigError(f"images must be at least 4x4 pixels, not {h}x{w}")
        if self.latent_dim < 1:
            raise ConfigError(f"latent_dim must be at least 1, not {self.latent_dim}")
        if not self.hidden or min(self.hidden) < 1:
            raise ConfigError(f"hidden must list positive sizes, not {self.hidden}")
        if self.batch_size < 1 or self.epochs < 0:
            raise ConfigError("batch_size must be >= 1 and epochs >= 0")
        if not (self.lr > 0) or self.beta < 0 or self.weight_decay < 0:
            raise ConfigError("lr must be > 0, beta and weight_decay >= 0")
        if self.kind == "dae" and not (0 < self.noise_level < (1 if self.noise == "masking" else 10)):
            raise ConfigError(f"noise_level {self.noise_level} is out of range for {self.noise} noise")
        if self.kind == "sae" and not (0 <= self.sparsity_target < 1 and self.sparsity_weight >= 0):
            raise ConfigError("sparsity_target must be in [0, 1) and sparsity_weight >= 0")
        if self.kind == "cae" and self.contractive_weight < 0:
            raise ConfigError("contractive_weight must be >= 0")
        if self.kind == "cvae" and self.n_classes < 2:
            raise ConfigError("a conditional VAE needs labelled data with at least 2 classes")
        if self.pretrain_epochs < 0:
            raise ConfigError("pretrain_epochs must be >= 0")
        if self.pretrain_epochs and (self.arch != "mlp" or self.kind in ("cvae", "aae")):
            raise ConfigError("layer-wise pretraining (stacked AE) needs arch mlp and a plain, "
                              "denoising, sparse, contractive or variational kind")

    @property
    def is_variational(self) -> bool:
        return self.kind in VARIATIONAL_KINDS

    @property
    def is_conditional(self) -> bool:
        return self.kind == "cvae"

    def replace(self, **changes: Any) -> ModelConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["input_shape"] = list(self.input_shape)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: object) -> ModelConfig:
        """Build from a dict, refusing unknown keys and naming missing ones."""
        if not isinstance(d, dict):
            raise ConfigError(f"a model config must be a mapping, not {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        required = set(CORE_FIELDS)
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"unknown config key(s): {', '.join(unknown)}")
        missing = sorted(required - set(d))
        if missing:
            raise ConfigError(f"missing config key(s): {', '.join(missing)}")
        try:
            return cls(**d)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"invalid config value: {exc}") from exc


CORE_FIELDS = ("kind", "arch", "input_shape", "latent_dim", "hidden", "upsample", "recon_loss",
               "beta", "weight_decay", "lr", "batch_size", "epochs", "seed")


def _literal_choices(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)
    return ()


def default_hidden(arch: str, input_shape: tuple[int, int, int]) -> tuple[int, ...]:
    """Sensible default widths: two conv blocks for small images, three from 28 px up."""
    _, h, w = input_shape
    if arch == "mlp":
        n = input_shape[0] * h * w
        return (512, 256) if n >= 512 else (128, 64)
    return (32, 64) if min(h, w) < 16 else (32, 64, 128)
