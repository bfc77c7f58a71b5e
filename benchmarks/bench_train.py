"""Trainer throughput against a minimal bare PyTorch loop, alternating in one process.

Trains the same conv VAE on the same data with `latent_atlas.models.trainer.train` and with a bare
loop (no events, no validation, no snapshots), several alternating rounds, and prints
images/s for each. Last line: `train_throughput_ratio=R` (app / bare; goal >= 0.90).

    python benchmarks/bench_train.py [--rounds 3] [--epochs 1]
"""

from __future__ import annotations

import argparse
import gzip
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from latent_atlas.models.config import ModelConfig  # noqa: E402
from latent_atlas.models.losses import loss_terms  # noqa: E402
from latent_atlas.models.networks import build_model  # noqa: E402
from latent_atlas.models.trainer import run_training, split_indices  # noqa: E402

MNIST = ROOT.parent / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"


def load_images() -> tuple[np.ndarray, str]:
    if MNIST.exists():
        raw = gzip.decompress(MNIST.read_bytes())
        n, h, w = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, h, w).copy(), "mnist-test"
    from sklearn.datasets import load_digits

    imgs = np.round(load_digits().images * 255 / 16).astype(np.uint8)[:, None]
    return np.concatenate([imgs] * 5), "digits x5"


def bare_loop(cfg: ModelConfig, images: np.ndarray, epochs: int) -> float:
    """The least a training loop can do: returns images/s over the same training split."""
    model = build_model(cfg)
    train_idx, _ = split_indices(len(images), 0.1, cfg.seed)
    x = torch.as_tensor(images[train_idx])
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(0)
    n, bs = len(x), cfg.batch_size
    t = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(math.ceil(n / bs)):
            batch = x[order[i * bs:(i + 1) * bs]].float() / 255
            loss = loss_terms(cfg, model(batch), batch)["total"]
            opt.zero_grad()
            loss.backward()
            opt.step()
    return n * epochs / (time.perf_counter() - t)


def app_loop(cfg: ModelConfig, images: np.ndarray, epochs: int) -> float:
    model = build_model(cfg)
    train_idx, _ = split_indices(len(images), 0.1, cfg.seed)
    t = time.perf_counter()
    result = run_training(model, images, epochs=epochs, device="cpu")
    assert result.status == "completed", result.message
    return len(train_idx) * epochs / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args()
    images, name = load_images()
    c, h, w = images.shape[1:]
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(c, h, w), latent_dim=16,
                      hidden=(32, 64), batch_size=128, epochs=args.epochs)
    print(f"data={name} n={len(images)} shape={(c, h, w)} threads={torch.get_num_threads()}")
    bare_loop(cfg, images[:1024], 1)  # warm-up: first-call allocations and kernels
    app_rates, bare_rates = [], []
    for r in range(args.rounds):
        app_rates.append(app_loop(cfg, images, args.epochs))
        bare_rates.append(bare_loop(cfg, images, args.epochs))
        print(f"round {r + 1}: app {app_rates[-1]:.0f} img/s  bare {bare_rates[-1]:.0f} img/s")
    app, bare = float(np.median(app_rates)), float(np.median(bare_rates))
    # Each round runs both back to back, so the per-round ratio cancels most of the drift
    # in machine load; the median over rounds drops the outliers.
    ratio = float(np.median(np.array(app_rates) / np.array(bare_rates)))
    print(f"app_images_per_s={app:.0f} bare_images_per_s={bare:.0f}")
    print(f"train_throughput_ratio={ratio:.3f}")


if __name__ == "__main__":
    main()
