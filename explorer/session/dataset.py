"""The data a session's model was trained on, as the session shows it: the images of the
map's points, their labels, factors, reconstructions and errors, and, when there is no
data for the map, why not (still loading, moved, another size)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from latent_atlas.explorer.core.data.base import ImageSet

    from .loading import DataExtras


class Dataset:
    """The data part of a session: plain state plus the rules that keep it consistent."""

    def __init__(self, labels: np.ndarray | None = None,
                 label_names: list[str] | None = None) -> None:
        self.data: ImageSet | None = None  # the data the model was trained on
        self.images: np.ndarray | None = None
        self.labels = labels
        self.label_names = list(label_names or [])
        self.factors: dict[str, np.ndarray] = {}
        self.reconstructions: np.ndarray | None = None
        self.recon_error: np.ndarray | None = None
        self.data_note = ""  # why there is no data for the map, once that is known

    def apply(self, extras: DataExtras) -> bool:
        """Take loaded data; False (keeping only the map) when it does not fit the map."""
        if extras.data is None:
            self.images = self.reconstructions = self.recon_error = None
            self.data_note = extras.note
            return False
        self.data = extras.data
        self.images = extras.images
        self.reconstructions, self.recon_error = extras.reconstructions, extras.recon_error
        if extras.labels is not None:
            self.labels = np.asarray(extras.labels)
        if extras.label_names:
            self.label_names = list(extras.label_names)
        self.factors = dict(extras.factors)
        self.data_note = ""
        return True

    def add_reconstructions(self, reconstructions: np.ndarray | None,
                            errors: np.ndarray | None) -> None:
        """The reconstructions of the images shown already, with their errors (errors the
        user chose meanwhile, e.g. under another metric, are kept)."""
        self.reconstructions = reconstructions
        if self.recon_error is None:
            self.recon_error = errors

    def matches(self, n_points: int) -> bool:
        """The images are the map's points, one for one."""
        return self.images is not None and len(self.images) == n_points

    def labels_for(self, n_points: int) -> np.ndarray | None:
        """Labels aligned with the map's points, if known."""
        lab = self.labels
        return lab if lab is not None and len(lab) == n_points else None

    def set_recon_error(self, errors: Any, n_points: int) -> None:
        """Per-sample reconstruction errors (e.g. under another metric) to colour by."""
        errors = np.asarray(errors, dtype=np.float32)
        if errors.shape != (n_points,):
            raise ValueError(f"need one error per map point ({n_points}), not {errors.shape}")
        self.recon_error = errors

    def status(self, n_points: int, loading: bool) -> str:
        """Why no sample picture can be shown yet, in a few words ("" once it can)."""
        if self.matches(n_points):
            return ""
        if self.data_note:
            return self.data_note
        return "data loading…" if loading else "no data for this map"
