"""`export`: what the map's points are measured with beyond the stored file (each image's
reconstruction error; latent_atlas.explorer.core.analysis.applications)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..opening import StoredModel, build_model

if TYPE_CHECKING:
    from latent_atlas.explorer.core.data.base import ImageSet


def reconstruction_errors(stored: StoredModel, data: ImageSet) -> np.ndarray:
    """Each image's reconstruction error (mean squared, 0..1 scale) under the model of
    `stored`, built now; a conditional model is given the data's labels."""
    from latent_atlas.explorer.core.analysis.applications import reconstruction_errors as errors

    model = build_model(stored)
    labels = data.labels if bool(model.n_cond) else None
    return np.asarray(errors(model, data.images, labels=labels))
