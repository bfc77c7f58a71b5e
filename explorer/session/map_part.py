"""The map part of a session: replacing the map, refining it in the background, and the
map's points as a table for other viewers.

The session keeps `latent_map` itself (it is the click path's first step); this part is
what changes it and tells every other part to follow the new positions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .loading import map_task

if TYPE_CHECKING:
    from psygnal import SignalInstance

    from latent_atlas.explorer.core.io.interop import EmbeddingTable
    from latent_atlas.explorer.core.latent.map import MapLike
    from latent_atlas.models.contract import LatentModel

    from .jobs import Job, Jobs


class MapHost(Protocol):
    """What the map part reads and writes of its session."""

    name: str
    latent_map: MapLike | None
    map_note: str
    dirty: bool
    model: LatentModel | None
    jobs: Jobs
    label_names: list[str]
    recon_error: np.ndarray | None
    images: np.ndarray | None
    colours: Any
    picture: Any
    cursor: Any
    selection_part: Any
    arrow_part: Any
    layout_check: Any
    map_changed: SignalInstance
    cursor_changed: SignalInstance
    placed_changed: SignalInstance
    file_changed: SignalInstance
    message: SignalInstance
    progress: SignalInstance

    def data_matches_map(self) -> bool: ...

    def map_labels(self) -> np.ndarray | None: ...


class MapPart:
    """See the module docstring."""

    def __init__(self, host: MapHost) -> None:
        self.host = host

    def set_map(self, latent_map: MapLike, note: str = "", *, dirty: bool = True) -> None:
        """Replace the map (UMAP after PCA, an alignment); re-place cursor, arrows, picture."""
        s = self.host
        s.latent_map = latent_map
        s.map_note = note
        # A model Latent Atlas did not build cannot be saved: no unsaved-changes star.
        saveable = s.model is None or s.model.capabilities.saveable
        s.dirty = s.dirty or (dirty and saveable)
        s.colours.invalidate()
        s.picture.follow_map(latent_map)
        s.cursor.follow_map(latent_map)
        s.selection_part.follow_map()
        s.map_changed.emit()
        s.cursor_changed.emit()
        s.placed_changed.emit()
        s.file_changed.emit()
        s.arrow_part.refresh()

    def refine_map(self, method: str = "auto") -> Job | None:
        """Fit a map (UMAP by default) in the background; the current map stays meanwhile."""
        s = self.host
        if s.latent_map is None:
            return None
        if method == "pca":
            from latent_atlas.explorer.core.latent.map import quick_map

            for j in s.jobs.running("map"):
                j.supersede()
            self.set_map(quick_map(np.asarray(s.latent_map.codes)), "PCA map")
            return None
        codes = np.asarray(s.latent_map.unaligned().codes)
        label = "UMAP" if method in ("auto", "umap") and codes.shape[1] != 2 else method.upper()
        job = s.jobs.start("map", lambda cancel: map_task(codes, method, cancel))
        job.progress.connect(lambda ev: s.progress.emit(ev))
        job.succeeded.connect(self._on_map_done)
        job.failed.connect(lambda msg: s.message.emit(
            f"{s.name}: the map could not be refined ({msg}); keeping the current one"))
        job.finished.connect(lambda: s.progress.emit(None))
        job.start()
        from .status import COLD_UMAP, umap_cache_cold

        cold = label == "UMAP" and umap_cache_cold()
        s.message.emit(f"{s.name}: {COLD_UMAP if cold else label + ' map refining…'}")
        return job

    def _on_map_done(self, latent_map: MapLike | None) -> None:
        if latent_map is not None:
            s = self.host
            self.set_map(latent_map, f"{latent_map.method} map")
            s.message.emit(f"{s.name}: {latent_map.method.upper()} map ready")
            s.layout_check.start()

    def embedding_table(self) -> EmbeddingTable:
        """The map's points for other viewers (`core.io.interop`): codes, positions, labels,
        and the images and their reconstruction errors once the data is loaded."""
        from latent_atlas.explorer.core.io.interop import EmbeddingTable

        s = self.host
        m, aligned = s.latent_map, s.data_matches_map()
        if m is None:
            raise ValueError("this model has no map yet; wait until it is mapped")
        errors = s.recon_error if aligned and s.recon_error is not None else None
        return EmbeddingTable(codes=m.codes, positions=m.positions, labels=s.map_labels(),
                              label_names=s.label_names, errors=errors,
                              images=s.images if aligned else None, name=s.name)
