"""One place that turns user choices (CLI flags or the Train dialog) into a ModelConfig."""

from __future__ import annotations

from typing import Any

from models.config import ModelConfig, default_hidden

# Kept free of torch so the CLI's --help and the dialog can list the kinds cheaply.
KIND_LABELS = {
    "ae": "autoencoder", "vae": "variational AE", "dae": "denoising AE", "sae": "sparse AE",
    "cae": "contractive AE", "beta-vae": "beta-VAE", "cvae": "conditional VAE",
    "aae": "adversarial AE",
}
BETA_VAE_DEFAULT = 4.0


class TrainingChoiceError(ValueError):
    """A choice that does not fit the data (e.g. a conditional VAE on unlabelled data)."""


def make_config(data: Any, *, kind: str, arch: str, latent_dim: int,
                hidden: tuple[int, ...] | None = None, beta: float | None = None,
                **options: Any) -> ModelConfig:
    """Config for `data` (an ImageSet): input shape from the data, default widths for the
    architecture, beta 4 for a beta-VAE unless given, and the class count for a CVAE.
    `options` are any other ModelConfig fields (lr, epochs, noise_level, ...)."""
    if beta is None:
        beta = BETA_VAE_DEFAULT if kind == "beta-vae" else 1.0
    n_classes = 0
    if kind == "cvae":
        if data.labels is None or len(data.labels) == 0:
            raise TrainingChoiceError(
                f"a conditional VAE needs labels, and {data.spec or 'this data set'} has none")
        n_classes = max(len(data.label_names), int(data.labels.max()) + 1)
    return ModelConfig(kind=kind, arch=arch, input_shape=data.shape, latent_dim=latent_dim,
                       hidden=hidden or default_hidden(arch, data.shape), beta=beta,
                       n_classes=n_classes, **options)

# The one strength option of each regularised kind: (config field, label, default).
PENALTY_FIELD = {
    "sae": ("sparsity_weight", "Sparsity weight λ (SAE)", 1e-3),
    "cae": ("contractive_weight", "Contractive weight λ (CAE)", 1e-2),
    "aae": ("adversarial_weight", "Adversarial weight (AAE)", 1.0),
}
