"""Train a comparison pair: two models identical in everything but their kind.

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
from typing import Any

import numpy as np

from .progress import is_cancelled


@dataclass(frozen=True)
class PairProgress:
    """Progress of the whole pair: `kind` being trained (`index` of `count`), the trainer's
    own event, and the `fraction` of the pair done (0..1)."""

    kind: str
    index: int
    count: int
    event: Any
    fraction: float

    @property
    def message(self) -> str:
        e = self.event
        return (f"{self.kind.upper()} ({self.index + 1}/{self.count}): epoch {e.epoch}/{e.epochs}"
                + (f", batch {e.step}/{e.steps}" if e.kind == "batch" else ""))


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
    from models.networks import build_model
    from models.trainer import train

    configs = pair_configs(config, kinds)
    result = PairResult()
    for i, cfg in enumerate(configs):
        if is_cancelled(cancel):  # keep what the first model finished
            result.status = "cancelled"
            result.message = f"Cancelled before training the {cfg.kind.upper()}."
            return result
        model = build_model(cfg)
        gen = train(model, images, labels=labels, device=device, cancel=cancel)
        while True:
            try:
                event = next(gen)
            except StopIteration as stop:
                trained = stop.value
                break
            yield PairProgress(cfg.kind, i, len(configs), event, (i + event.fraction) / len(configs))
        result.results[cfg.kind] = trained
        if trained.status != "completed":
            result.status = trained.status
            result.message = f"{cfg.kind.upper()}: {trained.message}"
            return result
    result.message = (f"Trained {' and '.join(k.upper() for k in kinds)} with identical "
                      f"settings ({config.arch}, latent {config.latent_dim}, "
                      f"{config.epochs} epochs, seed {config.seed}).")
    return result
