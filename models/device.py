"""Device choice: CUDA if present, then Apple MPS, else CPU; overridable."""

from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(preference: str = "auto") -> torch.device:
    """Return the torch device for `preference`, with a readable error if it is missing."""
    pref = (preference or "auto").lower()
    if pref not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, not {preference!r}")
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if has_mps else "cpu")
    if pref == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for, but no CUDA GPU is available; use --device cpu")
    if pref == "mps" and not has_mps:
        raise ValueError("device mps was asked for, but Apple MPS is not available; use --device cpu")
    return torch.device(pref)
