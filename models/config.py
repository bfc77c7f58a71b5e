"""Model configuration: one dataclass that rebuilds a model from a file alone."""

from __future__ import annotations

import dataclasses
import math
import numbers
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from .kinds import KINDS

# The kinds of models/kinds.py, as a Literal for the type checker (a test checks they agree).
Kind = Literal["ae", "vae", "dae", "sae", "cae", "beta-vae", "cvae", "aae", "caae"]
Noise = Literal["gaussian", "masking"]
VARIATIONAL_KINDS = tuple(name for name, spec in KINDS.items() if spec.variational)
KIND_NAMES = {name: spec.long for name, spec in KINDS.items()}
Arch = Literal["mlp", "conv"]
Upsample = Literal["transpose", "nearest", "bilinear", "bed-of-nails", "max-unpool"]
Downsample = Literal["stride", "max", "avg"]
UPSAMPLE_CHOICES: tuple[str, ...] = typing.get_args(Upsample)
DOWNSAMPLE_CHOICES: tuple[str, ...] = typing.get_args(Downsample)
ReconLoss = Literal["bce", "mse"]


def downsample_choices(upsample: str, arch: str = "conv") -> tuple[str, ...]:
    """The encoder downsamplings a decoder upsampling can be built with: max-unpooling
    needs the switches of max pooling; an MLP has neither to choose."""
    if arch != "conv":
        return ()
    return ("max",) if upsample == "max-unpool" else DOWNSAMPLE_CHOICES


class ConfigError(ValueError):
    """A configuration that cannot describe a model; the message says which field and why."""


# Bounds checked before a network is built, so no file or flag can ask for a terabyte.
MAX_SIDE = 4096  # pixels per image side
MAX_LATENT = 4096
MAX_WIDTH = 65_536  # units of a hidden layer / channels of a conv block
MAX_LAYERS = 16
MAX_CLASSES = 100_000  # as many as a data source may label (latent_atlas.explorer.core.data)
MAX_BATCH = 65_536
MAX_EPOCHS = 1_000_000
MAX_SEED = 2**63 - 3  # the trainer seeds torch with seed + 2
MAX_PARAMETERS = 100_000_000  # 400 MB of float32 weights; training needs about 4x that


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to build and train one autoencoder.

    `hidden` means hidden layer widths for `arch="mlp"` and conv channels (one stride-2
    block each) for `arch="conv"`. AE and VAE share the backbone; only the head differs.
    `downsample` is how a conv encoder block halves the size (a stride-2 convolution, or a
    stride-1 convolution then 2x2 max or average pooling); `upsample` how a decoder block
    doubles it. `max-unpool` puts values back where the encoder's max-pooling switches
    say, so it needs `downsample="max"` and an encoded image: it cannot decode a code alone.
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
    n_classes: int = 0  # cvae, caae: number of labels the model is conditioned on
    adversarial_weight: float = 1.0  # aae, caae: weight of the generator (regularisation) phase
    pretrain_epochs: int = 0  # mlp only: > 0 = stacked AE, greedy layer-wise pretraining
    downsample: Downsample = "stride"  # conv only; files without it load as "stride"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Types first (a file may hold anything): whole numbers, finite reals, sizes.
        for name in _INT_FIELDS:
            object.__setattr__(self, name, _whole(name, getattr(self, name)))
        for name in _REAL_FIELDS:
            object.__setattr__(self, name, _real(name, getattr(self, name)))
        object.__setattr__(self, "input_shape", _sizes("input_shape", self.input_shape))
        object.__setattr__(self, "hidden", _sizes("hidden", self.hidden))
        if not isinstance(self.extra, dict):
            raise ConfigError(f"extra must be a table, not {self.extra!r}")
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first field whose value is not allowed."""
        hints = typing.get_type_hints(ModelConfig)
        for f in dataclasses.fields(self):
            choices = _literal_choices(hints[f.name])
            value = getattr(self, f.name)
            if choices and not (isinstance(value, str) and value in choices):
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
        if h > MAX_SIDE or w > MAX_SIDE:
            raise ConfigError(f"images must be at most {MAX_SIDE}x{MAX_SIDE} pixels, not {h}x{w}")
        _bounded("latent_dim", self.latent_dim, 1, MAX_LATENT)
        if not self.hidden or min(self.hidden) < 1:
            raise ConfigError(f"hidden must list positive sizes, not {self.hidden}")
        if len(self.hidden) > MAX_LAYERS or max(self.hidden) > MAX_WIDTH:
            raise ConfigError(f"hidden is too large: at most {MAX_LAYERS} sizes of at most "
                              f"{MAX_WIDTH:,} each, not {self.hidden}")
        _bounded("batch_size", self.batch_size, 1, MAX_BATCH)
        _bounded("epochs", self.epochs, 0, MAX_EPOCHS)
        _bounded("pretrain_epochs", self.pretrain_epochs, 0, MAX_EPOCHS)
        _bounded("seed", self.seed, 0, MAX_SEED)
        _bounded("n_classes", self.n_classes, 0, MAX_CLASSES)
        if not (self.lr > 0) or self.beta < 0 or self.weight_decay < 0:
            raise ConfigError("lr must be > 0, beta and weight_decay >= 0")
        if self.kind == "dae" and not (0 < self.noise_level < (1 if self.noise == "masking" else 10)):
            raise ConfigError(f"noise_level {self.noise_level} is out of range for {self.noise} noise")
        if self.kind == "sae" and not (0 <= self.sparsity_target < 1 and self.sparsity_weight >= 0):
            raise ConfigError("sparsity_target must be in [0, 1) and sparsity_weight >= 0")
        if self.kind == "cae" and self.contractive_weight < 0:
            raise ConfigError("contractive_weight must be >= 0")
        if self.is_adversarial and self.adversarial_weight < 0:
            raise ConfigError("adversarial_weight must be >= 0")
        if self.is_conditional and self.n_classes < 2:
            raise ConfigError(f"a {KINDS[self.kind].short} needs labelled data with at least "
                              "2 classes")
        if self.pretrain_epochs and (self.arch != "mlp" or not KINDS[self.kind].pretrainable):
            able = ", ".join(k for k, spec in KINDS.items() if spec.pretrainable)
            raise ConfigError(f"layer-wise pretraining (stacked AE) needs arch mlp and one of "
                              f"the kinds {able}")
        if self.arch == "mlp" and (self.upsample, self.downsample) != ("transpose", "stride"):
            raise ConfigError(
                "upsample and downsample choose how conv blocks change the image size; an MLP "
                f"has none (use arch conv, or leave them at transpose and stride, not "
                f"{self.upsample} and {self.downsample})")
        if self.upsample == "max-unpool" and (self.arch != "conv" or self.downsample != "max"):
            raise ConfigError(
                "upsample max-unpool needs the encoder's max-pooling switches: use it with "
                f"arch conv and downsample max (not arch {self.arch}, downsample "
                f"{self.downsample})")
        n = parameter_count(self)
        if n > MAX_PARAMETERS:
            raise ConfigError(
                f"this model is too large: {n:,} parameters ({n * 4 / 2**30:.1f} GB of weights, "
                f"about four times that to train); at most {MAX_PARAMETERS:,} fit the memory "
                "budget. Use arch conv, smaller images, fewer hidden units or a smaller latent")

    @property
    def is_variational(self) -> bool:
        return self.kind in VARIATIONAL_KINDS

    @property
    def is_conditional(self) -> bool:
        return KINDS[self.kind].conditional

    @property
    def is_adversarial(self) -> bool:
        """A latent discriminator pushes the codes towards the prior (aae, caae)."""
        return KINDS[self.kind].adversarial

    @property
    def label_in_encoder(self) -> bool:
        """A conditional model whose encoder also takes the label (the CVAE; not the CAAE)."""
        return self.is_conditional and KINDS[self.kind].label_in_encoder

    @property
    def needs_switches(self) -> bool:
        """The decoder needs the encoder's max-pooling switches (max-unpooling): it decodes
        an encoded image, never a code on its own, so it cannot generate."""
        return self.arch == "conv" and self.upsample == "max-unpool"

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
        if d.get("arch") == "mlp":  # files from before MLPs refused these: they were unused
            d = {**d, "upsample": "transpose", "downsample": "stride"}
        try:
            return cls(**d)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"invalid config value: {exc}") from exc


CORE_FIELDS = ("kind", "arch", "input_shape", "latent_dim", "hidden", "upsample", "recon_loss",
               "beta", "weight_decay", "lr", "batch_size", "epochs", "seed")


# Every field annotated int or float is type-checked when a config is made (a new kind's
# option included, with no list to extend by hand).
_INT_FIELDS = tuple(f.name for f in dataclasses.fields(ModelConfig) if f.type == "int")
_REAL_FIELDS = tuple(f.name for f in dataclasses.fields(ModelConfig) if f.type == "float")


def _whole(name: str, value: Any) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise ConfigError(f"{name} must be a whole number, not {value!r}")


def _real(name: str, value: Any) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise ConfigError(f"{name} must be a finite number, not {value!r}")


def _sizes(name: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or len(value) > 64:
        raise ConfigError(f"{name} must be a list of whole numbers, not {value!r}")
    return tuple(_whole(name, v) for v in value)


def _bounded(name: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo:,} and {hi:,}, not {value:,}")


def _halves(size: int, blocks: int) -> list[int]:
    """Spatial size after each stride-2 conv block: ceil(s / 2) (as in networks.py)."""
    sizes = [size]
    for _ in range(blocks):
        sizes.append(-(-sizes[-1] // 2))
    return sizes


def parameter_count(cfg: ModelConfig) -> int:
    """Parameters of the network `cfg` builds (latent_atlas.models.networks), counted without torch."""
    c, h, w = cfg.input_shape
    n_cond = cfg.n_classes if cfg.is_conditional else 0
    total = 0
    if cfg.arch == "conv":
        prev = c
        for ch in cfg.hidden:  # encoder blocks
            total += prev * ch * 9 + ch
            prev = ch
        hs, ws = _halves(h, len(cfg.hidden)), _halves(w, len(cfg.hidden))
        features = prev * hs[-1] * ws[-1]
        total += (cfg.latent_dim + n_cond + 1) * features  # decoder fc to the first block
        chans = list(reversed(cfg.hidden))
        outs = chans[1:] + [chans[-1]]
        total += sum(cin * cout * 9 + cout for cin, cout in zip(chans, outs, strict=True))
        total += outs[-1] * c * 9 + c  # last conv to the image
    else:
        prev = c * h * w
        for width in cfg.hidden:
            total += (prev + 1) * width
            prev = width
        features = prev
        prev = cfg.latent_dim + n_cond
        for width in reversed(cfg.hidden):
            total += (prev + 1) * width
            prev = width
        total += (prev + 1) * c * h * w
    heads = 2 if cfg.is_variational else 1
    n_enc = n_cond if cfg.label_in_encoder else 0
    total += heads * (features + n_enc + 1) * cfg.latent_dim
    if cfg.is_adversarial:  # LatentDiscriminator(latent_dim, 64)
        total += (cfg.latent_dim + 1) * 64 + 65 * 64 + 65
    return total


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


def field_default(name: str) -> Any:
    """The default of a ModelConfig field (kind options take theirs from here)."""
    return {f.name: f.default for f in dataclasses.fields(ModelConfig)}[name]
