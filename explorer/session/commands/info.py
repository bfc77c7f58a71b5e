"""`info`: what a model file holds (its metadata and the extent of its stored map) and,
on data, its per-latent diagnostics (latent_atlas.explorer.core.analysis.disentangle)."""

from __future__ import annotations

import os
from typing import Any

from ..opening import OpenedModel


def file_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """A model file's JSON metadata, read from its header only and checked: every field
    `info` shows has the type it is shown with."""
    from latent_atlas.models.modelfile import read_metadata

    return read_metadata(path)


def map_extent(path: str | os.PathLike) -> tuple[float, float, float, float] | None:
    """(xmin, xmax, ymin, ymax) of the stored map's positions; None when the file has no
    map with points or it cannot be read."""
    from latent_atlas.explorer.core.latent.map import load_map

    try:
        latent_map = load_map(path)
    except (ValueError, OSError):  # a damaged file's ModelFileError is a ValueError
        return None
    return None if latent_map is None or latent_map.n_points == 0 else latent_map.bounds()


def latent_diagnostics(opened: OpenedModel) -> Any:
    """The per-latent diagnostics of the model on its data: variance of the mean code,
    active units, and for a variational model KL per dimension and I(x; z)."""
    from latent_atlas.explorer.core.analysis.disentangle import diagnose_model

    data = opened.require_data()
    return diagnose_model(opened.model, data.images, opened.labels)
