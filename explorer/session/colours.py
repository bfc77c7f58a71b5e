"""The colouring of a session's points: which key colours them, and the colours (cached
until the map, the data or the key changes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from latent_atlas.explorer.core.analysis.colouring import Colouring, colour_choices, colouring_for

if TYPE_CHECKING:
    from psygnal import SignalInstance

    from latent_atlas.explorer.core.latent.map import MapLike


class ColourHost(Protocol):
    """What the colouring reads of its session."""

    latent_map: MapLike | None
    labels: np.ndarray | None
    label_names: list[str]
    factors: dict[str, np.ndarray]
    recon_error: np.ndarray | None
    colours_changed: SignalInstance

    @property
    def n_points(self) -> int: ...

    def map_labels(self) -> np.ndarray | None: ...


class MapColours:
    """The colouring of a session's points: which key, and its colours (cached)."""

    def __init__(self, session: ColourHost) -> None:
        self.session = session
        self.key = "label"
        self._colouring: Colouring | None = None

    def invalidate(self) -> None:
        self._colouring = None

    def choices(self) -> list[tuple[str, str]]:
        s = self.session
        return colour_choices(has_labels=s.labels is not None, factor_names=sorted(s.factors),
                              has_recon_error=s.recon_error is not None,
                              has_codes=s.latent_map is not None)

    def set_key(self, key: str) -> None:
        if key != self.key:
            self.key = key
            self._colouring = None
            self.session.colours_changed.emit()

    def colouring(self) -> Colouring | None:
        s = self.session
        if s.latent_map is None:
            return None
        if self._colouring is None:
            self._colouring = colouring_for(
                self.key, labels=s.map_labels(), label_names=s.label_names,
                factors=s.factors, codes=s.latent_map.codes, recon_error=s.recon_error,
                n=s.n_points)
        return self._colouring
