"""One way in: open a model file with its data, checked the same way for every front end.

The windows (through `Session` and its loading job), every CLI command and scripts open
models here, so a model that names data it was not trained on, data that has moved, or
images of the wrong shape get the same message wherever they are met.

Two speeds: `read_model` is numpy only (the stored map can be painted before torch is
imported); `open_model` also builds the network and loads the data, for the headless
commands and the Python API. The windows run the same steps one by one in a job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .forward import Forward

if TYPE_CHECKING:
    from latent_atlas.explorer.core.data.base import ImageSet
    from latent_atlas.explorer.core.latent.map import LatentMap
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.modelfile import ModelFile
    from latent_atlas.models.networks import Autoencoder

# Where a model file keeps the labels of its map's points; the last two are read from
# files of early releases only.
_LABEL_KEYS = ("data.labels", "map.labels", "labels")


class OpenError(ValueError):
    """A model cannot be opened as asked; the message says why and what to do."""


class DataMovedError(OpenError):
    """The data a model file names is not where the file says (moved or deleted)."""


@dataclass
class StoredModel:
    """What a model file holds, read with numpy only (no torch, no data)."""

    file: ModelFile
    latent_map: LatentMap | None
    labels: np.ndarray | None  # the stored map's point labels, when the file has them

    @property
    def path(self) -> Path | None:
        return self.file.path

    @property
    def name(self) -> str:
        return self.file.path.name if self.file.path else "the model"

    @property
    def config(self) -> ModelConfig:
        return self.file.config

    @property
    def meta(self) -> dict[str, Any]:
        return self.file.meta

    @property
    def trained_on(self) -> str:
        """The data spec the file says the model was trained on ("" when it says none)."""
        return str(self.file.meta.get("data_spec") or "")

    @property
    def label_names(self) -> list[str]:
        return list(self.file.meta.get("label_names") or [])


def read_model(path: str | Path) -> StoredModel:
    """Read a model file (weights, config, stored map and labels) with numpy only."""
    from latent_atlas.explorer.core.latent.map import load_map
    from latent_atlas.models.modelfile import read_model_file

    mf = read_model_file(path)
    return StoredModel(file=mf, latent_map=load_map(mf), labels=stored_labels(mf))


def stored_labels(mf: ModelFile) -> np.ndarray | None:
    """The labels stored beside a model's map, as int64, or None."""
    for key in _LABEL_KEYS:
        if key in mf.arrays:
            return np.asarray(mf.arrays[key]).astype(np.int64).ravel()
    return None


def data_spec_for(stored: StoredModel, override: str | None, *, flag: str = "--data") -> str:
    """The data to open with a model: `override` if given, else what it was trained on."""
    spec = override or stored.trained_on
    if not spec:
        raise OpenError(f"{stored.name} does not say which data it was trained on; "
                        f"give {flag} SPEC")
    return spec


def open_data(spec: str, input_shape: tuple[int, ...], *, model_name: str = "the model",
              from_file: bool = False, need_labels: bool = False,
              **options: Any) -> ImageSet:
    """Load the data spec `spec` and check that the model (which takes `input_shape`
    images) can read it. `from_file` says the spec came from the model file, so a missing
    folder is explained as data that moved, with the way to point elsewhere."""
    from latent_atlas.explorer.core.data import DataError, load_data

    try:
        data = load_data(spec, **options)
    except DataError as exc:
        if from_file and "no such" in str(exc):
            raise DataMovedError(f"{model_name} was trained on '{spec}', which is not there any "
                            f"more ({exc}); give --data SPEC to say where the data is now"
                            ) from None
        raise
    check_shape(data, input_shape, model_name)
    if need_labels and data.labels is None:
        raise OpenError(f"{data.spec} has no labels; this needs a labelled data set "
                        "(digits, mnist, ...)")
    return data


def relocated_spec(spec: str, new_path: str | Path) -> str:
    """`spec` with its path replaced by `new_path`, options kept (data that moved)."""
    from latent_atlas.explorer.core.data import parse_spec

    parsed = parse_spec(spec)
    if not parsed.arg:
        raise OpenError(f"'{spec}' names no folder or file to replace")
    return str(type(parsed)(parsed.name, str(new_path), parsed.options))


def spec_names_a_file(spec: str) -> bool:
    """Whether the path in `spec` is a file (npz, npy) rather than a folder."""
    from latent_atlas.explorer.core.data import parse_spec

    return parse_spec(spec).name in ("npz", "npy")


def check_shape(data: ImageSet, input_shape: tuple[int, ...], model_name: str) -> None:
    """Refuse data whose images the model cannot read, in one sentence."""
    if tuple(data.shape) != tuple(input_shape):
        c, h, w = data.shape
        mc, mh, mw = input_shape
        raise OpenError(f"{data.spec} has {h}×{w}×{c} images but {model_name} takes "
                        f"{mh}×{mw}×{mc}; give the data it was trained on with --data")


def other_data_note(stored: StoredModel, data: ImageSet) -> str:
    """A note when a model is measured on other data than it was trained on, else ""."""
    if stored.trained_on and stored.trained_on != data.spec:
        return (f"note: {stored.name} was trained on {stored.trained_on}, measured on "
                f"{data.spec}; its held-out images may include training images")
    return ""


@dataclass
class OpenedModel:
    """A model file opened for work: its stored parts, the network and (usually) data."""

    stored: StoredModel
    model: Autoencoder
    data: ImageSet | None = None
    notes: list[str] = field(default_factory=list)
    # what the file holds, as `stored` has it
    name: ClassVar[Forward[str]] = Forward("stored")
    config: ClassVar[Forward[ModelConfig]] = Forward("stored")
    meta: ClassVar[Forward[dict[str, Any]]] = Forward("stored")
    latent_map: ClassVar[Forward[LatentMap | None]] = Forward("stored")

    @property
    def labels(self) -> np.ndarray | None:
        """Labels the model must be given (a conditional model), or None."""
        if not self.config.is_conditional or self.data is None:
            return None
        return self.data.labels

    def require_data(self) -> ImageSet:
        if self.data is None:
            raise OpenError(f"{self.name} was opened without data")
        return self.data


def build_model(stored: StoredModel | ModelFile) -> Autoencoder:
    """Import torch (first time only) and rebuild the network, checked against its config."""
    from latent_atlas.models.checkpoint import model_from_file

    return model_from_file(stored.file if isinstance(stored, StoredModel) else stored)


def open_model(path: str | Path, *, data: str | None = None, with_data: bool = True,
               need_labels: bool = False, switches: bool = True,
               **data_options: Any) -> OpenedModel:
    """Open a model file for headless work: read it, build the network and load its data
    (`data` overrides the spec the file names), all checked before anything is computed.

    A conditional model refuses unlabelled data; a max-unpooling model gets the data's
    switches attached (`switches`). Every failure is an `OpenError`, `DataError` or
    `ModelFileError` whose message is meant for the user.
    """
    stored = read_model(path)
    model = build_model(stored)
    opened = OpenedModel(stored=stored, model=model)
    if not with_data:
        return opened
    spec = data_spec_for(stored, data)
    cfg = stored.config
    images = open_data(spec, cfg.input_shape, model_name=stored.name, from_file=not data,
                       need_labels=need_labels, **data_options)
    if cfg.is_conditional and images.labels is None:
        raise OpenError(f"{stored.name} is a conditional VAE and needs labelled data; "
                        f"{images.spec} has no labels")
    opened.data = images
    note = other_data_note(stored, images)
    if note:
        opened.notes.append(note)
    if switches:
        from latent_atlas.explorer.core.inference import set_switch_reference

        # A max-unpooling model decodes other codes with the switches of the nearest sample.
        set_switch_reference(model, images.images, labels=opened.labels)
    return opened
