"""Factors, Qt-free: for data with known factors (such as `shapes`), which latent dimension
predicts which factor, as the DCI importance matrix (`latent_atlas.explorer.core.analysis.disentangle`;
rows = dimensions, columns = factors) with each factor's best dimension; choosing a factor
traverses its best dimension around the clicked point (one row of images).

The importance matrix is fitted once per model in a job and kept per model (weakly); the
traversal row is a handful of decodes, made when the factor or the point changes. With
two shown models the result has one column per model.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    latent_traversal,
    traversal_scale,
)
from latent_atlas.explorer.core.analysis.disentangle.dci import importance_matrix
from latent_atlas.explorer.core.inference import one_torch_thread
from latent_atlas.explorer.core.io.images import image_strip

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import PanelModel, job_name
from .sources import model_ready

HINT = ("Which latent dimension predicts which factor: the DCI importance of each dimension "
        "(row) for each factor (column), from extremely randomised trees fitted on the codes. "
        "Click a factor to traverse its best dimension around the clicked point.")
NO_FACTORS = "This data has no factor columns (shapes has: shape, scale, rotation, x, y)."
STEPS = 7
SPAN = 2.5


@dataclass
class FactorColumn:
    """One model: its importance matrix (None while fitting), the factor names, the best
    dimension of each factor, and the chosen factor's traversal row (a display strip)."""

    session: Session
    factors: tuple[str, ...] = ()
    importance: np.ndarray | None = None
    scores: np.ndarray | None = None
    best: dict[str, int] = field(default_factory=dict)
    strip: np.ndarray | None = None
    strip_title: str = ""
    note: str = ""


@dataclass
class FactorsResult:
    columns: list[FactorColumn] = field(default_factory=list)
    factor: str | None = None
    hint: str = HINT


def heat_colour(value: float, vmax: float) -> tuple[int, int, int]:
    """White (0) to dark blue (vmax): the colour of one heatmap cell."""
    t = 0.0 if vmax <= 0 else float(np.clip(value / vmax, 0.0, 1.0))
    low, high = np.array([255, 255, 255]), np.array([8, 48, 107])
    r, g, b = (low + t * (high - low)).round().astype(int)
    return int(r), int(g), int(b)


class FactorsModel(PanelModel):
    """The factor heatmap panel's state, cache and jobs (see module docstring)."""

    FOLLOW = ("cursor_changed", "data_changed", "map_changed", "decoder_changed")

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.factor: str | None = None
        self.result = FactorsResult()
        # session -> (codes the fit was made on, (names, importance, scores) or an error)
        self._fits: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        super().__init__(shown, jobs)

    def choose_factor(self, factor: str | None) -> None:
        """Traverse `factor`'s best dimension (None: no traversal row)."""
        self.factor = factor
        self.schedule()

    def on_session_event(self, name: str) -> None:
        self.schedule()

    def _usable(self, s: Session) -> str:
        if not model_ready(s):
            return "The model is still loading."
        assert s.latent_map is not None
        n = len(s.latent_map.codes)
        if not s.factors:
            return NO_FACTORS
        if any(len(v) != n for v in s.factors.values()):
            return "The map's points are not the data's samples, so the factors do not apply."
        return ""

    def _fit(self, s: Session) -> Any:
        assert s.latent_map is not None
        codes = s.latent_map.codes
        cached = self._fits.get(s)
        if cached is not None and cached[0] is codes:
            return cached[1]
        name = job_name("factors", s)
        if not self.jobs.running(name):
            factors = dict(s.factors)
            job = self.jobs.start(name, lambda _cancel: importance_matrix(codes, factors))
            job.succeeded.connect(lambda out: self._on_fit(s, codes, out))
            job.failed.connect(lambda msg: self._on_fit(s, codes, msg))
            job.start()
        return None

    def _on_fit(self, s: Session, codes: Any, out: Any) -> None:
        self._fits[s] = (codes, out)
        self.schedule()

    def update(self) -> None:
        columns = []
        for s in self.sessions:
            col = FactorColumn(s)
            columns.append(col)
            col.note = self._usable(s)
            if col.note:
                continue
            fit = self._fit(s)
            if fit is None:
                col.note = "Fitting the importance of each dimension…"
                continue
            if isinstance(fit, str):
                col.note = fit
                continue
            col.factors, col.importance, col.scores = fit
            col.best = {f: int(np.argmax(col.importance[:, k]))
                        for k, f in enumerate(col.factors)}
            if self.factor in col.best:
                self._traverse(s, col)
        factors = next((c.factors for c in columns if c.factors), ())
        if self.factor is not None and factors and self.factor not in factors:
            self.factor = None
        self.result = FactorsResult(columns=columns, factor=self.factor)
        self.changed.emit()

    def _traverse(self, s: Session, col: FactorColumn) -> None:
        assert self.factor is not None and s.latent_map is not None
        dim = col.best[self.factor]
        if s.cursor_z is None:
            col.strip_title = (f"{self.factor}: best dimension z{dim}. Click on the map to "
                               "traverse it around that point.")
            return
        try:
            with one_torch_thread():
                sigma, scale = traversal_scale(s.model, s.latent_map.codes, "auto")
                tr = latent_traversal(s.model, np.asarray(s.cursor_z), sigma=sigma,
                                      scale=scale, dims=[dim], steps=STEPS, span=SPAN)
        except ApplicationError as exc:
            col.strip_title = str(exc)
            return
        col.strip = image_strip(tr.rows[0], gap=1, background=60)
        k = col.factors.index(self.factor)
        weight = 0.0 if col.importance is None else float(col.importance[dim, k])
        col.strip_title = (f"{self.factor} → z{dim} (importance {weight:.2f}), "
                           f"−{SPAN:g}σ … +{SPAN:g}σ around the clicked point")
