"""A small image classifier: the second judge of a decoded image.

The pixel judge asks "is this decode close to some real image?"; a classifier asks "does
this decode look like *some* class?". A blurry blend of a 3 and an 8 can sit close to a
real image in pixel distance yet leave a classifier unsure. `ImageClassifier` is a small
convolutional network (two conv blocks, an adaptive pool to 4 x 4, two linear layers) that
works for any image size from 4 x 4 up and any channel count; `train_classifier` fits it
with Adam on uint8 images and labels, seeded, on the calling thread.

PyTorch only, like the rest of `models/`: where the classifier is cached and how its
scores become a hole judgement is `latent_atlas.explorer.core.analysis.gaps.judges`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import numpy as np
import torch
from torch import nn

CLASSIFIER_VERSION = 2


class ImageClassifier(nn.Module):
    """conv(C->16) ReLU maxpool, conv(16->32) ReLU, adaptive avg-pool 4x4, 512->64->K."""

    def __init__(self, channels: int, n_classes: int) -> None:
        super().__init__()
        if channels < 1 or n_classes < 2:
            raise ValueError(f"a classifier needs >= 1 channel and >= 2 classes, not "
                             f"{channels} and {n_classes}")
        self.channels = int(channels)
        self.n_classes = int(n_classes)
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(),
                                  nn.Linear(64, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N x K) of float images N x C x H x W in [0, 1]."""
        return self.head(self.features(x))


def _float_batch(images: np.ndarray) -> torch.Tensor:
    arr = np.asarray(images)
    if arr.dtype == np.uint8:
        return torch.from_numpy(arr.astype(np.float32) / np.float32(255.0))
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))


def training_steps(n_images: int, batch_size: int = 128, target_steps: int = 600,
                   min_epochs: int = 3, max_epochs: int = 30) -> int:
    """Epochs for about `target_steps` optimiser steps, between min and max epochs."""
    per_epoch = max(1, math.ceil(n_images / batch_size))
    return int(min(max_epochs, max(min_epochs, math.ceil(target_steps / per_epoch))))


def noise_images(n: int, shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    """n images of static: uniform noise at a random contrast around a random grey, half of
    them made sparse (most pixels dark), float in [0, 1]."""
    level = torch.rand(n, 1, 1, 1, generator=gen)
    contrast = torch.rand(n, 1, 1, 1, generator=gen)
    x = level + contrast * (torch.rand(n, *shape, generator=gen) - level)
    sparse = torch.rand(n, 1, 1, 1, generator=gen) < 0.5
    keep = torch.rand(n, *shape, generator=gen) < 0.25
    return torch.where(sparse & ~keep, torch.zeros(()), x).clamp(0.0, 1.0)


def train_classifier(images: np.ndarray, labels: np.ndarray, n_classes: int, *, seed: int = 0,
                     epochs: int | None = None, batch_size: int = 128, lr: float = 2e-3,
                     outlier_weight: float = 0.5,
                     on_epoch: Callable[[int, int], None] | None = None) -> ImageClassifier:
    """Fit an `ImageClassifier` to uint8 images (N x C x H x W) and integer labels, with
    noise images taught to give a uniform prediction (`outlier_weight`).

    Seeded (weights, batch order and noise). `on_epoch(done, total)` is called after each epoch
    (it may raise to cancel). Returns the network in eval mode.
    """
    from latent_atlas.models.progress import drain

    def each_step(event: tuple[int, int, int, int]) -> None:
        _, _, epoch_done, total = event
        if epoch_done and on_epoch is not None:
            on_epoch(epoch_done, total)

    return drain(train_classifier_steps(images, labels, n_classes, seed=seed, epochs=epochs,
                                        batch_size=batch_size, lr=lr,
                                        outlier_weight=outlier_weight), each_step)


def train_classifier_steps(images: np.ndarray, labels: np.ndarray, n_classes: int, *,
                           seed: int = 0, epochs: int | None = None, batch_size: int = 128,
                           lr: float = 2e-3, outlier_weight: float = 0.5
                           ) -> Generator[tuple[int, int, int, int], None, ImageClassifier]:
    """`train_classifier` as a generator, for progress inside the fit: yields (step, steps,
    epoch just finished or 0, epochs) after every optimiser step; returns the network."""
    x_all = np.asarray(images)
    y_all = np.asarray(labels).astype(np.int64).reshape(-1)
    if x_all.ndim != 4 or len(x_all) != len(y_all) or len(x_all) < 2:
        raise ValueError(f"a classifier needs N x C x H x W images and N labels (N >= 2), not "
                         f"{x_all.shape} and {y_all.shape}")
    if y_all.min() < 0 or y_all.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    total = training_steps(len(x_all), batch_size) if epochs is None else int(epochs)
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    net = ImageClassifier(x_all.shape[1], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    y_t = torch.from_numpy(y_all)
    shape = x_all.shape[1:]
    net.train()
    per_epoch = max(1, math.ceil(len(x_all) / batch_size))
    step = 0
    for epoch in range(total):
        order = torch.randperm(len(x_all), generator=gen).numpy()
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(_float_batch(x_all[idx])), y_t[idx])
            # Outlier exposure (Hendrycks et al., 2019): pure noise is taught to give a
            # uniform prediction, so the judge is not confidently fooled by static.
            noise = noise_images(max(2, len(idx) // 4), shape, gen)
            loss = loss - outlier_weight * torch.log_softmax(net(noise), dim=1).mean()
            loss.backward()
            opt.step()
            step += 1
            last = start + batch_size >= len(order)
            yield step, per_epoch * total, epoch + 1 if last else 0, total
    net.eval()
    return net


def class_probabilities(net: ImageClassifier, images: np.ndarray, batch_size: int = 1024
                        ) -> np.ndarray:
    """Softmax probabilities (float64 N x K) of uint8 or float [0, 1] images."""
    arr = np.asarray(images)
    out = np.empty((len(arr), net.n_classes), dtype=np.float64)
    net.eval()
    with torch.inference_mode():
        for start in range(0, len(arr), batch_size):
            logits = net(_float_batch(arr[start:start + batch_size]))
            out[start:start + len(logits)] = torch.softmax(logits.double(), dim=1).numpy()
    return out
