"""The window's single source of truth: open models, the active one, cursor, hover,
arrows, colouring, tool. Widgets write to it and listen to its signals; they never
compute anything themselves. Every number comes from explorer.core (or models).

`AtlasState` is a small QObject so that signals cross from worker threads safely; the
per-model data (`ModelEntry`) and arrows (`Arrow`) are plain dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from explorer.core.analysis.colouring import Colouring, colour_choices, colouring_for
from explorer.core.io.blend import cross_fade

TOOLS = ("explore", "arrow", "pan")
MIN_STEPS, MAX_STEPS, DEFAULT_STEPS = 2, 64, 7


@dataclass
class Arrow:
    """An interpolation between two latent codes; map positions are derived by `place`."""

    z0: np.ndarray
    z1: np.ndarray
    index0: int | None = None  # the sample an end snapped to, if any
    index1: int | None = None
    xy0: np.ndarray | None = None
    xy1: np.ndarray | None = None
    trace: np.ndarray | None = None  # steps x 2 placed latent path
    frames: np.ndarray | None = None  # decoded steps (display uint8)
    fade: np.ndarray | None = None  # pixel cross-fade between the end images


@dataclass
class PlacedImage:
    """The user's own picture: model input, its code, map position and reconstruction."""

    name: str
    original: np.ndarray  # uint8 C x H x W as fed to the model
    z: np.ndarray
    xy: np.ndarray
    display: np.ndarray  # the original as a display image
    reconstruction: np.ndarray


@dataclass
class ModelEntry:
    """One open model: file metadata, its map, and (once loaded) network, data, decoder."""

    name: str
    meta: dict[str, Any]
    path: Path | None = None
    latent_map: Any = None  # explorer.core.latent.map.LatentMap
    labels: np.ndarray | None = None
    label_names: list[str] = field(default_factory=list)
    factors: dict[str, np.ndarray] = field(default_factory=dict)
    images: np.ndarray | None = None  # dataset images uint8 N x C x H x W (thumbnails)
    reconstructions: np.ndarray | None = None  # display uint8, same order
    recon_error: np.ndarray | None = None
    model: Any = None  # models.networks.Autoencoder
    decoder: Any = None  # explorer.core.inference.Decoder
    arrows: list[Arrow] = field(default_factory=list)
    placed: PlacedImage | None = None
    map_note: str = ""  # e.g. "PCA (UMAP refining…)"
    dirty: bool = False
    model_file: Any = None  # models.modelfile.ModelFile the entry was read from

    @property
    def kind(self) -> str:
        return str(self.meta.get("config", {}).get("kind", "?"))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.meta.get("config", {}).get("input_shape", (1, 8, 8)))  # type: ignore[return-value]

    @property
    def data_spec(self) -> str:
        return str(self.meta.get("data_spec") or "")

    @property
    def n_points(self) -> int:
        return 0 if self.latent_map is None else len(self.latent_map.positions)

    def data_matches_map(self) -> bool:
        return self.images is not None and len(self.images) == self.n_points


class AtlasState(QObject):
    """Evented state of one window (see module docstring)."""

    entriesChanged = Signal()
    activeChanged = Signal()
    mapChanged = Signal()  # positions of the active map changed (e.g. UMAP replaced PCA)
    coloursChanged = Signal()
    decoderChanged = Signal()
    dataChanged = Signal()
    cursorChanged = Signal()
    hoverChanged = Signal()
    arrowsChanged = Signal()
    stripChanged = Signal()
    placedChanged = Signal()
    toolChanged = Signal()
    message = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.entries: list[ModelEntry] = []
        self.active_index = -1
        self.colour_key = "label"
        self.tool = "explore"
        self.steps = DEFAULT_STEPS
        self.mode = "lerp"
        self.cursor_xy: np.ndarray | None = None
        self.cursor_z: np.ndarray | None = None
        self.cursor_image: np.ndarray | None = None
        self.hover_index: int | None = None
        self.selected_arrow: int | None = None
        self.decode_count = 0  # decodes actually run (tests and the status bar read it)
        self._colouring: Colouring | None = None
        self._pending_xy: np.ndarray | None = None
        # Drags ask for far more decodes than we need: keep only the newest request and
        # run it when the event loop is next idle, so the image never lags the mouse.
        self._decode_timer = QTimer(self)
        self._decode_timer.setSingleShot(True)
        self._decode_timer.setInterval(0)
        self._decode_timer.timeout.connect(self._decode_pending)

    # ---- models -------------------------------------------------------------------
    @property
    def active(self) -> ModelEntry | None:
        if 0 <= self.active_index < len(self.entries):
            return self.entries[self.active_index]
        return None

    def add_entry(self, entry: ModelEntry, activate: bool = True) -> int:
        self.entries.append(entry)
        self.entriesChanged.emit()
        if activate or self.active_index < 0:
            self.set_active(len(self.entries) - 1)
        return len(self.entries) - 1

    def set_active(self, index: int) -> None:
        if not 0 <= index < len(self.entries) or index == self.active_index:
            return
        self.active_index = index
        self._pending_xy = None
        self.cursor_xy = self.cursor_z = self.cursor_image = None
        self.hover_index = None
        entry = self.active
        arrows = entry.arrows if entry else []
        self.selected_arrow = len(arrows) - 1 if arrows else None
        # colour_key is the user's wish; until its data exists (labels of a file without
        # stored labels arrive with the data set) colouring() falls back to one colour.
        self._colouring = None
        self.activeChanged.emit()
        self.coloursChanged.emit()
        self.cursorChanged.emit()
        self.hoverChanged.emit()
        self._refresh_arrows()

    def entry_index(self, entry: ModelEntry) -> int:
        for i, e in enumerate(self.entries):
            if e is entry:
                return i
        return -1

    def set_map(self, entry: ModelEntry, latent_map: Any, note: str = "") -> None:
        """Replace an entry's map (e.g. UMAP after PCA); re-place cursor, arrows, own image."""
        entry.latent_map = latent_map
        entry.map_note = note
        entry.dirty = True
        if entry.placed is not None:
            entry.placed.xy = np.asarray(latent_map.place(entry.placed.z), np.float32)
        if entry is not self.active:
            return
        self._colouring = None
        if self.cursor_z is not None:
            self.cursor_xy = np.asarray(latent_map.place(self.cursor_z), np.float32)
        self.mapChanged.emit()
        self.coloursChanged.emit()
        self.cursorChanged.emit()
        self.placedChanged.emit()
        self._refresh_arrows()

    def set_model(self, entry: ModelEntry, model: Any, decoder: Any) -> None:
        entry.model, entry.decoder = model, decoder
        if entry is self.active:
            self.decoderChanged.emit()
            self._refresh_arrows()
            if self.cursor_xy is not None:
                self.request_decode(self.cursor_xy)

    def set_data(self, entry: ModelEntry, images: np.ndarray | None, labels: np.ndarray | None,
                 label_names: list[str], factors: dict[str, np.ndarray],
                 reconstructions: np.ndarray | None, recon_error: np.ndarray | None) -> None:
        entry.images, entry.reconstructions, entry.recon_error = images, reconstructions, recon_error
        if labels is not None:
            entry.labels = labels
        if label_names:
            entry.label_names = list(label_names)
        entry.factors = dict(factors)
        if entry is self.active:
            self._colouring = None
            self.dataChanged.emit()
            self.coloursChanged.emit()

    # ---- colours ------------------------------------------------------------------
    def colour_choices(self) -> list[tuple[str, str]]:
        e = self.active
        if e is None:
            return []
        return colour_choices(has_labels=e.labels is not None, factor_names=sorted(e.factors),
                              has_recon_error=e.recon_error is not None,
                              has_codes=e.latent_map is not None)

    def set_colour_key(self, key: str) -> None:
        if key != self.colour_key:
            self.colour_key = key
            self._colouring = None
            self.coloursChanged.emit()

    def colouring(self) -> Colouring | None:
        e = self.active
        if e is None or e.latent_map is None:
            return None
        if self._colouring is None:
            labels = e.labels if e.labels is not None and len(e.labels) == e.n_points else None
            self._colouring = colouring_for(
                self.colour_key, labels=labels, label_names=e.label_names, factors=e.factors,
                codes=e.latent_map.codes, recon_error=e.recon_error, n=e.n_points)
        return self._colouring

    # ---- cursor & decoding -----------------------------------------------------------
    def request_decode(self, xy) -> None:
        """Ask for the image at map point `xy`; only the newest request is decoded."""
        self._pending_xy = np.asarray(xy, dtype=np.float32).reshape(2)
        if not self._decode_timer.isActive():
            self._decode_timer.start()

    def _decode_pending(self) -> None:
        xy, self._pending_xy = self._pending_xy, None
        e = self.active
        if xy is None or e is None or e.latent_map is None:
            return
        self.cursor_xy = xy
        self.cursor_z = np.asarray(e.latent_map.inverse(xy), np.float32)
        if e.decoder is not None:
            img = e.decoder.decode(self.cursor_z[None])
            self.cursor_image = np.asarray(img)[0]
            self.decode_count += 1
        else:
            self.cursor_image = None
        self.cursorChanged.emit()

    def flush_decode(self) -> None:
        """Run a pending decode now (tests, screenshots)."""
        if self._decode_timer.isActive():
            self._decode_timer.stop()
            self._decode_pending()

    # ---- hover --------------------------------------------------------------------------
    def set_hover(self, index: int | None) -> None:
        if index != self.hover_index:
            self.hover_index = index
            self.hoverChanged.emit()

    def hover_at(self, xy, tolerance: float) -> None:
        """Hover the sample nearest `xy` when it is within `tolerance` map units."""
        e = self.active
        if e is None or e.latent_map is None or e.n_points == 0:
            return self.set_hover(None)
        idx, dist = e.latent_map.nearest_sample(np.asarray(xy, np.float32))
        self.set_hover(int(idx) if dist <= tolerance else None)

    # ---- tools --------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}")
        if tool != self.tool:
            self.tool = tool
            self.toolChanged.emit()

    # ---- arrows -------------------------------------------------------------------------
    def _snap(self, xy: np.ndarray, tolerance: float) -> tuple[np.ndarray, int | None]:
        m = self.active.latent_map
        idx, dist = m.nearest_sample(xy)
        if dist <= tolerance:
            return np.asarray(m.codes[int(idx)], np.float32), int(idx)
        return np.asarray(m.inverse(xy), np.float32), None

    def add_arrow(self, xy0, xy1, tolerance: float = 0.0) -> Arrow | None:
        """Add an arrow between two map points; ends within `tolerance` snap to samples."""
        e = self.active
        if e is None or e.latent_map is None:
            return None
        z0, i0 = self._snap(np.asarray(xy0, np.float32).reshape(2), tolerance)
        z1, i1 = self._snap(np.asarray(xy1, np.float32).reshape(2), tolerance)
        if i0 is not None and i0 == i1:
            return None  # both ends on one sample: nothing to interpolate
        arrow = Arrow(z0=z0, z1=z1, index0=i0, index1=i1)
        e.arrows.append(arrow)
        self.selected_arrow = len(e.arrows) - 1
        self._refresh_arrows()
        return arrow

    def select_arrow(self, index: int | None) -> None:
        e = self.active
        if e is None or index is not None and not 0 <= index < len(e.arrows):
            index = None
        if index != self.selected_arrow:
            self.selected_arrow = index
            self.arrowsChanged.emit()
            self.stripChanged.emit()

    def delete_selected_arrow(self) -> bool:
        e = self.active
        if e is None or self.selected_arrow is None or not e.arrows:
            return False
        del e.arrows[self.selected_arrow]
        self.selected_arrow = (min(self.selected_arrow, len(e.arrows) - 1) if e.arrows else None)
        self._refresh_arrows()
        return True

    def selected(self) -> Arrow | None:
        e = self.active
        if e is None or self.selected_arrow is None or self.selected_arrow >= len(e.arrows):
            return None
        return e.arrows[self.selected_arrow]

    def set_steps(self, steps: int) -> None:
        steps = int(min(MAX_STEPS, max(MIN_STEPS, steps)))
        if steps != self.steps:
            self.steps = steps
            self._refresh_arrows()

    def set_mode(self, mode: str) -> None:
        if mode not in ("lerp", "slerp"):
            raise ValueError(f"interpolation must be lerp or slerp, not {mode!r}")
        if mode != self.mode:
            self.mode = mode
            self._refresh_arrows()

    def _refresh_arrows(self) -> None:
        """Recompute every arrow's ends and trace, and the strip of every arrow."""
        from explorer.core.latent.interpolation import lerp, path_trace, slerp

        e = self.active
        if e is not None and e.latent_map is not None:
            interp = slerp if self.mode == "slerp" else lerp
            m = e.latent_map
            for a in e.arrows:
                a.xy0 = (m.positions[a.index0] if a.index0 is not None else m.place(a.z0))
                a.xy1 = (m.positions[a.index1] if a.index1 is not None else m.place(a.z1))
                path = interp(a.z0, a.z1, self.steps)
                a.trace = np.asarray(path_trace(m, path), np.float32)
                if e.decoder is not None:
                    a.frames = np.asarray(e.decoder.decode(path))
                    a.fade = cross_fade(a.frames[0], a.frames[-1], self.steps)
                else:
                    a.frames = a.fade = None
        self.arrowsChanged.emit()
        self.stripChanged.emit()

    # ---- own image ---------------------------------------------------------------------
    def place_image(self, name: str, chw: np.ndarray) -> PlacedImage:
        """Encode the user's picture with the active model and mark it on the map."""
        from explorer.core.inference import to_display

        e = self.active
        if e is None or e.latent_map is None:
            raise ValueError("open a model first")
        if e.decoder is None:
            raise ValueError("the model is still loading; try again in a moment")
        z = np.asarray(e.decoder.encode(chw[None]), np.float32)[0]
        recon = np.asarray(e.decoder.reconstruct(chw[None]))[0]
        display = np.asarray(to_display(chw[None].astype(np.float32) / 255.0))[0]
        xy = np.asarray(e.latent_map.place(z), np.float32)
        e.placed = PlacedImage(name=name, original=chw, z=z, xy=xy, display=display,
                               reconstruction=recon)
        self.placedChanged.emit()
        return e.placed
