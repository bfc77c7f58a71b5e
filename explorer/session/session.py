"""One opened model, without Qt: the single source of truth a map canvas draws.

A session is composed of parts, each owning one concern: `Dataset` (the data the model
was trained on, dataset.py), `Cursor` (the decode cursor, hover and selection, with the
decode coalescing, cursor.py), `Arrows` (interpolation arrows, arrows.py) and
`MapColours` (colours.py), `Picture` (the user's placed picture, arrows.py) and `Loader` (the model and its data arriving in
the background, session_loading.py). The session itself holds what they share: the file, network and
decoder, the latent map (a stored one at once, or PCA at once and UMAP refined in the
background), the placed picture, the jobs and the signals. Each change is announced by
a psygnal signal; every signal fires on the owner thread.

The names windows and scripts use (`session.images`, `session.add_arrow`, ...) are kept
by forwarding each, in one line, to the part that owns it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from psygnal import Signal

from .arrows import Arrow, Arrows, Picture, PlacedImage
from .colours import MapColours
from .cursor import Cursor
from .dataset import Dataset
from .dispatch import Dispatcher, ManualDispatcher
from .forward import Forward
from .jobs import Job, Jobs
from .loading import map_task
from .opening import read_model
from .session_loading import Loader

if TYPE_CHECKING:  # nothing heavy at run time: start-up must not import torch
    from latent_atlas.explorer.core.analysis.colouring import Colouring
    from latent_atlas.explorer.core.data.base import ImageSet
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.io.interop import EmbeddingTable
    from latent_atlas.explorer.core.latent.map import MapLike
    from latent_atlas.explorer.session.loading import DataExtras
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.modelfile import ModelFile
    from latent_atlas.models.networks import Autoencoder


class Session:
    """One opened model (see module docstring)."""

    map_changed = Signal()  # positions changed (a new map, UMAP replacing PCA, alignment)
    colours_changed = Signal()
    decoder_changed = Signal()
    data_changed = Signal()
    cursor_changed = Signal()
    cursor_requested = Signal(object)  # xy asked for (links follow requests, not results)
    hover_changed = Signal()
    selection_changed = Signal()
    arrows_changed = Signal()  # list, selection, ends, traces or strips changed
    arrow_added = Signal(object)  # ArrowEnds of an arrow drawn here
    arrow_removed = Signal(int)
    arrow_selected = Signal(object)  # index or None
    path_settings_changed = Signal()  # steps or interpolation mode
    placed_changed = Signal()
    file_changed = Signal()  # name, path or saved state
    data_missing = Signal(str)  # the spec whose data has moved: ask the user where it is now
    message = Signal(str)
    progress = Signal(object)  # a progress event of a job, or None when it ended

    # The click path: request_decode -> latent_map.inverse -> decoder.decode.
    latent_map: MapLike | None
    decoder: Decoder | None
    model: Autoencoder | None

    # ---- the parts' names, forwarded ----------------------------------------------------
    data: Forward[ImageSet | None] = Forward("dataset")
    images: Forward[np.ndarray | None] = Forward("dataset")
    labels: Forward[np.ndarray | None] = Forward("dataset")
    label_names: Forward[list[str]] = Forward("dataset")
    factors: Forward[dict[str, np.ndarray]] = Forward("dataset")
    reconstructions: Forward[np.ndarray | None] = Forward("dataset")
    recon_error: Forward[np.ndarray | None] = Forward("dataset")
    data_note: Forward[str] = Forward("dataset")
    cursor_xy: Forward[np.ndarray | None] = Forward("cursor")
    cursor_z: Forward[np.ndarray | None] = Forward("cursor")
    cursor_image: Forward[np.ndarray | None] = Forward("cursor")
    cursor_note: Forward[str] = Forward("cursor")
    cursor_switch_source: Forward[int | None] = Forward("cursor")
    decode_count: Forward[int] = Forward("cursor")
    hover_index: Forward[int | None] = Forward("cursor")
    selected_index: Forward[int | None] = Forward("cursor")
    flush_decode: Forward[Callable[[], None]] = Forward("cursor")
    nearest: Forward[Callable[[npt.ArrayLike, float], int | None]] = Forward("cursor")
    set_hover: Forward[Callable[[int | None], None]] = Forward("cursor")
    hover_at: Forward[Callable[[npt.ArrayLike, float], None]] = Forward("cursor")
    select: Forward[Callable[[int | None], None]] = Forward("cursor")
    select_sample: Forward[Callable[[int], None]] = Forward("cursor")
    arrows: Forward[list[Arrow]] = Forward("arrow_part")
    selected_arrow: Forward[int | None] = Forward("arrow_part")
    steps: Forward[int] = Forward("arrow_part")
    mode: Forward[str] = Forward("arrow_part")
    add_arrow: Forward[Callable[..., Arrow | None]] = Forward("arrow_part")
    add_arrow_at: Forward[Callable[..., Arrow | None]] = Forward("arrow_part")
    select_arrow: Forward[Callable[[int | None], None]] = Forward("arrow_part")
    delete_arrow: Forward[Callable[[int], bool]] = Forward("arrow_part")
    delete_selected_arrow: Forward[Callable[[], bool]] = Forward("arrow_part")
    clear_arrows: Forward[Callable[[], None]] = Forward("arrow_part")
    selected: Forward[Callable[[], Arrow | None]] = Forward("arrow_part")
    set_steps: Forward[Callable[[int], None]] = Forward("arrow_part")
    set_mode: Forward[Callable[[str], None]] = Forward("arrow_part")
    colour_key: Forward[str] = Forward("colours", "key")
    placed: Forward[PlacedImage | None] = Forward("picture")
    place_image: Forward[Callable[[str, np.ndarray], PlacedImage]] = Forward("picture")
    start_loading: Forward[Callable[[], Job | None]] = Forward("loader")
    reload_data: Forward[Callable[[str], Job | None]] = Forward("loader")
    set_model: Forward[Callable[[Autoencoder, Decoder], None]] = Forward("loader")
    set_data: Forward[Callable[[DataExtras], None]] = Forward("loader")
    needs_switches: Forward[bool] = Forward("loader")

    def __init__(self, name: str, meta: dict[str, Any], *, path: Path | None = None,
                 model_file: ModelFile | None = None, latent_map: MapLike | None = None,
                 labels: np.ndarray | None = None, label_names: list[str] | None = None,
                 dispatcher: Dispatcher | None = None):
        self.name = name
        self.meta = meta
        self.path = path
        self.model_file = model_file
        self.latent_map = latent_map
        self.map_note = f"stored {latent_map.method} map" if latent_map is not None else ""
        self.dirty = False
        self.load_error: str | None = None  # why the network could not be built, if it failed
        self.dispatcher: Dispatcher = dispatcher or ManualDispatcher()
        self.jobs = Jobs(self.dispatcher)
        self.model = None
        self.decoder = None
        self.dataset = Dataset(labels, label_names or meta.get("label_names"))
        self.cursor = Cursor(self)
        self.arrow_part = Arrows(self)
        self.colours = MapColours(self)
        self.picture = Picture(self)
        self.loader = Loader(self)

    @classmethod
    def from_file(cls, path: str | Path, dispatcher: Dispatcher | None = None) -> Session:
        """Read a model file with numpy only: the stored map can be drawn at once."""
        stored = read_model(path)
        return cls(Path(path).stem, stored.meta, path=Path(path), model_file=stored.file,
                   latent_map=stored.latent_map, labels=stored.labels, dispatcher=dispatcher)

    # ---- what it is ---------------------------------------------------------------------
    @property
    def config(self) -> ModelConfig | None:
        """The model's config (parsed once, when the file was read), or None if unknown."""
        if self.model is not None:
            return self.model.config
        if self.model_file is not None and self.model_file.config is not None:
            return self.model_file.config
        return _parse_config(self.meta)

    @property
    def kind(self) -> str:
        cfg = self.config
        return "?" if cfg is None else str(cfg.kind)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the images the model takes; (0, 0, 0), matching no data, if unknown."""
        cfg = self.config
        return (0, 0, 0) if cfg is None else cfg.input_shape

    @property
    def data_spec(self) -> str:
        return str(self.meta.get("data_spec") or "")

    @property
    def n_points(self) -> int:
        return 0 if self.latent_map is None else len(self.latent_map.positions)

    def data_matches_map(self) -> bool:
        return self.dataset.matches(self.n_points)

    def map_labels(self) -> np.ndarray | None:
        """Labels aligned with the map's points, if known."""
        return self.dataset.labels_for(self.n_points)

    def data_status(self) -> str:
        """Why no sample picture can be shown yet, in a few words ("" once it can)."""
        loading = bool(self.jobs.running("runtime") or self.jobs.running("data"))
        return self.dataset.status(self.n_points, loading)

    def is_ready(self) -> bool:
        """The model decodes, the map is drawn and no loading or mapping job runs."""
        return (self.decoder is not None and self.latent_map is not None
                and not self.jobs.running("runtime") and not self.jobs.running("map"))

    def embedding_table(self) -> EmbeddingTable:
        """The map's points for other viewers (latent_atlas.explorer.core.io.interop): codes, positions,
        labels, and the images and their reconstruction errors once the data is loaded."""
        from latent_atlas.explorer.core.io.interop import EmbeddingTable

        m, aligned = self.latent_map, self.data_matches_map()
        if m is None:
            raise ValueError("this model has no map yet; wait until it is mapped")
        errors = self.recon_error if aligned and self.recon_error is not None else None
        return EmbeddingTable(codes=m.codes, positions=m.positions, labels=self.map_labels(),
                              label_names=self.label_names, errors=errors,
                              images=self.images if aligned else None, name=self.name)

    # ---- the click path ---------------------------------------------------------------
    def request_decode(self, xy: npt.ArrayLike) -> None:
        """Ask for the image at map point `xy`; only the newest request is decoded."""
        self.cursor.request_decode(xy)

    def set_recon_error(self, errors: np.ndarray) -> None:
        """Per-sample reconstruction errors (e.g. under another metric) to colour by."""
        self.dataset.set_recon_error(errors, self.n_points)
        self.colours.invalidate()
        self.data_changed.emit()

    # ---- the map ------------------------------------------------------------------------
    def set_map(self, latent_map: MapLike, note: str = "", *, dirty: bool = True) -> None:
        """Replace the map (UMAP after PCA, an alignment); re-place cursor, arrows, picture."""
        self.latent_map = latent_map
        self.map_note = note
        self.dirty = self.dirty or dirty
        self.colours.invalidate()
        self.picture.follow_map(latent_map)
        self.cursor.follow_map(latent_map)
        self.map_changed.emit()
        self.cursor_changed.emit()
        self.placed_changed.emit()
        self.file_changed.emit()
        self.arrow_part.refresh()

    def refine_map(self, method: str = "auto") -> Job | None:
        """Fit a map (UMAP by default) in the background; the current map stays meanwhile."""
        if self.latent_map is None:
            return None
        if method == "pca":
            from latent_atlas.explorer.core.latent.map import quick_map

            for j in self.jobs.running("map"):
                j.supersede()
            self.set_map(quick_map(np.asarray(self.latent_map.codes)), "PCA map")
            return None
        codes = np.asarray(self.latent_map.unaligned().codes)
        label = "UMAP" if method in ("auto", "umap") and codes.shape[1] != 2 else method.upper()
        job = self.jobs.start("map", lambda cancel: map_task(codes, method, cancel))
        job.progress.connect(lambda ev: self.progress.emit(ev))
        job.succeeded.connect(self._on_map_done)
        job.failed.connect(lambda msg: self.message.emit(
            f"{self.name}: the map could not be refined ({msg}); keeping the current one"))
        job.finished.connect(lambda: self.progress.emit(None))
        job.start()
        self.message.emit(f"{self.name}: {label} map refining…")
        return job

    def _on_map_done(self, latent_map: MapLike | None) -> None:
        if latent_map is not None:
            self.set_map(latent_map, f"{latent_map.method} map")
            self.message.emit(f"{self.name}: {latent_map.method.upper()} map ready")

    def close(self) -> None:
        """Stop every background job and wait for its thread."""
        self.jobs.shutdown()

    # ---- colours ------------------------------------------------------------------------
    def colour_choices(self) -> list[tuple[str, str]]:
        return self.colours.choices()

    def set_colour_key(self, key: str) -> None:
        self.colours.set_key(key)

    def colouring(self) -> Colouring | None:
        """Colour index of every point for the chosen key (one colour until its data exists)."""
        return self.colours.colouring()

    # ---- saving -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the model, its map and labels to `path` (atomic)."""
        from latent_atlas.explorer.core.io.saving import save_explorable

        if self.model is None:
            raise ValueError("the model is still loading; try again in a moment")
        m = self.latent_map
        save_explorable(path, self.model, latent_map=None if m is None else m.unaligned(),
                        data_spec=self.data_spec, label_names=self.label_names,
                        history=self.meta.get("history"), labels=self.map_labels())
        self.path, self.name, self.dirty = Path(path), Path(path).stem, False
        self.file_changed.emit()


def _parse_config(meta: dict[str, Any]) -> ModelConfig | None:
    """The config of a session built without a model file (tests, a model fresh from the
    Train dialog), or None when its metadata has none that parses."""
    from latent_atlas.models.config import ConfigError, ModelConfig

    try:
        return ModelConfig.from_dict(meta["config"])
    except (KeyError, ConfigError):
        return None
