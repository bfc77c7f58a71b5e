"""Tiny models trained on `digits` for the application tests, trained once per session.

MLP autoencoders on the 8x8 digits train 20 epochs in about a second on the CPU; the
first 1,500 images (shuffled with a fixed seed) train, the rest are held out.
"""

from __future__ import annotations

import functools

import numpy as np

N_TRAIN = 1500


@functools.lru_cache(maxsize=1)
def digits_split():
    """(train ImageSet, held-out ImageSet) of the bundled digits."""
    from latent_atlas.explorer.core.data import load_data

    data = load_data("digits")
    order = np.random.default_rng(0).permutation(len(data))
    return data.subset(np.sort(order[:N_TRAIN])), data.subset(np.sort(order[N_TRAIN:]))


@functools.cache
def trained(kind: str, latent_dim: int = 8, epochs: int = 20, **options):
    """A model of `kind` trained on the training digits (cached: do not modify it)."""
    import torch

    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    train, _ = digits_split()
    if kind == "cvae":
        options.setdefault("n_classes", 10)
    cfg = ModelConfig(kind=kind, arch="mlp", input_shape=(1, 8, 8), latent_dim=latent_dim,
                      hidden=(128, 64), epochs=epochs, batch_size=64, lr=3e-3, **options)
    model = build_model(cfg)
    # One thread: these tiny batches gain nothing from two, and the cores are shared.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = run_training(model, train.images, labels=train.labels, device="cpu",
                              val_fraction=0.0)
    finally:
        torch.set_num_threads(threads)
    assert result.status == "completed", result.message
    return model.eval()


def untrained(kind: str = "ae", latent_dim: int = 3, **options):
    """A freshly initialised small conv model (for shape and validation tests)."""
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    if kind == "cvae":
        options.setdefault("n_classes", 4)
    cfg = ModelConfig(kind=kind, arch="conv", input_shape=(1, 8, 8), latent_dim=latent_dim,
                      hidden=(8, 16), **options)
    return build_model(cfg).eval()
