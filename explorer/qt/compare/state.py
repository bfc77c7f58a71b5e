"""The compare view's single source of truth: both models, their aligned maps, and the
shared gestures (hover, selection, decode point, arrow, prior samples, gap grids).

The two maps show the same samples in the same order, and the right map is aligned onto
the left one's frame, so one map position and one sample index mean the same thing in
both. Every gesture is stored once and each side derives what it draws from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from explorer.core.inference import one_torch_thread
from explorer.core.io.blend import cross_fade

from ..state import DEFAULT_STEPS, MAX_STEPS, MIN_STEPS

SIDE_TITLES = ("AE", "VAE")


@dataclass
class CompareSide:
    """One model of the pair: file, map (in the shared frame), and once loaded its network."""

    name: str
    kind: str
    model_file: Any
    latent_map: Any
    path: Path | None = None
    model: Any = None
    decoder: Any = None
    click_image: np.ndarray | None = None  # decoded at the shared decode point
    trace: np.ndarray | None = None  # arrow path placed on this map (steps x 2)
    frames: np.ndarray | None = None  # arrow path decoded by this model
    samples: Any = None  # explorer.core.analysis.generate.PriorSamples
    gap: Any = None  # explorer.core.analysis.gaps.GapGrid
    grid_image: np.ndarray | None = None  # decoded n x n grid over the view, one image

    @property
    def n_points(self) -> int:
        return 0 if self.latent_map is None else len(self.latent_map.positions)


@dataclass
class CompareArrow:
    """An arrow in the shared frame; ends snapped to a sample carry its index."""

    xy0: np.ndarray
    xy1: np.ndarray
    index0: int | None = None
    index1: int | None = None


class CompareState(QObject):
    """Evented state of the compare window (see module docstring)."""

    mapsChanged = Signal()
    decoderChanged = Signal()
    dataChanged = Signal()
    hoverChanged = Signal()
    selectionChanged = Signal()
    cursorChanged = Signal()
    arrowChanged = Signal()
    samplesChanged = Signal()
    gapsChanged = Signal()
    gridsChanged = Signal()
    metricsChanged = Signal()
    toolChanged = Signal()
    message = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.sides: list[CompareSide] = []
        self.data: Any = None  # ImageSet of the data both models were trained on
        self.labels: np.ndarray | None = None
        self.tool = "explore"  # read by MapViewBox: explore | arrow | pan
        self.steps = DEFAULT_STEPS
        self.hover_index: int | None = None
        self.selected_index: int | None = None
        self.cursor_xy: np.ndarray | None = None
        self.arrow: CompareArrow | None = None
        self.fade: np.ndarray | None = None
        self.gap_levels: tuple[float, float] | None = None
        self.metrics: Any = None  # explorer.core.analysis.metrics.CompareResult
        self.unaligned_map: Any = None  # the right model's own map, before alignment
        self.grid_rect: tuple[float, float, float, float] | None = None
        self.grid_n = 10

    # ---- models -------------------------------------------------------------------------
    def set_sides(self, sides: list[CompareSide]) -> None:
        """Show a new pair: every gesture and result of the previous pair is dropped."""
        self.sides = list(sides)
        self.data = self.labels = None
        self.hover_index = self.selected_index = self.cursor_xy = None
        self.arrow = self.fade = self.gap_levels = self.metrics = None
        self.grid_rect = None
        for s in self.sides:
            s.grid_image = None
        self.mapsChanged.emit()
        for signal in (self.dataChanged, self.hoverChanged, self.selectionChanged,
                       self.cursorChanged, self.arrowChanged, self.samplesChanged,
                       self.gapsChanged, self.gridsChanged, self.metricsChanged):
            signal.emit()

    def set_side_map(self, side: int, latent_map: Any) -> None:
        """Replace one side's map (a refined alignment); arrows and samples re-place."""
        self.sides[side].latent_map = latent_map
        self._refresh_samples_positions()
        self.mapsChanged.emit()
        self._refresh_arrow()

    def set_model(self, side: int, model: Any, decoder: Any) -> None:
        s = self.sides[side]
        s.model, s.decoder = model, decoder
        self.decoderChanged.emit()
        if self.cursor_xy is not None:
            self.decode_at(self.cursor_xy)
        self._refresh_arrow()

    def set_data(self, data: Any) -> None:
        self.data = data
        n = self.sides[0].n_points if self.sides else -1
        self.labels = (np.asarray(data.labels) if data is not None and data.labels is not None
                       and len(data.labels) == n else None)
        self.dataChanged.emit()

    def ready(self) -> bool:
        return bool(self.sides) and all(s.decoder is not None for s in self.sides)

    def set_tool(self, tool: str) -> None:
        if tool not in ("explore", "arrow", "pan"):
            raise ValueError(f"unknown tool {tool!r}")
        if tool != self.tool:
            self.tool = tool
            self.toolChanged.emit()

    # ---- linked hover / selection -----------------------------------------------------
    def set_hover(self, index: int | None) -> None:
        if index != self.hover_index:
            self.hover_index = index
            self.hoverChanged.emit()

    def select(self, index: int | None) -> None:
        """Select one sample (by its index, the same in both maps)."""
        if index is not None and not 0 <= index < self.sides[0].n_points:
            index = None
        if index != self.selected_index:
            self.selected_index = index
            self.selectionChanged.emit()

    def nearest(self, side: int, xy, tolerance: float) -> int | None:
        """The sample of side `side`'s map within `tolerance` of `xy`, if any."""
        m = self.sides[side].latent_map
        if m is None or self.sides[side].n_points == 0:
            return None
        idx, dist = m.nearest_sample(np.asarray(xy, np.float32).reshape(2))
        return int(idx) if dist <= tolerance else None

    # ---- decoding at a point ----------------------------------------------------------
    def decode_at(self, xy) -> None:
        """Decode the map position `xy` in both models (each through its own inverse)."""
        self.cursor_xy = np.asarray(xy, np.float32).reshape(2)
        with one_torch_thread():
            for s in self.sides:
                if s.decoder is None or s.latent_map is None:
                    s.click_image = None
                    continue
                z = np.asarray(s.latent_map.inverse(self.cursor_xy), np.float32)
                s.click_image = np.asarray(s.decoder.decode(z[None]))[0]
        self.cursorChanged.emit()

    # ---- the arrow ------------------------------------------------------------------------
    def set_arrow(self, xy0, xy1, side: int = 0, tolerance: float = 0.0) -> CompareArrow | None:
        """Draw an arrow from `xy0` to `xy1` on map `side`; ends within `tolerance` snap to
        a sample of that map, and then mean that same sample in the other map too."""
        if not self.sides:
            return None
        p0 = np.asarray(xy0, np.float32).reshape(2)
        p1 = np.asarray(xy1, np.float32).reshape(2)
        i0, i1 = self.nearest(side, p0, tolerance), self.nearest(side, p1, tolerance)
        if i0 is not None and i0 == i1:
            return None
        self.arrow = CompareArrow(p0, p1, i0, i1)
        self._refresh_arrow()
        return self.arrow

    def clear_arrow(self) -> None:
        self.arrow = None
        self._refresh_arrow()

    def set_steps(self, steps: int) -> None:
        steps = int(min(MAX_STEPS, max(MIN_STEPS, steps)))
        if steps != self.steps:
            self.steps = steps
            self._refresh_arrow()

    def _end_code(self, s: CompareSide, xy: np.ndarray, index: int | None) -> np.ndarray:
        if index is not None:
            return np.asarray(s.latent_map.codes[index], np.float32)
        return np.asarray(s.latent_map.inverse(xy), np.float32)

    def _refresh_arrow(self) -> None:
        from explorer.core.latent.interpolation import lerp, path_trace

        a = self.arrow
        self.fade = None
        for s in self.sides:
            s.trace = s.frames = None
            if a is None or s.latent_map is None:
                continue
            path = lerp(self._end_code(s, a.xy0, a.index0), self._end_code(s, a.xy1, a.index1),
                        self.steps)
            s.trace = np.asarray(path_trace(s.latent_map, path), np.float32)
            if s.decoder is not None:
                with one_torch_thread():
                    s.frames = np.asarray(s.decoder.decode(path))
        first = self.sides[0].frames if self.sides else None
        if a is not None and first is not None:
            # The pixel cross-fade blends the two end images in image space (the left
            # model's ends), the baseline a latent path should beat.
            self.fade = cross_fade(first[0], first[-1], self.steps)
        self.arrowChanged.emit()

    # ---- prior samples ----------------------------------------------------------------
    def sample(self, n: int, seed: int = 0) -> None:
        """Draw `n` codes from each model's prior, decode them, place them on its map."""
        from explorer.core.analysis.generate import sample_prior

        if not self.ready():
            raise ValueError("the models are still loading; try again in a moment")
        with one_torch_thread():
            for s in self.sides:
                base = getattr(s.latent_map, "base", None) or s.latent_map
                # An AE's prior is fitted to its own codes of the data (the map's codes).
                s.samples = sample_prior(s.model, int(n), seed=seed, codes=base.codes,
                                         latent_map=s.latent_map, decoder=s.decoder)
        self.samplesChanged.emit()

    def _refresh_samples_positions(self) -> None:
        for s in self.sides:
            if s.samples is not None and len(s.samples.codes):
                s.samples.positions = s.latent_map.place(s.samples.codes)

    # ---- decoded grid ------------------------------------------------------------------
    def decode_grids(self, rect: tuple[float, float, float, float], n: int) -> None:
        """The classic manifold figure for each model: n x n images decoded over `rect`,
        as one display image with y pointing up (the top row is the top of the view)."""
        from explorer.core.analysis.generate import decoded_grid
        from explorer.core.io.blend import stack_rows, tile_row

        if not self.ready():
            return
        self.grid_rect, self.grid_n = tuple(float(v) for v in rect), int(n)
        with one_torch_thread():
            for s in self.sides:
                images = decoded_grid(s.decoder, s.latent_map, self.grid_rect, self.grid_n)
                rows = [tile_row(images[iy], gap=1) for iy in range(self.grid_n - 1, -1, -1)]
                s.grid_image = stack_rows(rows, gap=1)
        self.gridsChanged.emit()

    # ---- gaps & metrics ---------------------------------------------------------------------
    def set_gaps(self, grids: list[Any] | None) -> None:
        from explorer.core.analysis.gaps import shared_levels

        for s, g in zip(self.sides, grids or [None] * len(self.sides), strict=True):
            s.gap = g
        scores = [s.gap.scores for s in self.sides if s.gap is not None]
        self.gap_levels = shared_levels(*scores) if scores else None
        self.gapsChanged.emit()

    def set_metrics(self, result: Any) -> None:
        self.metrics = result
        self.metricsChanged.emit()
