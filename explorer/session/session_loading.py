"""Loading a session's model and data in the background, and applying what arrives.

The job (loading.py) yields typed events: `ModelReady` (clicks decode from then on),
`ImagesReady` (sample pictures from then on) then `DataReady` (with the reconstructions),
or `DataFailed` (a moved folder names its spec, so the window can ask where
the data is now), and `Stage` status lines. `Loader` applies each on the owner thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .loading import (
    CodesReady,
    DataFailed,
    DataReady,
    ImagesReady,
    ModelReady,
    Stage,
    data_task,
    load_runtime,
)

if TYPE_CHECKING:
    from psygnal import SignalInstance

    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.latent.map import MapLike
    from latent_atlas.models.contract import LatentModel
    from latent_atlas.models.modelfile import ModelFile

    from .arrows import Arrows
    from .colours import MapColours
    from .cursor import Cursor
    from .dataset import Dataset
    from .jobs import Job, Jobs
    from .loading import DataExtras


class LoaderHost(Protocol):
    """What loading reads and sets of its session (its parts, signals and shared state)."""

    name: str
    meta: dict[str, Any]
    dirty: bool
    load_error: str | None
    model_file: ModelFile | None
    model: LatentModel | None
    decoder: Decoder | None
    latent_map: MapLike | None
    images: np.ndarray | None
    data_note: str
    jobs: Jobs
    dataset: Dataset
    cursor: Cursor
    arrow_part: Arrows
    colours: MapColours
    layout_check: Any
    message: SignalInstance
    data_changed: SignalInstance
    data_missing: SignalInstance
    decoder_changed: SignalInstance
    colours_changed: SignalInstance
    file_changed: SignalInstance

    @property
    def data_spec(self) -> str: ...

    @property
    def n_points(self) -> int: ...

    def data_matches_map(self) -> bool: ...

    def set_map(self, latent_map: MapLike, note: str = "", *, dirty: bool = True) -> None: ...

    def refine_map(self, method: str = "auto") -> Job | None: ...


class Loader:
    """The loading part of a session: start the job, apply its events."""

    def __init__(self, session: LoaderHost) -> None:
        self.session = session

    def start_loading(self) -> Job | None:
        """Build the network and load the data in the background (once)."""
        s = self.session
        if s.decoder is not None or s.model_file is None or s.jobs.running("runtime"):
            return None
        mf, spec, latent_map = s.model_file, s.data_spec, s.latent_map
        n = s.n_points if latent_map is not None else None
        job = s.jobs.start("runtime", lambda cancel: load_runtime(mf, spec, n, latent_map,
                                                                 cancel))
        job.progress.connect(self.apply)
        job.failed.connect(self._on_load_failed)
        job.start()
        s.message.emit(f"{s.name}: loading the model…")
        return job

    def reload_data(self, spec: str, data: Any = None) -> Job | None:
        """Load the model's data from `spec` (data that moved, pointed to by the user); a
        spec that loads is stored with the model on the next save. `data`: an ImageSet
        loaded already (a model opened from Python), encoded and mapped here."""
        s = self.session
        if s.decoder is None:
            return None
        n = s.n_points if s.latent_map is not None else None
        decoder = s.decoder
        s.data_note = ""
        job = s.jobs.start("data", lambda cancel: data_task(decoder, spec, n, cancel, data))
        job.progress.connect(self.apply)
        if data is None:
            job.progress.connect(lambda ev: self._adopt_spec(ev, spec))
        job.start()
        s.data_changed.emit()
        s.message.emit(f"{s.name}: loading data '{spec}'…")
        return job

    def _adopt_spec(self, event: object, spec: str) -> None:
        s = self.session
        if isinstance(event, DataReady) and event.extras.data is not None:
            s.meta = {**s.meta, "data_spec": spec}
            s.dirty = True
            s.file_changed.emit()

    def _on_load_failed(self, msg: str) -> None:
        s = self.session
        s.load_error = msg
        s.message.emit(f"{s.name}: cannot load the model: {msg}")

    def apply(self, event: ModelReady | ImagesReady | DataReady | CodesReady | DataFailed | Stage
              ) -> None:
        """Apply one event of a loading job (on the owner thread)."""
        s = self.session
        if isinstance(event, ModelReady):
            self.set_model(event.model, event.decoder)
            s.message.emit(f"{s.name}: ready — click or drag on the map to decode")
        elif isinstance(event, ImagesReady):
            self.set_data(event.extras)
        elif isinstance(event, DataReady):
            if s.dataset.data is None or s.dataset.data is not event.extras.data:
                self.set_data(event.extras)  # a job that went straight to the end
            else:  # the images are shown already: add the reconstructions
                self.set_reconstructions(event.extras)
            if event.extras.note:
                s.message.emit(f"{s.name}: {event.extras.note}")
            else:  # replaces the last "reconstructing 1,797/1,797 images…": the job is done
                n = 0 if s.images is None else len(s.images)
                s.message.emit(f"{s.name}: ready — {n:,} images loaded; click or drag "
                               "on the map to decode")
            if s.latent_map is not None and not s.jobs.running("map"):
                s.layout_check.start()  # the start-up work is done: measure the layout
        elif isinstance(event, CodesReady):
            self.map_codes(event.codes)
        elif isinstance(event, DataFailed):
            s.data_note = event.message
            s.data_changed.emit()
            s.message.emit(f"{s.name}: {event.message}")
            if event.moved:
                s.data_missing.emit(event.moved)
        else:  # a status line: encoding 1,024/60,000 images…
            s.message.emit(f"{s.name}: {event.message}")

    def set_model(self, model: LatentModel, decoder: Decoder) -> None:
        s = self.session
        s.model, s.decoder = model, decoder
        self._attach_switches()
        s.decoder_changed.emit()
        s.arrow_part.refresh()
        s.cursor.redecode()

    def set_data(self, extras: DataExtras) -> None:
        s = self.session
        if not s.dataset.apply(extras):  # the data does not match the map: keep the map
            s.data_changed.emit()
            return
        s.colours.invalidate()
        s.data_changed.emit()
        s.colours_changed.emit()
        self.map_codes(extras.codes)
        if self._attach_switches(extras.codes):
            s.arrow_part.refresh()
            s.cursor.redecode()

    def set_reconstructions(self, extras: DataExtras) -> None:
        """The reconstructions and their errors of the data shown already."""
        s = self.session
        s.dataset.add_reconstructions(extras.reconstructions, extras.recon_error)
        s.colours.invalidate()
        s.data_changed.emit()
        s.colours_changed.emit()

    def map_codes(self, codes: np.ndarray | None) -> None:
        """A session without a map gets one from its data's codes: PCA at once, UMAP
        refining in the background."""
        s = self.session
        if s.latent_map is None and codes is not None:
            from latent_atlas.explorer.core.latent.map import quick_map

            s.set_map(quick_map(codes), "PCA (UMAP refining…)")
            s.refine_map("auto")

    @property
    def needs_switches(self) -> bool:
        """The model max-unpools: a map point decodes with the nearest sample's switches."""
        s = self.session
        return s.decoder is not None and s.decoder.needs_switches

    def _attach_switches(self, codes: np.ndarray | None = None) -> bool:
        """Give a max-unpooling model the data whose switches it borrows (the map's samples,
        row-aligned with their codes); True when attached."""
        s = self.session
        if not self.needs_switches or s.model is None or s.images is None:
            return False
        if codes is None or len(codes) != len(s.images):
            if not s.data_matches_map() or s.latent_map is None:
                return False
            codes = np.asarray(s.latent_map.unaligned().codes)
        from latent_atlas.explorer.core.inference import set_switch_reference

        set_switch_reference(s.model, s.images, codes)
        return True
