"""What the Train and Train-pair dialogs offer, Qt-free: the model kinds (from the
registry, `models/kinds.py`), the architectures, the conv blocks' up- and downsampling and which go
together, which options a kind uses, and the request a filled form makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from latent_atlas.explorer.core.training import BETA_VAE_DEFAULT, KIND_LABELS, PENALTY_FIELD
from latent_atlas.models.config import DOWNSAMPLE_CHOICES, UPSAMPLE_CHOICES, ModelConfig
from latent_atlas.models.config import downsample_choices as _downsample_choices
from latent_atlas.models.kinds import KINDS as _REGISTRY

from ..session import Session
from ..training import PairRequest, TrainRequest

_DEFAULT_KIND = ModelConfig.kind
KINDS: tuple[tuple[str, str], ...] = tuple(
    (k, f"{k.upper()} ({KIND_LABELS[k]})")
    for k in sorted(_REGISTRY, key=lambda k: k != _DEFAULT_KIND))
ARCHS = (("conv", "convolutional"), ("mlp", "fully connected (MLP)"))
NOISES = (("gaussian", "Gaussian noise"), ("masking", "masking noise"))
UPSAMPLE_LABELS = {
    "transpose": "transposed convolution",
    "nearest": "nearest resize + conv",
    "bilinear": "bilinear resize + conv",
    "bed-of-nails": "bed of nails (zero insertion) + conv",
    "max-unpool": "max-unpooling (needs the encoder; cannot generate)",
}
DOWNSAMPLE_LABELS = {"stride": "strided convolution", "max": "max pooling",
                     "avg": "average pooling"}
UPSAMPLES = tuple((k, UPSAMPLE_LABELS.get(k, k)) for k in UPSAMPLE_CHOICES)
DOWNSAMPLES = tuple((k, DOWNSAMPLE_LABELS.get(k, k)) for k in DOWNSAMPLE_CHOICES)


def downsample_choices(upsample: str, arch: str = "conv") -> tuple[str, ...]:
    """The encoder downsamplings allowed with the decoder's `upsample` (latent_atlas.models.config)."""
    return _downsample_choices(upsample, arch)


@dataclass(frozen=True)
class VariantFields:
    """Which of the kind's own options the Train dialog enables, and the penalty's field,
    title and default."""

    noise: bool
    penalty_field: str
    penalty_label: str
    penalty_default: float
    beta: bool
    pretrain: bool


def variant_fields(kind: str, arch: str) -> VariantFields:
    spec = _REGISTRY[kind]
    field_name, label, default = PENALTY_FIELD.get(kind, ("", "Penalty weight", 0.0))
    return VariantFields(noise=any(o.field == "noise" for o in spec.options),
                         penalty_field=field_name, penalty_label=label,
                         penalty_default=float(default), beta=spec.variational,
                         pretrain=arch == "mlp" and spec.pretrainable)


def beta_for_kind(kind: str, beta: float) -> float:
    """The β field after choosing `kind`: a kind with its own default β (the β-VAE)
    starts there, and leaving it puts the plain 1 back."""
    own = _REGISTRY[kind].default_beta
    if own != 1.0 and beta == 1.0:
        return own
    if own == 1.0 and beta == BETA_VAE_DEFAULT:
        return 1.0
    return beta


def train_extra(kind: str, arch: str, *, noise: str, noise_level: float, penalty: float,
                pretrain_epochs: int, sampling: dict[str, str]) -> dict[str, Any]:
    """The kind's own ModelConfig options (TrainRequest.extra) from the dialog's fields."""
    fields = variant_fields(kind, arch)
    extra: dict[str, Any] = {}
    if fields.noise:
        extra = {"noise": noise, "noise_level": noise_level}
    elif fields.penalty_field:
        extra = {fields.penalty_field: penalty}
    if fields.pretrain and pretrain_epochs:
        extra["pretrain_epochs"] = pretrain_epochs
    extra.update(sampling)
    return extra


def pair_request_for(session: Session | None) -> PairRequest:
    """The Train-pair dialog's first values: the shown pair's settings, else defaults."""
    if session is None:
        return PairRequest()
    return PairRequest.like(session.config, session.data_spec)


__all__ = ["ARCHS", "DOWNSAMPLES", "KINDS", "NOISES", "UPSAMPLES", "PairRequest", "TrainRequest",
           "VariantFields", "beta_for_kind", "downsample_choices", "pair_request_for",
           "train_extra", "variant_fields"]
