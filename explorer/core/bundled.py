"""The bundled digits AE and VAE that open when no file is given, and the bundled 2-D
digits pair (latent 2: the textbook manifold figure) the Model menu opens."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# Inside the package (latent_atlas.resources), so an installed wheel carries them too.
RESOURCES = Path(str(files("latent_atlas.resources")))
DEFAULT_MODELS = ("digits_ae.safetensors", "digits_vae.safetensors")


def default_model_paths() -> list[str]:
    """The bundled models' paths (those that exist)."""
    return [str(RESOURCES / "models" / n) for n in DEFAULT_MODELS
            if (RESOURCES / "models" / n).exists()]


LATENT2_MODELS = ("digits2d_ae.safetensors", "digits2d_vae.safetensors")


def latent2_model_paths() -> list[str]:
    """The bundled 2-D digits pair's paths (those that exist)."""
    return [str(RESOURCES / "models" / n) for n in LATENT2_MODELS
            if (RESOURCES / "models" / n).exists()]
