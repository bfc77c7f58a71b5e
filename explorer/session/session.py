"""One opened model, without Qt: the single source of truth a map canvas draws.

A session is composed of parts, each owning one concern: `Dataset` (the data the model
was trained on, dataset.py), `Cursor` (the decode cursor, hover and selection, with the
decode coalescing, cursor.py), `MapPart` (replacing and refining the map, map_part.py),
`Arrows` (interpolation arrows, arrows.py), `MapColours` (colours.py), `Selection`
(selection.py), `Picture` (the user's placed picture, arrows.py) and `Loader` (the model
and its data arriving in the background, session_loading.py). The session itself holds
what they share: the file, network and decoder, the latent map (a stored one at once, or
PCA at once and UMAP refined in the background), the jobs and the signals. Each change is
announced by a psygnal signal; every signal fires on the owner thread. Sessions are made
from files and sources by `open_session.py`.

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
from .layout_check import LayoutCheck
from .map_part import MapPart
from .opening import read_model
from .selection import Selection
from .session_loading import Loader

if TYPE_CHECKING:  # nothing heavy at run time: start-up must not import torch
    from latent_atlas.explorer.core.analysis.colouring import Colouring
    from latent_atlas.explorer.core.data.base import ImageSet
    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.io.interop import EmbeddingTable
    from latent_atlas.explorer.core.latent.map import MapLike
    from latent_atlas.explorer.session.loading import DataExtras
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.contract import LatentModel
    from latent_atlas.models.modelfile import ModelFile


class Session:
    """One opened model (see module docstring)."""

    map_changed = Signal()  # positions changed (a new map, UMAP replacing PCA, alignment)
    colours_changed = Signal()
    decoder_changed = Signal()
    data_changed = Signal()
    cursor_changed = Signal()
    cursor_requested = Signal(object)  # xy asked for (links follow requests, not results)
    hover_changed = Signal()
    selection_changed = Signal()  # the one ringed sample
    selection_set_changed = Signal()  # the selected samples (lasso, box, Python)
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
    model: LatentModel | None

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
    colour_choices: Forward[Callable[[], list[tuple[str, str]]]] = Forward("colours", "choices")
    set_colour_key: Forward[Callable[[str], None]] = Forward("colours", "set_key")
    colouring: Forward[Callable[[], Colouring | None]] = Forward("colours")
    set_map: Forward[Callable[..., None]] = Forward("map_part")
    refine_map: Forward[Callable[..., Job | None]] = Forward("map_part")
    embedding_table: Forward[Callable[[], EmbeddingTable]] = Forward("map_part")
    selection: Forward[np.ndarray] = Forward("selection_part", "indices")
    set_selection: Forward[Callable[..., int]] = Forward("selection_part")
    select_polygon: Forward[Callable[..., int]] = Forward("selection_part")
    select_box: Forward[Callable[..., int]] = Forward("selection_part")
    clear_selection: Forward[Callable[[], None]] = Forward("selection_part")
    selection_mask: Forward[Callable[[], np.ndarray]] = Forward("selection_part")
    placed: Forward[PlacedImage | None] = Forward("picture")
    place_image: Forward[Callable[[str, np.ndarray], PlacedImage]] = Forward("picture")
    start_loading: Forward[Callable[[], Job | None]] = Forward("loader")
    reload_data: Forward[Callable[..., Job | None]] = Forward("loader")
    set_model: Forward[Callable[[LatentModel, Decoder], None]] = Forward("loader")
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
        self.map_part = MapPart(self)
        self.picture = Picture(self)
        self.selection_part = Selection(self)
        self.layout_check = LayoutCheck(self)
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
        if self.model is not None:  # None for a model not built by Latent Atlas
            return getattr(self.model, "config", None)
        if self.model_file is not None and self.model_file.config is not None:
            return self.model_file.config
        return _parse_config(self.meta)

    @property
    def kind(self) -> str:
        if self.model is not None:
            return str(self.model.kind)
        cfg = self.config
        return "?" if cfg is None else str(cfg.kind)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the images the model takes; (0, 0, 0), matching no data, if unknown."""
        if self.model is not None:
            return self.model.image_shape
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

    # ---- the click path ---------------------------------------------------------------
    def request_decode(self, xy: npt.ArrayLike) -> None:
        """Ask for the image at map point `xy`; only the newest request is decoded."""
        self.cursor.request_decode(xy)

    def set_recon_error(self, errors: np.ndarray) -> None:
        """Per-sample reconstruction errors (e.g. under another metric) to colour by."""
        self.dataset.set_recon_error(errors, self.n_points)
        self.colours.invalidate()
        self.data_changed.emit()

    def close(self) -> None:
        """Stop every background job and wait for its thread."""
        self.jobs.shutdown()

    # ---- saving -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the model, its map and labels to `path` (atomic)."""
        from latent_atlas.explorer.core.io.saving import save_explorable

        if self.model is None:
            raise ValueError("the model is still loading; try again in a moment")
        if not self.model.capabilities.saveable:
            raise ValueError(self.model.capabilities.why_not("saveable", self.name))
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
