"""Interpolation arrows and the user's placed picture: two parts of a session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from psygnal import SignalInstance

    from latent_atlas.explorer.core.inference import Decoder
    from latent_atlas.explorer.core.latent.map import MapLike

MIN_STEPS, MAX_STEPS, DEFAULT_STEPS = 2, 64, 7
MODES = ("lerp", "slerp")


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


@dataclass(frozen=True)
class ArrowEnds:
    """Where an arrow was drawn: map points, and the samples its ends snapped to.

    A linked view redraws the same arrow from this: a snapped end means the same sample
    in another model's map; a free end is that map's inverse of the same point.
    """

    xy0: tuple[float, float]
    xy1: tuple[float, float]
    index0: int | None = None
    index1: int | None = None


@dataclass
class PlacedImage:
    """The user's own picture: model input, its code, map position and reconstruction."""

    name: str
    original: np.ndarray  # uint8 C x H x W as fed to the model
    z: np.ndarray
    xy: np.ndarray
    display: np.ndarray  # the original as a display image
    reconstruction: np.ndarray


def clamp_steps(steps: int) -> int:
    return int(min(MAX_STEPS, max(MIN_STEPS, int(steps))))


def refresh_arrow(arrow: Arrow, latent_map: MapLike, decoder: Decoder | None, steps: int,
                  mode: str) -> None:
    """Recompute an arrow's ends, placed trace and decoded strip (frames, cross-fade)."""
    from latent_atlas.explorer.core.io.blend import cross_fade
    from latent_atlas.explorer.core.latent.interpolation import lerp, path_trace, slerp

    m = latent_map
    arrow.xy0 = m.positions[arrow.index0] if arrow.index0 is not None else m.place(arrow.z0)
    arrow.xy1 = m.positions[arrow.index1] if arrow.index1 is not None else m.place(arrow.z1)
    path = (slerp if mode == "slerp" else lerp)(arrow.z0, arrow.z1, steps)
    arrow.trace = np.asarray(path_trace(m, path), np.float32)
    if decoder is not None and decoder.decodes_codes:
        arrow.frames = np.asarray(decoder.decode(path))
        arrow.fade = cross_fade(arrow.frames[0], arrow.frames[-1], steps)
    else:
        arrow.frames = arrow.fade = None


class ArrowHost(Protocol):
    """What the arrows use of their session: its map, decoder, snapping and signals."""

    latent_map: MapLike | None
    decoder: Decoder | None
    arrows_changed: SignalInstance
    arrow_added: SignalInstance
    arrow_removed: SignalInstance
    arrow_selected: SignalInstance
    path_settings_changed: SignalInstance

    @property
    def n_points(self) -> int: ...

    def nearest(self, xy: npt.ArrayLike, tolerance: float) -> int | None: ...


class Arrows:
    """The interpolation arrows of a session: add (snapping ends to samples), select,
    delete, steps and lerp/slerp; every arrow's trace and strip are kept up to date."""

    def __init__(self, host: ArrowHost) -> None:
        self.host = host
        self.arrows: list[Arrow] = []
        self.selected_arrow: int | None = None
        self.steps = DEFAULT_STEPS
        self.mode = "lerp"

    def _end_code(self, xy: np.ndarray, index: int | None) -> np.ndarray:
        m = self.host.latent_map
        assert m is not None  # arrows are only added to a session with a map
        if index is not None:
            return np.asarray(m.codes[index], np.float32)
        return np.asarray(m.inverse(xy), np.float32)

    def add_arrow(self, xy0: npt.ArrayLike, xy1: npt.ArrayLike, tolerance: float = 0.0
                  ) -> Arrow | None:
        """Add an arrow between two map points; ends within `tolerance` snap to samples."""
        if self.host.latent_map is None:
            return None
        p0 = np.asarray(xy0, np.float32).reshape(2)
        p1 = np.asarray(xy1, np.float32).reshape(2)
        i0, i1 = self.host.nearest(p0, tolerance), self.host.nearest(p1, tolerance)
        return self.add_arrow_at(ArrowEnds((float(p0[0]), float(p0[1])),
                                           (float(p1[0]), float(p1[1])), i0, i1))

    def add_arrow_at(self, ends: ArrowEnds) -> Arrow | None:
        """Add the arrow `ends` describes (snapped ends are samples of this map)."""
        if self.host.latent_map is None:
            return None
        n = self.host.n_points
        i0 = ends.index0 if ends.index0 is not None and ends.index0 < n else None
        i1 = ends.index1 if ends.index1 is not None and ends.index1 < n else None
        if i0 is not None and i0 == i1:
            return None  # both ends on one sample: nothing to interpolate
        arrow = Arrow(z0=self._end_code(np.asarray(ends.xy0, np.float32), i0),
                      z1=self._end_code(np.asarray(ends.xy1, np.float32), i1),
                      index0=i0, index1=i1)
        self.arrows.append(arrow)
        self.selected_arrow = len(self.arrows) - 1
        self.refresh()
        self.host.arrow_added.emit(ends)
        return arrow

    def select_arrow(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.arrows):
            index = None
        if index != self.selected_arrow:
            self.selected_arrow = index
            self.host.arrows_changed.emit()
            self.host.arrow_selected.emit(index)

    def delete_arrow(self, index: int) -> bool:
        if not 0 <= index < len(self.arrows):
            return False
        del self.arrows[index]
        if self.selected_arrow is not None:
            sel = self.selected_arrow - (1 if self.selected_arrow > index else 0)
            self.selected_arrow = min(sel, len(self.arrows) - 1) if self.arrows else None
        self.refresh()
        self.host.arrow_removed.emit(index)
        return True

    def delete_selected_arrow(self) -> bool:
        return self.selected_arrow is not None and self.delete_arrow(self.selected_arrow)

    def clear_arrows(self) -> None:
        while self.arrows:
            self.delete_arrow(len(self.arrows) - 1)

    def selected(self) -> Arrow | None:
        if self.selected_arrow is None or self.selected_arrow >= len(self.arrows):
            return None
        return self.arrows[self.selected_arrow]

    def set_steps(self, steps: int) -> None:
        steps = clamp_steps(steps)
        if steps != self.steps:
            self.steps = steps
            self.refresh()
            self.host.path_settings_changed.emit()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"interpolation must be lerp or slerp, not {mode!r}")
        if mode != self.mode:
            self.mode = mode
            self.refresh()
            self.host.path_settings_changed.emit()

    def refresh(self) -> None:
        """Recompute every arrow's ends, trace and strip."""
        if self.host.latent_map is not None:
            for a in self.arrows:
                refresh_arrow(a, self.host.latent_map, self.host.decoder, self.steps,
                              self.mode)
        self.host.arrows_changed.emit()


class PictureHost(Protocol):
    """What the placed picture uses of its session."""

    latent_map: MapLike | None
    decoder: Decoder | None
    placed_changed: SignalInstance


class Picture:
    """The user's own picture, encoded by the session's model and marked on its map."""

    def __init__(self, host: PictureHost) -> None:
        self.host = host
        self.placed: PlacedImage | None = None

    def place_image(self, name: str, chw: np.ndarray) -> PlacedImage:
        """Encode the user's picture with this model and mark it on the map."""
        from latent_atlas.explorer.core.inference import to_display

        m, decoder = self.host.latent_map, self.host.decoder
        if m is None:
            raise ValueError("open a model first")
        if decoder is None:
            raise ValueError("the model is still loading; try again in a moment")
        z = np.asarray(decoder.encode(chw[None]), np.float32)[0]
        recon = np.asarray(decoder.reconstruct(chw[None]))[0]
        display = np.asarray(to_display(chw[None].astype(np.float32) / 255.0))[0]
        xy = np.asarray(m.place(z), np.float32)
        self.placed = PlacedImage(name=name, original=chw, z=z, xy=xy, display=display,
                                  reconstruction=recon)
        self.host.placed_changed.emit()
        return self.placed

    def follow_map(self, latent_map: MapLike) -> None:
        """Keep the picture on its code when the map changes."""
        if self.placed is not None:
            self.placed.xy = np.asarray(latent_map.place(self.placed.z), np.float32)
