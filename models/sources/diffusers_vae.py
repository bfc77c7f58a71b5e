"""diffusers' `AutoencoderKL` behind the model contract (the optional extra `diffusers`).

Its latents are spatial (C x h x w, e.g. 4 x 4 x 4 for 16 x 16 images): the contract
flattens them for the map and restores them for decoding. It is variational: the code
is the mean of `latent_dist`, with its log-variance. It reads images in [-1, 1] and
writes them there; the adapter converts from and to [0, 1] (clamped). No scaling
factor is applied: that belongs to a diffusion model's use of the latents, not to the
autoencoder itself.

A folder (`save_pretrained`) is loaded from safetensors only (`use_safetensors=True`,
`local_files_only=True`): nothing is downloaded, and a folder holding only a pickled
`.bin` is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .checks import BadModelError


def _diffusers() -> Any:
    try:
        import diffusers
    except ImportError:
        raise BadModelError("diffusers models need diffusers: pip install "
                            "'latent-atlas[diffusers]' (or pip install diffusers)") from None
    return diffusers


def is_autoencoder_kl(obj: Any) -> bool:
    """An `AutoencoderKL` instance (told by its class name: diffusers is not imported)."""
    return any(c.__name__ == "AutoencoderKL" for c in type(obj).__mro__)


class KLFunctions:
    """encode/decode of an `AutoencoderKL` on [0, 1] images (what `from_object` wraps)."""

    def __init__(self, kl: Any) -> None:
        self.kl = kl.eval()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dist = self.kl.encode(x * 2.0 - 1.0).latent_dist
        return dist.mean, dist.logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return ((self.kl.decode(z).sample + 1.0) / 2.0).clamp(0.0, 1.0)


def kl_parts(kl: Any) -> tuple[Any, Any, Any]:
    """(encode, decode, the module) of an `AutoencoderKL`, for `module.from_object`."""
    fns = KLFunctions(kl)
    return fns.encode, fns.decode, kl


def open_autoencoder_kl(folder: Path) -> Any:
    """Load an `AutoencoderKL` saved with `save_pretrained` (safetensors only)."""
    diffusers = _diffusers()
    try:
        return diffusers.AutoencoderKL.from_pretrained(str(folder), use_safetensors=True,
                                                       local_files_only=True)
    except Exception as exc:
        raise BadModelError(f"{folder.name} is not an AutoencoderKL folder diffusers can load "
                            f"from safetensors: {' '.join(str(exc).split())[:300]}") from None


def tiny_autoencoder_kl(seed: int = 0) -> Any:
    """A randomly initialised `AutoencoderKL` for 16 x 16 RGB images, 4 x 4 x 4 latents
    (tests and benchmarks: nothing is downloaded)."""
    diffusers = _diffusers()
    torch.manual_seed(seed)
    return diffusers.AutoencoderKL(
        in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3, block_out_channels=(8, 8, 16),
        latent_channels=4, layers_per_block=1, norm_num_groups=4, sample_size=16).eval()
