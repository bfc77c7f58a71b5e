"""The decode cursor of a session: where the user points, the code and image there, the
hovered and the selected sample. Decode requests are coalesced here, once for every
view: a drag asks for far more decodes than can be shown, so only the newest request
is decoded when the owner thread is next idle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from psygnal import SignalInstance

    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.latent.map import MapLike

    from .dispatch import Dispatcher


class CursorHost(Protocol):
    """What the cursor uses of its session."""

    latent_map: MapLike | None
    decoder: Decoder | None
    dispatcher: Dispatcher
    cursor_changed: SignalInstance
    cursor_requested: SignalInstance
    hover_changed: SignalInstance
    selection_changed: SignalInstance

    @property
    def n_points(self) -> int: ...

    @property
    def needs_switches(self) -> bool: ...


class Cursor:
    """The click path: `request_decode` -> `latent_map.inverse` -> `decoder.decode`."""

    def __init__(self, host: CursorHost) -> None:
        self.host = host
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
        self._pending_xy: np.ndarray | None = None
        self._decode_posted = False

    # ---- decoding -------------------------------------------------------------------
    def request_decode(self, xy: npt.ArrayLike) -> None:
        """Ask for the image at map point `xy`; only the newest request is decoded."""
        self._pending_xy = np.asarray(xy, dtype=np.float32).reshape(2)
        self.host.cursor_requested.emit(self._pending_xy)
        if not self._decode_posted:
            self._decode_posted = True
            self.host.dispatcher.post(self._decode_pending)

    def _decode_pending(self) -> None:
        self._decode_posted = False
        xy, self._pending_xy = self._pending_xy, None
        m, decoder = self.host.latent_map, self.host.decoder
        if xy is None or m is None:
            return
        self.cursor_xy = xy
        self.cursor_z = np.asarray(m.inverse(xy), np.float32)
        self.cursor_note, self.cursor_switch_source = "", None
        if decoder is not None and self.host.needs_switches:
            self._decode_with_switches(decoder, self.cursor_z)
        elif decoder is not None:
            self.cursor_image = np.asarray(decoder.decode(self.cursor_z[None]))[0]
            self.decode_count += 1
        else:
            self.cursor_image = None
        self.host.cursor_changed.emit()

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

    def redecode(self) -> None:
        """Decode the cursor's point again (a new decoder, new switches)."""
        if self.cursor_xy is not None:
            self.request_decode(self.cursor_xy)

    def follow_map(self, latent_map: MapLike) -> None:
        """Keep the cursor on its code when the map changes (UMAP after PCA, alignment)."""
        if self.cursor_z is not None:
            self.cursor_xy = np.asarray(latent_map.place(self.cursor_z), np.float32)

    # ---- hover & selection ----------------------------------------------------------
    def nearest(self, xy: npt.ArrayLike, tolerance: float) -> int | None:
        """The sample within `tolerance` map units of `xy`, if any."""
        m = self.host.latent_map
        if m is None or self.host.n_points == 0:
            return None
        idx, dist = m.nearest_sample(np.asarray(xy, np.float32).reshape(2),
                                     max_distance=tolerance)
        return int(idx) if idx >= 0 and dist <= tolerance else None

    def set_hover(self, index: int | None) -> None:
        if index is not None and not 0 <= index < self.host.n_points:
            index = None
        if index != self.hover_index:
            self.hover_index = index
            self.host.hover_changed.emit()

    def hover_at(self, xy: npt.ArrayLike, tolerance: float) -> None:
        """Hover the sample nearest `xy` when it is within `tolerance` map units."""
        self.set_hover(self.nearest(xy, tolerance))

    def select(self, index: int | None) -> None:
        """Select one sample by index (ringed on the map)."""
        if index is not None and not 0 <= index < self.host.n_points:
            index = None
        if index != self.selected_index:
            self.selected_index = index
            self.host.selection_changed.emit()

    def select_sample(self, index: int) -> None:
        """Jump to a sample: decode it (the inverse is exact at data points), ring it."""
        m = self.host.latent_map
        if m is None or not 0 <= index < self.host.n_points:
            return
        self.request_decode(m.positions[index])
        self.flush_decode()
        self.set_hover(int(index))
        self.select(int(index))
