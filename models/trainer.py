"""Training as a plain generator: yields progress, returns the result, honours cancel.

    gen = train(model, images)
    for event in gen: ...           # a TrainProgress per batch, a TrainProgress per epoch
    result = drain(gen)             # the generator's return value is a TrainResult

`run_training` drains it for callers that only want the result.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from .cancel import is_cancelled
from .device import resolve_device
from .losses import loss_terms
from .networks import Autoencoder
from .objectives import NonFiniteLoss, make_step
from .progress import Progress, drain
from .stacked import pretrain_layerwise

Status = Literal["completed", "cancelled", "diverged"]


@dataclass(frozen=True, kw_only=True)
class TrainProgress(Progress):
    """One progress report. `stage` is "pretrain", "batch" or "epoch"; `val` is set on
    epoch reports; `fraction` is of the whole run, from `epoch` and `step`."""

    fraction: float | None = field(default=None, init=False)
    epoch: int  # 1-based epoch being trained (or just finished)
    epochs: int
    step: int  # 1-based batch within the epoch
    steps: int  # batches per epoch
    losses: dict[str, float]
    val: dict[str, float] | None = None
    images_per_s: float = 0.0
    eta_s: float = 0.0

    def __post_init__(self) -> None:
        done = (self.epoch - 1) * self.steps + self.step
        object.__setattr__(self, "fraction", done / max(1, self.epochs * self.steps))


@dataclass
class TrainResult:
    model: Autoencoder
    history: list[dict[str, Any]] = field(default_factory=list)
    status: Status = "completed"
    message: str = ""
    epochs_completed: int = 0


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train / validation split of range(n)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_val = int(round(n * val_fraction)) if n >= 10 else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def to_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images to float32 in [0, 1] (data stays uint8 until a batch is made)."""
    return batch.float().div_(255.0)


def train(
    model: Autoencoder,
    images: np.ndarray | torch.Tensor,
    *,
    labels: np.ndarray | None = None,
    epochs: int | None = None,
    val_fraction: float = 0.1,
    device: str = "auto",
    cancel: Any = None,
    history: list[dict[str, Any]] | None = None,
) -> Generator[TrainProgress, None, TrainResult]:
    """Train `model` on uint8 images N x C x H x W with its config's hyper-parameters.

    Cancellation (`cancel.is_set()` or `cancel()`) is checked before every batch and keeps
    the weights of the last complete epoch. A non-finite loss stops training, restores the
    last good weights and returns status "diverged" with a readable message.
    """
    cfg = model.config
    epochs = cfg.epochs if epochs is None else epochs
    dev = resolve_device(device)
    # np.require copies read-only arrays (e.g. np.frombuffer, memory maps): torch needs
    # writable memory to share it.
    data = images if isinstance(images, torch.Tensor) else torch.from_numpy(
        np.require(np.asarray(images), requirements="W"))
    if data.dtype != torch.uint8:
        raise ValueError(f"training images must be uint8, not {data.dtype}")
    if tuple(data.shape[1:]) != tuple(cfg.input_shape):
        raise ValueError(
            f"images are {tuple(data.shape[1:])} (C, H, W) but the model expects {cfg.input_shape}"
        )
    if len(data) == 0:
        raise ValueError("there are no images to train on")

    train_idx, val_idx = split_indices(len(data), val_fraction, cfg.seed)
    x_train = data[torch.as_tensor(train_idx)].to(dev)
    x_val = data[torch.as_tensor(val_idx)].to(dev) if len(val_idx) else None
    history = list(history or [])

    y_all = None
    if cfg.is_conditional:
        if labels is None:
            raise ValueError("a conditional VAE needs labelled data; this data set has no labels")
        y_all = torch.from_numpy(np.require(np.asarray(labels), requirements="W")).long()
        if len(y_all) != len(data):
            raise ValueError(f"{len(data)} images but {len(y_all)} labels")
        if int(y_all.min()) < 0 or int(y_all.max()) >= cfg.n_classes:
            raise ValueError(f"labels must be in 0..{cfg.n_classes - 1} for this conditional model")
    y_train = y_all[torch.as_tensor(train_idx)].to(dev) if y_all is not None else None
    y_val = y_all[torch.as_tensor(val_idx)].to(dev) if y_all is not None and len(val_idx) else None

    model.to(dev)
    step_fn = make_step(model)
    torch.manual_seed(cfg.seed + 1)  # reparameterisation noise
    shuffle = torch.Generator().manual_seed(cfg.seed + 2)
    good_state = copy.deepcopy(model.state_dict())
    n = len(x_train)
    bs = min(cfg.batch_size, n)
    steps = math.ceil(n / bs)
    result = TrainResult(model=model, history=history)
    t_start = time.perf_counter()
    seen = 0

    if cfg.pretrain_epochs and not history:
        model.train()
        done = yield from pretrain_layerwise(
            model, x_train, epochs=cfg.pretrain_epochs, cancel_check=lambda: is_cancelled(cancel),
            progress=lambda stage, stages, ep, st, sts, loss: TrainProgress(
                "pretrain", f"pretraining layer {stage}/{stages}, epoch {ep}", epoch=1,
                epochs=epochs, step=0, steps=steps, losses={f"layer{stage}": loss}))
        if not done:
            model.load_state_dict(good_state)
            model.eval()
            result.status = "cancelled"
            result.message = "Training cancelled during layer-wise pretraining; nothing was kept."
            return result
        good_state = copy.deepcopy(model.state_dict())

    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=shuffle).to(dev)
        sums: dict[str, float] = {}
        t_epoch = time.perf_counter()
        for step in range(1, steps + 1):
            if is_cancelled(cancel):
                model.load_state_dict(good_state)
                result.status = "cancelled"
                result.message = (
                    f"Training cancelled during epoch {epoch}; kept the weights of "
                    f"{'epoch ' + str(epoch - 1) if epoch > 1 else 'the start (no epoch finished)'}."
                )
                model.eval()
                return result
            idx = order[(step - 1) * bs : step * bs]
            batch = to_float(x_train[idx])
            try:
                values = step_fn(batch, y_train[idx] if y_train is not None else None)
            except NonFiniteLoss as exc:
                model.load_state_dict(good_state)
                model.eval()
                result.status = "diverged"
                result.message = (
                    f"Training stopped at epoch {epoch}, batch {step}: {exc} (not a finite "
                    "number). The last good weights were kept; try a smaller learning rate."
                )
                return result
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + v * len(batch)
            seen += len(batch)
            elapsed = time.perf_counter() - t_start
            rate = seen / elapsed if elapsed > 0 else 0.0
            remaining = (epochs - epoch) * n + (n - min(step * bs, n))
            yield TrainProgress("batch", epoch=epoch, epochs=epochs, step=step, steps=steps,
                                losses=values, images_per_s=rate, eta_s=remaining / rate if rate else 0.0)
        train_means = {k: v / n for k, v in sums.items()}
        val = evaluate(model, x_val, labels=y_val) if x_val is not None else None
        good_state = copy.deepcopy(model.state_dict())
        result.epochs_completed = epoch
        record = {"epoch": len(history) + 1, "train": train_means, "val": val,
                  "seconds": time.perf_counter() - t_epoch}
        history.append(record)
        elapsed = time.perf_counter() - t_start
        rate = seen / elapsed if elapsed > 0 else 0.0
        yield TrainProgress("epoch", epoch=epoch, epochs=epochs, step=steps, steps=steps,
                            losses=train_means, val=val,
                            images_per_s=rate, eta_s=(epochs - epoch) * n / rate if rate else 0.0)
    model.eval()
    result.message = f"Trained {epochs} epoch(s)."
    return result


@torch.inference_mode()
def evaluate(model: Autoencoder, images: torch.Tensor, batch_size: int = 512,
             labels: torch.Tensor | None = None) -> dict[str, float]:
    """Mean loss terms over clean uint8 images, with the posterior mean (no sampling).

    Gradient-based terms (the contractive penalty) and the adversarial phases are left
    out: validation measures how well held-out images are reconstructed.
    """
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    for i in range(0, len(images), batch_size):
        batch = to_float(images[i : i + batch_size])
        y = labels[i : i + batch_size] if labels is not None else None
        for k, v in loss_terms(model.config, model(batch, y), batch).items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(batch)
    model.train(was_training)
    return {k: v / max(1, len(images)) for k, v in sums.items()}


def run_training(model: Autoencoder, images, on_progress: Callable[[TrainProgress], None] | None = None,
                 **kwargs) -> TrainResult:
    """Drain `train` and return its result; `on_progress` sees every event."""
    return drain(train(model, images, **kwargs), on_progress)
