"""Training choices and the comparison pair (torch is imported inside the functions).

`make_config` turns user choices (CLI flags or the Train dialog) into a ModelConfig.
`train_pair` trains two models identical in everything but their kind:

    gen = train_pair(config, data.images)       # one generator, one progress stream
    for event in gen: bar.set(event.fraction)   # PairProgress
    pair = drain(gen)                           # PairResult: .results["ae"], ["vae"]

Same architecture, latent size, data, hyper-parameters and seed, so the same weights
initialise both trunks and the same train / validation split and batch order are used;
only the kind (the VAE's log-variance head and KL term) differs. That is what makes the
side-by-side comparison fair.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from latent_atlas.explorer.core.progress import Progress, is_cancelled, relay
from latent_atlas.models.config import Arch, Kind, ModelConfig, default_hidden, field_default
from latent_atlas.models.kinds import KINDS, kind_spec

# Kept free of torch so the CLI's --help and the dialog can list the kinds cheaply.
KIND_LABELS = {name: spec.short for name, spec in KINDS.items()}
BETA_VAE_DEFAULT = KINDS["beta-vae"].default_beta


class TrainingChoiceError(ValueError):
    """A choice that does not fit the data (e.g. a conditional VAE on unlabelled data)."""


def make_config(data: Any, *, kind: Kind, arch: Arch, latent_dim: int,
                hidden: tuple[int, ...] | None = None, beta: float | None = None,
                **options: Any) -> ModelConfig:
    """Config for `data` (an ImageSet): input shape from the data, default widths for the
    architecture, beta 4 for a beta-VAE unless given, and the class count for a CVAE.
    `options` are any other ModelConfig fields (lr, epochs, noise_level, ...)."""
    spec = kind_spec(kind)
    if beta is None:
        beta = spec.default_beta
    n_classes = 0
    if spec.conditional:
        if data.labels is None or len(data.labels) == 0:
            raise TrainingChoiceError(
                f"a {spec.short} needs labels, and {data.spec or 'this data set'} has none")
        n_classes = max(len(data.label_names), int(data.labels.max()) + 1)
    return ModelConfig(kind=kind, arch=arch, input_shape=data.shape, latent_dim=latent_dim,
                       hidden=hidden or default_hidden(arch, data.shape), beta=beta,
                       n_classes=n_classes, **options)

# The one strength option of each regularised kind: (config field, label, default).
PENALTY_FIELD = {
    name: (spec.penalty, next(o.label for o in spec.options if o.field == spec.penalty),
           float(field_default(spec.penalty)))
    for name, spec in KINDS.items() if spec.penalty
}



@dataclass(frozen=True)
class PairProgress(Progress):
    """Progress of the whole pair: `kind` being trained (`index` of `count`) and the
    trainer's own `event`; `stage` is the event's, `fraction` is of the whole pair (0..1)."""

    stage: str = field(default="", init=False)
    fraction: float | None = field(default=None, init=False)
    message: str = field(default="", init=False)
    kind: str
    index: int
    count: int
    event: Any

    def __post_init__(self) -> None:
        e = self.event
        object.__setattr__(self, "stage", e.stage)
        object.__setattr__(self, "fraction", (self.index + (e.fraction or 0.0)) / self.count)
        object.__setattr__(self, "message", (
            f"{self.kind.upper()} ({self.index + 1}/{self.count}): epoch {e.epoch}/{e.epochs}"
            + (f", batch {e.step}/{e.steps}" if e.stage == "batch" else "")))


@dataclass
class PairResult:
    """The trainer's `TrainResult` per kind (in training order) and the overall status."""

    results: dict[str, Any] = field(default_factory=dict)
    status: str = "completed"
    message: str = ""

    def model(self, kind: str) -> Any:
        return self.results[kind].model


def pair_configs(config: Any, kinds: tuple[str, str] = ("ae", "vae")) -> list[Any]:
    """The pair's configs: `config` with only `kind` replaced."""
    if len(kinds) != 2 or kinds[0] == kinds[1]:
        raise ValueError(f"a comparison pair needs two different kinds, not {kinds}")
    return [config.replace(kind=k) for k in kinds]


def train_pair(config: Any, images: np.ndarray, *, labels: np.ndarray | None = None,
               kinds: tuple[str, str] = ("ae", "vae"), device: str = "auto",
               cancel: Any = None) -> Generator[PairProgress, None, PairResult]:
    """Train both models of a pair one after the other as one progress stream.

    A cancel (Event-like or callable) stops the current model at its next batch, keeping its
    last complete epoch, and skips the rest: `status` "cancelled". A diverged model stops
    the pair too (status "diverged"); the message says which model and why.
    """
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import train

    configs = pair_configs(config, kinds)
    result = PairResult()
    for i, cfg in enumerate(configs):
        if is_cancelled(cancel):  # keep what the first model finished
            result.status = "cancelled"
            result.message = f"Cancelled before training the {cfg.kind.upper()}."
            return result
        model = build_model(cfg)
        trained = yield from relay(
            train(model, images, labels=labels, device=device, cancel=cancel),
            partial(PairProgress, cfg.kind, i, len(configs)))
        result.results[cfg.kind] = trained
        if trained.status != "completed":
            result.status = trained.status
            result.message = f"{cfg.kind.upper()}: {trained.message}"
            return result
    result.message = (f"Trained {' and '.join(k.upper() for k in kinds)} with identical "
                      f"settings ({config.arch}, latent {config.latent_dim}, "
                      f"{config.epochs} epochs, seed {config.seed}).")
    return result


def latent_identity_map(model: Any, data: Any) -> Any:
    """The map a trained pair stores for a 2-D latent: the latent itself (an identity map
    of the data's mean codes, as `latent-atlas project --method identity` stores it), or
    None for a wider latent (whose map is fitted later: `project`, or the window)."""
    if int(model.latent_dim) != 2:
        return None
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.latent.map import build_map
    from latent_atlas.explorer.core.progress import drain

    codes = encode(model, data.images, labels=data.labels if model.config.is_conditional
                   else None)
    latent_map = drain(build_map(codes, "identity"))
    latent_map.params["data_spec"] = data.spec
    return latent_map
