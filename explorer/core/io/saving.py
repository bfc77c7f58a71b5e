"""Save an explorable model: weights, config, history, its map and the data's labels.

Storing the labels beside the map lets the window colour the stored map by label at first
paint, before torch or the data set is loaded.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from latent_atlas.explorer.core.latent.map import LABELS_KEY, map_file_parts

__all__ = ["LABELS_KEY", "save_explorable"]

def save_explorable(path: str | os.PathLike, model: Any, *, latent_map: Any = None,
                    data_spec: str = "", label_names: list[str] | None = None,
                    history: list[dict] | None = None, labels: np.ndarray | None = None,
                    train_state: Any = None) -> None:
    """Write `model` and (optionally) its latent map and labels to one model file, in one
    atomic write: a failure leaves either the old file or the complete new one."""
    from latent_atlas.models.checkpoint import save_model

    meta: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    if latent_map is not None:
        map_meta, arrays = map_file_parts(latent_map, labels)
        meta["map"] = map_meta
    elif labels is not None:
        arrays[LABELS_KEY] = np.asarray(labels, dtype=np.int64)
    save_model(path, model, data_spec=data_spec, label_names=label_names, history=history,
               meta=meta, arrays=arrays, train_state=train_state)
