"""One opened model, without Qt: the single source of truth a map canvas draws.

A session holds the model file, network and decoder, the data the model was trained on,
the latent map (a stored one at once, or PCA at once and UMAP refined in the background
for a file without one), the decode cursor, hover and selection, the interpolation
arrows, the user's placed picture, the colouring and its background jobs. Each change
is announced by a psygnal signal; every signal fires on the owner thread.

Decode requests are coalesced here, in one place: a drag asks for far more decodes than
can be shown, so only the newest request is decoded when the owner thread is next idle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from psygnal import Signal

from explorer.core.analysis.colouring import Colouring, colour_choices, colouring_for

from .arrows import DEFAULT_STEPS, Arrow, PlacedImage, SessionArrows
from .dispatch import Dispatcher, ManualDispatcher
from .jobs import Job, Jobs
from .loading import DataExtras, Stage, load_runtime, map_task, read_parts

if TYPE_CHECKING:  # nothing heavy at run time: start-up must not import torch
    from explorer.core.data.base import ImageSet
    from explorer.core.inference import Decoder
    from explorer.core.io.interop import EmbeddingTable
    from explorer.core.latent.map import MapLike
    from models.modelfile import ModelFile
    from models.networks import Autoencoder


class Session(SessionArrows):
    """One opened model (see module docstring); its arrows are in `SessionArrows`."""

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
    message = Signal(str)
    progress = Signal(object)  # a progress event of a job, or None when it ended

    # The click path: request_decode -> latent_map.inverse -> decoder.decode.
    latent_map: MapLike | None
    decoder: Decoder | None
    model: Autoencoder | None

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
        self.labels = labels
        self.label_names = list(label_names or meta.get("label_names") or [])
        self.dirty = False
        self.load_error: str | None = None  # why the network could not be built, if it failed
        self.dispatcher: Dispatcher = dispatcher or ManualDispatcher()
        self.jobs = Jobs(self.dispatcher)
        # runtime, once loaded
        self.model = None
        self.decoder = None
        self.data: ImageSet | None = None  # the data the model was trained on
        self.images: np.ndarray | None = None
        self.reconstructions: np.ndarray | None = None
        self.recon_error: np.ndarray | None = None
        self.factors: dict[str, np.ndarray] = {}
        # gestures
        self.cursor_xy: np.ndarray | None = None
        self.cursor_z: np.ndarray | None = None
        self.cursor_image: np.ndarray | None = None
        # What the decoded image is not (said under it): set for a max-unpooling decoder,
        # which borrows the switches of the nearest sample and so cannot generate.
        self.cursor_note = ""
        self.cursor_switch_source: int | None = None
        self.decode_count = 0  # decodes actually run (tests and the status bar read it)
        self.hover_index: int | None = None
        self.selected_index: int | None = None
        self.arrows: list[Arrow] = []
        self.selected_arrow: int | None = None
        self.steps = DEFAULT_STEPS
        self.mode = "lerp"
        self.placed: PlacedImage | None = None
        self.colour_key = "label"
        self._colouring: Colouring | None = None
        self._pending_xy: np.ndarray | None = None
        self._decode_posted = False

    @classmethod
    def from_file(cls, path: str | Path, dispatcher: Dispatcher | None = None) -> Session:
        """Read a model file with numpy only: the stored map can be drawn at once."""
        mf, latent_map, labels = read_parts(path)
        return cls(Path(path).stem, mf.meta, path=Path(path), model_file=mf,
                   latent_map=latent_map, labels=labels, dispatcher=dispatcher)

    # ---- what it is ---------------------------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        cfg = self.meta.get("config")
        return cfg if isinstance(cfg, dict) else {}

    @property
    def kind(self) -> str:
        return str(self.config.get("kind", "?"))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        c, h, w = (int(v) for v in self.config.get("input_shape", (1, 8, 8)))
        return c, h, w

    @property
    def data_spec(self) -> str:
        return str(self.meta.get("data_spec") or "")

    @property
    def n_points(self) -> int:
        return 0 if self.latent_map is None else len(self.latent_map.positions)

    def data_matches_map(self) -> bool:
        return self.images is not None and len(self.images) == self.n_points

    def is_ready(self) -> bool:
        """The model decodes, the map is drawn and no loading or mapping job runs."""
        return (self.decoder is not None and self.latent_map is not None
                and not self.jobs.running("runtime") and not self.jobs.running("map"))

    def map_labels(self) -> np.ndarray | None:
        """Labels aligned with the map's points, if known."""
        lab = self.labels
        return lab if lab is not None and len(lab) == self.n_points else None

    def embedding_table(self) -> EmbeddingTable:
        """The map's points for other viewers (explorer.core.io.interop): codes, positions,
        labels, and the images and their reconstruction errors once the data is loaded."""
        from explorer.core.io.interop import EmbeddingTable

        m, aligned = self.latent_map, self.data_matches_map()
        if m is None:
            raise ValueError("this model has no map yet; wait until it is mapped")
        errors = self.recon_error if aligned and self.recon_error is not None else None
        return EmbeddingTable(codes=m.codes, positions=m.positions, labels=self.map_labels(),
                              label_names=self.label_names, errors=errors,
                              images=self.images if aligned else None, name=self.name)

    # ---- loading ------------------------------------------------------------------------
    def start_loading(self) -> Job | None:
        """Build the network and load the data in the background (once)."""
        if self.decoder is not None or self.model_file is None or self.jobs.running("runtime"):
            return None
        mf, spec, latent_map = self.model_file, self.data_spec, self.latent_map
        n = self.n_points if latent_map is not None else None
        job = self.jobs.start("runtime", lambda cancel: load_runtime(mf, spec, n, latent_map,
                                                                    cancel))
        job.progress.connect(self._on_load_stage)
        job.failed.connect(self._on_load_failed)
        job.start()
        self.message.emit(f"{self.name}: loading the model…")
        return job

    def _on_load_failed(self, msg: str) -> None:
        self.load_error = msg
        self.message.emit(f"{self.name}: cannot load the model: {msg}")

    def _on_load_stage(self, st: Stage) -> None:
        if st.stage == "model":
            model, decoder = st.payload
            self.set_model(model, decoder)
            self.message.emit(f"{self.name}: ready — click or drag on the map to decode")
        elif st.stage == "data":
            self.set_data(st.payload)
            if st.payload.note:
                self.message.emit(f"{self.name}: {st.payload.note}")
            else:  # replaces the last "reconstructing 1,797/1,797 images…": the job is done
                n = 0 if self.images is None else len(self.images)
                self.message.emit(f"{self.name}: ready — {n:,} images loaded; click or drag "
                                  "on the map to decode")
        elif st.stage in ("data_error", "stage"):  # "stage": encoding 1,024/60,000 images…
            self.message.emit(f"{self.name}: {st.message}")

    def set_model(self, model: Autoencoder, decoder: Decoder) -> None:
        self.model, self.decoder = model, decoder
        self._attach_switches()
        self.decoder_changed.emit()
        self._refresh_arrows()
        if self.cursor_xy is not None:
            self.request_decode(self.cursor_xy)

    def set_data(self, extras: DataExtras) -> None:
        if extras.data is None:  # the data does not match the map: keep only the map
            self.images = self.reconstructions = self.recon_error = None
            self.data_changed.emit()
            return
        self.data = extras.data
        self.images = extras.images
        self.reconstructions, self.recon_error = extras.reconstructions, extras.recon_error
        if extras.labels is not None:
            self.labels = np.asarray(extras.labels)
        if extras.label_names:
            self.label_names = list(extras.label_names)
        self.factors = dict(extras.factors)
        self._colouring = None
        self.data_changed.emit()
        self.colours_changed.emit()
        if self.latent_map is None and extras.codes is not None:
            from explorer.core.latent.map import quick_map

            self.set_map(quick_map(extras.codes), "PCA (UMAP refining…)")
            self.refine_map("auto")
        if self._attach_switches(extras.codes):
            self._refresh_arrows()
            if self.cursor_xy is not None:
                self.request_decode(self.cursor_xy)

    @property
    def needs_switches(self) -> bool:
        """The model max-unpools: a map point decodes with the nearest sample's switches."""
        return self.decoder is not None and self.decoder.needs_switches

    def _attach_switches(self, codes: np.ndarray | None = None) -> bool:
        """Give a max-unpooling model the data whose switches it borrows (the map's samples,
        row-aligned with their codes); True when attached."""
        if not self.needs_switches or self.model is None or self.images is None:
            return False
        if codes is None or len(codes) != len(self.images):
            if not self.data_matches_map() or self.latent_map is None:
                return False
            codes = np.asarray(getattr(self.latent_map, "base", self.latent_map).codes)
        from explorer.core.inference import set_switch_reference

        set_switch_reference(self.model, self.images, codes)
        return True

    def set_recon_error(self, errors: np.ndarray) -> None:
        """Per-sample reconstruction errors (e.g. under another metric) to colour by."""
        errors = np.asarray(errors, dtype=np.float32)
        if errors.shape != (self.n_points,):
            raise ValueError(f"need one error per map point ({self.n_points}), not {errors.shape}")
        self.recon_error = errors
        self._colouring = None
        self.data_changed.emit()
        self.colours_changed.emit()

    def set_map(self, latent_map: MapLike, note: str = "", *, dirty: bool = True) -> None:
        """Replace the map (UMAP after PCA, an alignment); re-place cursor, arrows, picture."""
        self.latent_map = latent_map
        self.map_note = note
        self.dirty = self.dirty or dirty
        self._colouring = None
        if self.placed is not None:
            self.placed.xy = np.asarray(latent_map.place(self.placed.z), np.float32)
        if self.cursor_z is not None:
            self.cursor_xy = np.asarray(latent_map.place(self.cursor_z), np.float32)
        self.map_changed.emit()
        self.colours_changed.emit()
        self.cursor_changed.emit()
        self.placed_changed.emit()
        self.file_changed.emit()
        self._refresh_arrows()

    def refine_map(self, method: str = "auto") -> Job | None:
        """Fit a map (UMAP by default) in the background; the current map stays meanwhile."""
        if self.latent_map is None:
            return None
        if method == "pca":
            from explorer.core.latent.map import quick_map

            for j in self.jobs.running("map"):
                j.supersede()
            self.set_map(quick_map(np.asarray(self.latent_map.codes)), "PCA map")
            return None
        codes = np.asarray(getattr(self.latent_map, "base", self.latent_map).codes)
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
        return colour_choices(has_labels=self.labels is not None, factor_names=sorted(self.factors),
                              has_recon_error=self.recon_error is not None,
                              has_codes=self.latent_map is not None)

    def set_colour_key(self, key: str) -> None:
        if key != self.colour_key:
            self.colour_key = key
            self._colouring = None
            self.colours_changed.emit()

    def colouring(self) -> Colouring | None:
        """Colour index of every point for the chosen key (one colour until its data exists)."""
        if self.latent_map is None:
            return None
        if self._colouring is None:
            self._colouring = colouring_for(
                self.colour_key, labels=self.map_labels(), label_names=self.label_names,
                factors=self.factors, codes=self.latent_map.codes, recon_error=self.recon_error,
                n=self.n_points)
        return self._colouring

    # ---- cursor & decoding ----------------------------------------------------------------
    def request_decode(self, xy: npt.ArrayLike) -> None:
        """Ask for the image at map point `xy`; only the newest request is decoded."""
        self._pending_xy = np.asarray(xy, dtype=np.float32).reshape(2)
        self.cursor_requested.emit(self._pending_xy)
        if not self._decode_posted:
            self._decode_posted = True
            self.dispatcher.post(self._decode_pending)

    def _decode_pending(self) -> None:
        self._decode_posted = False
        xy, self._pending_xy = self._pending_xy, None
        if xy is None or self.latent_map is None:
            return
        self.cursor_xy = xy
        self.cursor_z = np.asarray(self.latent_map.inverse(xy), np.float32)
        self.cursor_note, self.cursor_switch_source = "", None
        if self.decoder is not None and self.needs_switches:
            self._decode_with_switches(self.decoder, self.cursor_z)
        elif self.decoder is not None:
            self.cursor_image = np.asarray(self.decoder.decode(self.cursor_z[None]))[0]
            self.decode_count += 1
        else:
            self.cursor_image = None
        self.cursor_changed.emit()

    def _decode_with_switches(self, decoder: Decoder, z: np.ndarray) -> None:
        """A max-unpooling decoder: decode with the switches of the sample nearest `z` and
        say so; without data there are no switches, and nothing to decode."""
        if not decoder.decodes_codes:
            self.cursor_image = None
            self.cursor_note = ("no image: a max-unpooling decoder needs the max-pooling "
                                "switches of a data sample, and the data is not loaded")
            return
        sources = decoder.switch_sources(z[None])
        self.cursor_switch_source = None if sources is None else int(sources[0])
        self.cursor_image = np.asarray(decoder.decode(z[None]))[0]
        self.decode_count += 1
        self.cursor_note = (f"max-unpool: switches of sample #{self.cursor_switch_source} "
                            "(nearest code); this decoder cannot generate")

    def flush_decode(self) -> None:
        """Run a pending decode now (tests, screenshots)."""
        if self._pending_xy is not None:
            self._decode_pending()

    # ---- hover & selection --------------------------------------------------------------
    def nearest(self, xy: npt.ArrayLike, tolerance: float) -> int | None:
        """The sample within `tolerance` map units of `xy`, if any."""
        if self.latent_map is None or self.n_points == 0:
            return None
        idx, dist = self.latent_map.nearest_sample(np.asarray(xy, np.float32).reshape(2),
                                                   max_distance=tolerance)
        return int(idx) if idx >= 0 and dist <= tolerance else None

    def set_hover(self, index: int | None) -> None:
        if index is not None and not 0 <= index < self.n_points:
            index = None
        if index != self.hover_index:
            self.hover_index = index
            self.hover_changed.emit()

    def hover_at(self, xy: npt.ArrayLike, tolerance: float) -> None:
        """Hover the sample nearest `xy` when it is within `tolerance` map units."""
        self.set_hover(self.nearest(xy, tolerance))

    def select(self, index: int | None) -> None:
        """Select one sample by index (ringed on the map)."""
        if index is not None and not 0 <= index < self.n_points:
            index = None
        if index != self.selected_index:
            self.selected_index = index
            self.selection_changed.emit()

    def select_sample(self, index: int) -> None:
        """Jump to a sample: decode it (the inverse is exact at data points), ring it."""
        if self.latent_map is None or not 0 <= index < self.n_points:
            return
        self.request_decode(self.latent_map.positions[index])
        self.flush_decode()
        self.set_hover(int(index))
        self.select(int(index))

    # ---- own image ----------------------------------------------------------------------
    def place_image(self, name: str, chw: np.ndarray) -> PlacedImage:
        """Encode the user's picture with this model and mark it on the map."""
        from explorer.core.inference import to_display

        if self.latent_map is None:
            raise ValueError("open a model first")
        if self.decoder is None:
            raise ValueError("the model is still loading; try again in a moment")
        z = np.asarray(self.decoder.encode(chw[None]), np.float32)[0]
        recon = np.asarray(self.decoder.reconstruct(chw[None]))[0]
        display = np.asarray(to_display(chw[None].astype(np.float32) / 255.0))[0]
        xy = np.asarray(self.latent_map.place(z), np.float32)
        self.placed = PlacedImage(name=name, original=chw, z=z, xy=xy, display=display,
                                  reconstruction=recon)
        self.placed_changed.emit()
        return self.placed

    # ---- saving -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the model, its map and labels to `path` (atomic)."""
        from explorer.core.io.saving import save_explorable

        if self.model is None:
            raise ValueError("the model is still loading; try again in a moment")
        save_explorable(path, self.model, latent_map=getattr(self.latent_map, "base",
                                                             self.latent_map),
                        data_spec=self.data_spec, label_names=self.label_names,
                        history=self.meta.get("history"), labels=self.map_labels())
        self.path, self.name, self.dirty = Path(path), Path(path).stem, False
        self.file_changed.emit()
