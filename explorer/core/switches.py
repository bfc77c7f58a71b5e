"""The data a max-unpooling decoder borrows its max-pooling switches from.

A decoder built with `upsample="max-unpool"` puts each value back where the encoder's max
pooling found it, so it decodes an encoded image, never a code alone: it cannot generate.
To decode any other code (a click, an arrow, a prior sample) the inference runner
(`latent_atlas.explorer.core.inference`) borrows the switches of the NEAREST encoded data sample from
the `SwitchReference` attached to the model (by a session when its data loads, by a CLI
command after loading data), or one passed explicitly. `switch_sources` says which sample's
switches decode each code, so the UI can say so. Nothing per sample is stored: the runner
encodes the nearest sample again (one small encoder pass).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt

NO_REFERENCE = ("this model upsamples by max-unpooling: its decoder needs the max-pooling "
                "switches of an encoded image and cannot decode a code on its own; load the "
                "data it was trained on (its switches are borrowed from the nearest sample)")


def needs_switches(model: Any) -> bool:
    """True for a max-unpooling decoder, which cannot decode a code without switches."""
    return bool(getattr(model, "needs_switches", False))


class SwitchReference:
    """`images` (uint8 N x C x H x W) and their mean `codes` (N x d), row-aligned; a code
    is decoded with the switches of the sample whose code is nearest (Euclidean, exact k-d
    tree built on first use)."""

    def __init__(self, images: np.ndarray, codes: npt.ArrayLike) -> None:
        arr = np.ascontiguousarray(codes, dtype=np.float32)
        if arr.ndim != 2 or not len(arr) or not np.isfinite(arr).all():
            raise ValueError(f"switch reference codes must be a finite N x d array, not shape "
                             f"{arr.shape}")
        if len(images) != len(arr):
            raise ValueError(f"{len(images)} images but {len(arr)} codes for the switch reference")
        self.codes = arr
        self.images = images
        self._tree: Any = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.codes)

    def nearest(self, codes: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Index of the nearest reference code of every code, (M,) for M x d codes."""
        z = np.asarray(codes, dtype=np.float64).reshape(-1, self.codes.shape[1])
        with self._lock:
            if self._tree is None:
                from scipy.spatial import cKDTree

                self._tree = cKDTree(self.codes)
            tree = self._tree
        _, idx = tree.query(z, k=1)
        return np.asarray(idx, dtype=np.int64).reshape(len(z))


_REFERENCES: weakref.WeakKeyDictionary[Any, SwitchReference] = weakref.WeakKeyDictionary()


def attach_reference(model: Any, reference: SwitchReference) -> None:
    """Make `reference` the data `model` borrows switches from (replacing any earlier)."""
    _REFERENCES[model] = reference


def switch_reference(model: Any) -> SwitchReference | None:
    """The reference attached to `model`, if any."""
    return _REFERENCES.get(model)


def resolve_reference(model: Any, reference: SwitchReference | None) -> SwitchReference:
    """`reference`, else the attached one; a readable ValueError when there is none."""
    ref = reference if reference is not None else _REFERENCES.get(model)
    if ref is None:
        raise ValueError(NO_REFERENCE)
    return ref


def switch_sources(model: Any, codes: npt.ArrayLike, *,
                   reference: SwitchReference | None = None) -> npt.NDArray[np.int64] | None:
    """Which reference sample's switches decode each code (None: the model needs none)."""
    if not needs_switches(model):
        return None
    return resolve_reference(model, reference).nearest(codes)
