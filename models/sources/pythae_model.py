"""pythae models (the optional extra `pythae`): a folder written by `model.save(dir)` and
read with `AutoModel.load_from_folder`, or a pythae model object handed over in Python.

A pythae model's `encoder(x)` gives a `ModelOutput` with `embedding` (and, for a VAE,
`log_covariance`: a log-variance) and its `decoder(z)` one with `reconstruction`; the
generic adapter (`module.from_object`) reads both. Its folders hold a `torch.save` file
(`model.pt`) and, for custom networks, `encoder.pkl`/`decoder.pkl` written by cloudpickle.
Unpickling may run code, so: `model.pt` is first read with `weights_only=True` (tensors
only), and a folder that holds `.pkl` networks, or a `model.pt` that is more than
tensors, opens only with the user's explicit consent (`allow_pickle=True`,
`--allow-pickle`); otherwise `PickleRefused`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .checks import BadModelError

PICKLED_NETWORKS = ("encoder.pkl", "decoder.pkl")


class PickleRefused(BadModelError):
    """The folder can only be loaded by unpickling, and the user has not said yes."""


def is_pythae_model(obj: Any) -> bool:
    return type(obj).__module__.startswith("pythae.")


def open_pythae(folder: Path, *, allow_pickle: bool = False) -> Any:
    """The pythae model saved in `folder` (see module docstring for when it may unpickle)."""
    pickled = [n for n in PICKLED_NETWORKS if (folder / n).is_file()]
    if pickled and not allow_pickle:
        raise PickleRefused(f"{folder.name} holds {', '.join(pickled)}")
    weights = folder / "model.pt"
    if not weights.is_file():
        raise BadModelError(f"{folder.name} has model_config.json but no model.pt")
    try:
        torch.load(weights, map_location="cpu", weights_only=True)
    except Exception:
        if not allow_pickle:
            raise PickleRefused(f"{folder.name}'s model.pt holds more than tensors") from None
    try:
        from pythae.models import AutoModel
    except ImportError:
        raise BadModelError("pythae models need pythae: pip install 'latent-atlas[pythae]' "
                            "(or pip install pythae)") from None
    try:
        return AutoModel.load_from_folder(str(folder)).eval()
    except Exception as exc:
        raise BadModelError(f"pythae cannot load {folder.name}: "
                            f"{' '.join(str(exc).split())[:300]}") from None
