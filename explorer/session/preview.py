"""What the start-up preview paints: a model's stored map, read with numpy only.

The window paints this before PySide6's plotting library, torch or any panel is imported
(`explorer/qt/startup_preview.py`), so the user sees their map within a few tenths of a
second; the real window takes its place when it has painted. Nothing here is needed for
the map to work: a file without a stored map, or one that cannot be read, gives no
preview, and the window then reports the problem as it always does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.colouring import colouring_for
from latent_atlas.explorer.core.palette import CATEGORY_COLOURS, OTHER_COLOUR, hex_rgb

MAX_POINTS = 20_000  # more would not change the picture, only slow the first paint


@dataclass(frozen=True)
class MapPreview:
    """A map to paint: `positions` (n, 2) in map units, `colours` (n, 3) uint8 RGB."""

    name: str
    positions: np.ndarray
    colours: np.ndarray

    def fitted(self, width: float, height: float, margin: float = 12.0) -> np.ndarray:
        """The positions in pixels of a `width` x `height` area (y pointing down, as on
        screen), scaled like the map's own view: each axis fills the area less `margin`."""
        pos = np.asarray(self.positions, dtype=np.float64)
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        usable = np.array([max(width - 2 * margin, 1.0), max(height - 2 * margin, 1.0)])
        out = (pos - lo) / span * usable + margin
        out[:, 1] = height - out[:, 1]  # the map's y points up
        return out

    def by_colour(self) -> list[tuple[tuple[int, int, int], np.ndarray]]:
        """(RGB, the indices of the points of that colour), so a painter draws each colour
        in one call."""
        keys, inverse = np.unique(self.colours, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        out: list[tuple[tuple[int, int, int], np.ndarray]] = []
        for i, key in enumerate(keys):
            r, g, b = (int(v) for v in key[:3])
            out.append(((r, g, b), np.flatnonzero(inverse == i)))
        return out


def map_preview(paths: list[Any]) -> MapPreview | None:
    """The preview of the model the window will show first (the last one opened), or None
    when no model file among `paths` holds a stored map."""
    for path in reversed(paths):
        preview = _preview_of(path)
        if preview is not None:
            return preview
    return None


def _preview_of(path: Any) -> MapPreview | None:
    if not isinstance(path, (str, Path)) or not str(path).endswith(".safetensors"):
        return None  # a Python factory, a folder, a view or a picture: opened later
    from .opening import read_model

    try:
        stored = read_model(path)
    except Exception:  # the window says what is wrong with the file, with a dialog
        return None
    if stored.latent_map is None:
        return None
    positions = np.asarray(stored.latent_map.positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] < 2 or len(positions) == 0:
        return None
    positions = positions[:, :2]
    labels = stored.labels
    if labels is not None and len(labels) != len(positions):
        labels = None  # labels of other samples than the map's: one colour
    finite = np.isfinite(positions).all(axis=1)
    keep = np.flatnonzero(finite)
    if len(keep) == 0:
        return None
    if len(keep) > MAX_POINTS:  # an even spread over the map's points, the same every time
        keep = keep[np.linspace(0, len(keep) - 1, MAX_POINTS).astype(np.int64)]
    colouring = colouring_for("label", labels=labels, n=len(positions))
    table = hex_rgb(list(CATEGORY_COLOURS))
    index = np.asarray(colouring.index)[keep] % len(table)
    colours = table[index]
    if colouring.other:  # the lumped small categories are grey, as in the legend
        colours[np.asarray(colouring.index)[keep] == colouring.n_colours - 1] = \
            hex_rgb([OTHER_COLOUR])[0]
    return MapPreview(name=Path(str(path)).stem, positions=positions[keep],
                      colours=np.asarray(colours, dtype=np.uint8))
