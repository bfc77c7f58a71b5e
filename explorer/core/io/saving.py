"""Save an explorable model: weights, config, history, its map and the data's labels.

Storing the labels beside the map lets the window colour the stored map by label at first
paint, before torch or the data set is loaded.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

LABELS_KEY = "data.labels"


def save_explorable(path: str | os.PathLike, model: Any, *, latent_map: Any = None,
                    data_spec: str = "", label_names: list[str] | None = None,
                    history: list[dict] | None = None, labels: np.ndarray | None = None) -> None:
    """Write `model` and (optionally) its latent map and labels to one model file.

    Each write is atomic, so a failure leaves either the old file or a complete new one.
    """
    from explorer.core.latent.map import save_map
    from models.checkpoint import save_model

    arrays = {}
    if labels is not None:
        arrays[LABELS_KEY] = np.asarray(labels, dtype=np.int64)
    save_model(path, model, data_spec=data_spec, label_names=label_names, history=history,
               arrays=arrays)
    if latent_map is not None:
        save_map(path, latent_map)
