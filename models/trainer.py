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
from .distributed import Local
from .losses import loss_terms
from .networks import Autoencoder
from .objectives import NonFiniteLoss, make_step
from .progress import Progress, drain
from .stacked import pretrain_layerwise
from .train_state import TrainState, load_optimizers

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
    # Optimizer and generator states at the end of the last complete epoch (what a
    # resumed run continues from); None when no epoch finished.
    state: TrainState | None = None


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
    state: TrainState | None = None,
    group: Local | None = None,
) -> Generator[TrainProgress, None, TrainResult]:
    """Train `model` on uint8 images N x C x H x W with its config's hyper-parameters.

    Cancellation (`cancel.is_set()` or `cancel()`) is checked before every batch and keeps
    the weights of the last complete epoch. A non-finite loss stops training, restores the
    last good weights and returns status "diverged" with a readable message.

    Resuming: pass the earlier run's `history` (appended to, and the epochs counted on
    from it) and its `state` (optimizer moments and step counts, random generators; None
    starts a fresh optimizer). The train / validation split depends only on the data and
    the seed, so it is the same as before.

    `group` (latent_atlas.models.distributed) trains data-parallel when this process is one of several
    started by torchrun: each process trains on its share of every epoch with a
    `batch_size / world_size` batch (so the global batch stays `batch_size`), losses are
    summed over all of them, and cancel or a non-finite loss in any process stops all.
    """
    group = group or Local()
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
            raise ValueError("a conditional model needs labelled data; this data set has no labels")
        y_all = torch.from_numpy(np.require(np.asarray(labels), requirements="W")).long()
        if len(y_all) != len(data):
            raise ValueError(f"{len(data)} images but {len(y_all)} labels")
        if int(y_all.min()) < 0 or int(y_all.max()) >= cfg.n_classes:
            raise ValueError(f"labels must be in 0..{cfg.n_classes - 1} for this conditional model")
    y_train = y_all[torch.as_tensor(train_idx)].to(dev) if y_all is not None else None
    y_val = y_all[torch.as_tensor(val_idx)].to(dev) if y_all is not None and len(val_idx) else None

    # Each process validates its share and the sums are added up; with fewer validation
    # images than processes every process validates them all (same weights, same numbers).
    val_group = group if x_val is not None and len(x_val) >= group.world_size else Local()
    if val_group.world_size > 1 and x_val is not None:
        x_val = x_val[group.shard(len(x_val))]
        y_val = y_val[group.shard(len(y_val))] if y_val is not None else None

    model.to(dev)
    done_before = len(history)  # epochs of earlier runs (resuming)
    # Reparameterisation noise; each process of a data-parallel run draws its own.
    torch.manual_seed(cfg.seed + 1 + _RANK_SEED_STRIDE * group.rank
                      + (_EPOCH_SEED_STRIDE * done_before if group.world_size > 1 else 0))
    shuffle = torch.Generator().manual_seed(cfg.seed + 2)
    if state is not None and group.world_size == 1:
        _restore_generators(state, shuffle, dev)
    elif group.world_size == 1:
        for _ in range(done_before):  # an older file: continue the same sequence of orders
            torch.randperm(len(x_train), generator=shuffle)
    good_state = copy.deepcopy(model.state_dict())
    n = group.local_count(len(x_train))
    bs = min(math.ceil(cfg.batch_size / group.world_size), n)
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
        if group.any(not done):
            model.load_state_dict(good_state)
            model.eval()
            result.status = "cancelled"
            result.message = "Training cancelled during layer-wise pretraining; nothing was kept."
            return result
        good_state = copy.deepcopy(model.state_dict())

    step_fn = make_step(model, group)  # after pretraining: a DDP wrapper copies rank 0's weights
    optimizers = step_fn.optimizers()
    if state is not None:
        load_optimizers(optimizers, state)

    for epoch in range(1, epochs + 1):
        model.train()
        order = group.epoch_order(len(x_train), done_before + epoch - 1, shuffle).to(dev)
        sums: dict[str, float] = {}
        t_epoch = time.perf_counter()
        for step in range(1, steps + 1):
            if group.any(is_cancelled(cancel)):
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
                                losses=values, images_per_s=rate * group.world_size,
                                eta_s=remaining / rate if rate else 0.0)
        train_means = _mean_over(group, sums, n)
        val = None
        if x_val is not None:
            val_sums, n_val = evaluate_sums(model, x_val, labels=y_val)
            val = _mean_over(val_group, val_sums, n_val)
        good_state = copy.deepcopy(model.state_dict())
        result.state = TrainState(
            optimizers={k: copy.deepcopy(o.state_dict()) for k, o in optimizers.items()},
            rng=_generator_states(shuffle, dev))
        result.epochs_completed = epoch
        record = {"epoch": len(history) + 1, "train": train_means, "val": val,
                  "seconds": time.perf_counter() - t_epoch}
        history.append(record)
        elapsed = time.perf_counter() - t_start
        rate = seen / elapsed if elapsed > 0 else 0.0
        yield TrainProgress("epoch", epoch=epoch, epochs=epochs, step=steps, steps=steps,
                            losses=train_means, val=val, images_per_s=rate * group.world_size,
                            eta_s=(epochs - epoch) * n / rate if rate else 0.0)
    model.eval()
    result.message = f"Trained {epochs} epoch(s)."
    return result


_RANK_SEED_STRIDE = 1_000_003  # noise seeds of the processes of a data-parallel run
_EPOCH_SEED_STRIDE = 7_919  # ... and of a resumed one (generator states are per process)


def _mean_over(group: Local, sums: dict[str, float], count: float) -> dict[str, float]:
    """Means of loss sums over all processes (the sums themselves in one process)."""
    keys = list(sums)  # the same order in every process
    *totals, total_count = group.sum([sums[k] for k in keys] + [float(count)])
    return {k: v / max(1.0, total_count) for k, v in zip(keys, totals, strict=True)}


def _generator_states(shuffle: torch.Generator, dev: torch.device) -> dict[str, torch.Tensor]:
    states = {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state()}
    if dev.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(dev)
    return states


def _restore_generators(state: TrainState, shuffle: torch.Generator, dev: torch.device) -> None:
    """Continue the stored noise and batch-order sequences (states of a wrong size, from
    another torch build, are skipped: the run then resumes with fresh sequences)."""
    for name, setter in (("torch", torch.set_rng_state), ("shuffle", shuffle.set_state)):
        if name in state.rng:
            try:
                setter(state.rng[name])
            except (RuntimeError, ValueError):
                pass
    if dev.type == "cuda" and "cuda" in state.rng:
        try:
            torch.cuda.set_rng_state(state.rng["cuda"], dev)
        except (RuntimeError, ValueError):
            pass


@torch.inference_mode()
def evaluate(model: Autoencoder, images: torch.Tensor, batch_size: int = 512,
             labels: torch.Tensor | None = None) -> dict[str, float]:
    """Mean loss terms over clean uint8 images, with the posterior mean (no sampling).

    Gradient-based terms (the contractive penalty) and the adversarial phases are left
    out: validation measures how well held-out images are reconstructed.
    """
    sums, count = evaluate_sums(model, images, batch_size, labels)
    return {k: v / max(1, count) for k, v in sums.items()}


@torch.inference_mode()
def evaluate_sums(model: Autoencoder, images: torch.Tensor, batch_size: int = 512,
                  labels: torch.Tensor | None = None) -> tuple[dict[str, float], int]:
    """Sums of the loss terms of `evaluate` over `images`, and their count."""
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    for i in range(0, len(images), batch_size):
        batch = to_float(images[i : i + batch_size])
        y = labels[i : i + batch_size] if labels is not None else None
        for k, v in loss_terms(model.config, model(batch, y), batch).items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(batch)
    model.train(was_training)
    return sums, len(images)


def run_training(model: Autoencoder, images, on_progress: Callable[[TrainProgress], None] | None = None,
                 **kwargs) -> TrainResult:
    """Drain `train` and return its result; `on_progress` sees every event."""
    return drain(train(model, images, **kwargs), on_progress)
