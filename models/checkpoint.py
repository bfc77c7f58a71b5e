"""Save and load models: safetensors weights + config, validated against the config."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import ConfigError, ModelConfig, parameter_count
from .modelfile import (
    FORMAT_VERSION,
    IncompatibleModelError,
    ModelFile,
    NotAModelFileError,
    read_model_file,
    write_model_file,
)
from .networks import Autoencoder
from .train_state import META_FIELD as STATE_FIELD
from .train_state import TrainState
from .train_state import flatten as flatten_state

APP_VERSION = "0.1.0"


@dataclass
class LoadedModel:
    model: Autoencoder
    file: ModelFile

    @property
    def meta(self) -> dict[str, Any]:
        return self.file.meta

    @property
    def config(self) -> ModelConfig:
        return self.model.config


def model_arrays(model: Autoencoder) -> dict[str, np.ndarray]:
    return {f"model.{k}": v.detach().cpu().contiguous().numpy()
            for k, v in model.state_dict().items()}


def save_model(path: str | os.PathLike, model: Autoencoder, *, data_spec: str = "",
               label_names: list[str] | None = None, history: list[dict] | None = None,
               meta: dict[str, Any] | None = None,
               arrays: dict[str, np.ndarray] | None = None,
               train_state: TrainState | None = None) -> None:
    """Write `model` (and optional extra metadata / arrays such as a map) atomically.

    `train_state` (a TrainResult's `state`) stores what `latent-atlas train --resume`
    continues from: optimizer moments and step counts, random generators."""
    doc = {
        "format_version": FORMAT_VERSION,
        "app_version": APP_VERSION,
        "config": model.config.to_dict(),
        "data_spec": data_spec,
        "label_names": list(label_names or []),
        "history": list(history or []),
    }
    doc.update(meta or {})
    all_arrays = dict(arrays or {})
    if train_state is not None:
        doc[STATE_FIELD], state_arrays = flatten_state(train_state)
        all_arrays.update(state_arrays)
    all_arrays.update(model_arrays(model))
    write_model_file(path, doc, all_arrays)


def model_from_file(mf: ModelFile) -> Autoencoder:
    """Rebuild the network from a read file, checking every tensor against the config."""
    name = mf.path.name if mf.path else "the file"
    cfg = mf.config  # parsed once when the file was read
    if not isinstance(cfg, ModelConfig):  # a ModelFile put together by hand
        try:
            cfg = ModelConfig.from_dict(mf.meta.get("config"))
        except ConfigError as exc:
            raise IncompatibleModelError(f"{name} has an unusable model config: {exc}") from None
    stored = mf.group("model")
    if not stored:
        raise NotAModelFileError(f"{name} holds no model weights")
    # Count before building: the network then never takes more memory than the file holds.
    need, have = parameter_count(cfg), sum(int(np.prod(a.shape)) for a in stored.values())
    if need != have:
        raise IncompatibleModelError(
            f"{name} does not match its config ({cfg.kind}/{cfg.arch}, latent size "
            f"{cfg.latent_dim}): the config describes {need:,} weights, the file holds {have:,}")
    model = Autoencoder(cfg)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(stored))
    unexpected = sorted(set(stored) - set(expected))
    if missing or unexpected:
        raise IncompatibleModelError(
            f"{name} does not match its config ({cfg.kind}/{cfg.arch}): "
            f"{len(missing)} weight(s) missing, {len(unexpected)} unexpected"
            + (f" (e.g. {(missing or unexpected)[0]})" if missing or unexpected else "")
        )
    state = {}
    for key, ref in expected.items():
        arr = stored[key]
        if tuple(arr.shape) != tuple(ref.shape):
            raise IncompatibleModelError(
                f"{name}: weight {key} has shape {tuple(arr.shape)} in the file, "
                f"{tuple(ref.shape)} expected for latent size {cfg.latent_dim}"
            )
        if arr.dtype != np.float32:
            raise IncompatibleModelError(f"{name}: weight {key} is {arr.dtype}, float32 expected")
        state[key] = torch.from_numpy(np.array(arr))
    model.load_state_dict(state)
    model.eval()
    return model


def load_model(path: str | os.PathLike) -> LoadedModel:
    """Load a model file; every failure is a ModelFileError with a readable message."""
    mf = read_model_file(Path(path))
    return LoadedModel(model=model_from_file(mf), file=mf)
