"""Latent traversal, Qt-free: one row per latent dimension swept -span…+span sigma around a
code (the clicked point, the hovered sample or your image), with the KL per dimension of
a variational model in the row titles, the rows sorted by it (the default; an option) and
the inactive dimensions (variance of the mean code at most 0.01) marked; and latent
arithmetic, a row adding an attribute direction (the mean code of one group minus that
of another) from strength 0 to the chosen strength; and for a conditional model (cvae,
caae) the progression strip on top: the code held and decoded under every condition.

The grids are `latent_atlas.explorer.core.analysis.applications.latent_traversal` and `add_direction`,
decoded in a background job (a newer request supersedes it); the KL per dimension (an
encode of the data) runs once per model in its own job and is kept per model, as is the
data's spread of codes. With two shown models the result has one column per model.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.arithmetic import groups_for_codes

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import PanelModel, job_name, shared_reason
from .direction import DirectionMeasureModel
from .sources import SOURCES, model_ready, query_code
from .traversal_grids import (
    GridTask,
    KLCache,
    TraversalColumn,
    TraversalResult,
    traverse_all,
)

CLICK_HINT = "Click on the map to choose the point to traverse around."
__all__ = ["SOURCES", "TraversalColumn", "TraversalModel", "TraversalResult"]


class TraversalModel(PanelModel):
    """The traversal panel's state, caches and jobs (see module docstring)."""

    FOLLOW = ("cursor_changed", "hover_changed", "placed_changed", "decoder_changed",
              "data_changed", "map_changed")

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.source = "clicked"
        self.label: int | None = None  # decode as this label (conditional); None: the sample's
        self.steps = 7
        self.span = 3.0
        self.sort_kl = True  # rows by KL, most informative first (variational models)
        self.add_direction = False
        self.direction_a: str | None = None
        self.direction_b: str | None = None
        self.strength = 1.0
        self.label_choices: list[tuple[str, int | None]] = []  # conditional models only
        self.sweep_condition = True  # conditional models: the progression row on top
        self.kl_sortable = False
        self.groups: list[tuple[str, str]] = []  # (key, title) of the first model's data
        self.result = TraversalResult()
        # Per session, weakly (a closed model's numbers go with it): (its codes, sigma,
        # scale name) and its groups; the KL per dimension is in `kl`.
        self._sigma: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._groups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        super().__init__(shown, jobs)
        self.kl = KLCache(jobs, self.schedule)
        self.measure = DirectionMeasureModel(shown, jobs, self.direction_keys)
        self.on_sessions_changed()

    # ---- settings (gestures) ---------------------------------------------------------------
    def set_source(self, source: str) -> None:
        if source not in {k for k, _ in SOURCES}:
            raise ValueError(f"unknown source {source!r}")
        self.source = source
        self.schedule()

    def set_label(self, label: int | None) -> None:
        self.label = None if label is None else int(label)
        self.schedule()

    def set_sweep_condition(self, on: bool) -> None:
        self.sweep_condition = bool(on)
        self.schedule()

    def set_steps(self, steps: int) -> None:
        self.steps = int(steps)
        self.schedule()

    def set_span(self, span: float) -> None:
        self.span = float(span)
        self.schedule()

    def set_sort_kl(self, on: bool) -> None:
        self.sort_kl = bool(on)
        self.schedule()

    def set_add_direction(self, on: bool) -> None:
        self.add_direction = bool(on)
        self.schedule()

    def set_direction(self, a: str | None, b: str | None) -> None:
        """The groups A and B of the direction A − B (keys of `groups`)."""
        self.direction_a, self.direction_b = a, b
        self.schedule()
        self.measure.schedule()

    def set_strength(self, strength: float) -> None:
        self.strength = float(strength)
        if self.add_direction:
            self.schedule()
        else:
            self.changed.emit()

    def direction_keys(self) -> tuple[str | None, str | None]:
        return self.direction_a, self.direction_b

    # ---- sessions -> model ----------------------------------------------------------------
    def on_sessions_changed(self) -> None:
        self._on_model()

    def on_session_event(self, name: str) -> None:
        if name == "cursor_changed":
            if self.source == "clicked":
                self.schedule()
        elif name == "hover_changed":
            if self.remember_hover() and self.source == "hovered":
                self.schedule()
        elif name == "placed_changed":
            if self.source == "own":
                self.schedule()
        else:
            self._on_model()

    def _on_model(self) -> None:
        models = [s for s in self.sessions if s.model is not None]
        conditional = next((s for s in models if s.model is not None
                            and bool(s.model.n_cond)), None)
        self.label_choices = []
        if conditional is not None and conditional.model is not None:
            names = conditional.label_names
            self.label_choices = [("sample's label", None)] + [
                (f"label {names[k] if k < len(names) else k}", k)
                for k in range(int(conditional.model.n_cond))]
        if self.label not in {v for _, v in self.label_choices}:
            self.label = None
        self.kl_sortable = any(s.model is not None and s.model.variational
                               for s in models)
        ready = [s for s in models if model_ready(s)]
        groups = self._groups_of(ready[0]) if ready else {}
        self.groups = [(key, g.title) for key, g in groups.items()]
        keys = [k for k, _ in self.groups]
        if self.direction_a not in keys:
            self.direction_a = keys[0] if keys else None
        if self.direction_b not in keys:
            self.direction_b = keys[min(1, len(keys) - 1)] if keys else None
        self.schedule()
        self.measure.schedule()

    def _groups_of(self, s: Session) -> dict[str, Any]:
        assert s.latent_map is not None
        codes = s.latent_map.codes
        cached = self._groups.get(s)
        if cached is None or cached[0] is not codes or cached[1] is not s.labels:
            cached = self._groups[s] = (codes, s.labels, groups_for_codes(
                codes, s.map_labels(), s.label_names, s.factors))
        return cached[2]

    # ---- KL per dimension ----------------------------------------------------------------
    def kl_for(self, s: Session) -> np.ndarray | None:
        """The KL per dimension of a variational model (None until its job is done)."""
        return self.kl.get(s)

    # ---- the grids -------------------------------------------------------------------------
    def update(self) -> None:
        sessions = [s for s in self.sessions if model_ready(s)]
        if not sessions:
            return self._show(TraversalResult(hint="Open a model (or wait for it to load) to "
                                              "traverse its latent space."))
        tasks = [self._task(s) for s in sessions]
        reason = shared_reason([(t.code, t.what) for t in tasks])
        if reason is not None:
            return self._show(TraversalResult(
                columns=[TraversalColumn(t.session) for t in tasks], hint=reason))
        settings = (self.steps, self.span, self.sort_kl, self.label,
                    self.direction_keys() if self.add_direction else None, self.strength,
                    self.sweep_condition)
        hint = self.kl.hint(sessions)
        job = self.jobs.start(job_name("traversal", self._anchor),
                              lambda cancel: traverse_all(tasks, settings, cancel))
        job.succeeded.connect(lambda out: self._on_grids(tasks, out, hint))
        job.failed.connect(lambda msg: self._show(TraversalResult(hint=msg)))
        job.start()
        return None

    @property
    def _anchor(self) -> Any:
        return self  # one traversal job per panel model

    def _task(self, s: Session) -> GridTask:
        assert s.latent_map is not None
        kl = self.kl.get(s)  # starts the KL job as soon as the data is there
        q = query_code(s, self.source, self.hover_index, click_hint=CLICK_HINT)
        codes = s.latent_map.codes
        sigma = self._sigma.get(s)
        return GridTask(s, s.model, q.code, q.label, q.what, codes,
                     sigma[1:] if sigma is not None and sigma[0] is codes else None, kl,
                     self._groups_of(s) if self.add_direction else {},
                     tuple(s.label_names or ()))

    def _on_grids(self, tasks: list[GridTask], out: list[tuple[TraversalColumn, Any]],
                  hint: str) -> None:
        for t, (_col, sigma) in zip(tasks, out, strict=True):
            if sigma is not None:
                self._sigma[t.session] = (t.codes, *sigma)
        columns = [col for col, _ in out]
        shown = [(c, t.what) for c, t in zip(columns, tasks, strict=True)
                 if c.traversal is not None]
        result = TraversalResult(columns=columns, hint=hint if shown else "")
        if shown:
            col, what = shown[0]
            tr = col.traversal
            unit = "σ = 1 (the prior)" if tr.scale == "prior" else "σ = spread of the data's codes"
            label = next((c.traversal.label for c, _ in shown if c.traversal.label is not None),
                         None)  # the conditional model's, when it is not the first shown
            under = "" if label is None else f", decoded as label {label}"
            row = next((c.direction_row for c in columns if c.direction_row is not None), None)
            added = "" if row is None else (
                f" The top row adds ({row.direction.title}), the mean code of {row.direction.a} "
                f"minus that of {row.direction.b}, from 0 to {self.strength:+.1f}×.")
            prog = next((c.progression for c in columns if c.progression is not None), None)
            if prog is not None:
                added = (f" The top row holds the code and decodes it under each condition "
                         f"({prog.names[0]} to {prog.names[-1]}, left to right)."
                         + added.replace("The top row adds", "The second row adds"))
            result.header = (f"Around {what}{under}: each row moves one dimension from "
                             f"−{self.span:g}σ to +{self.span:g}σ; {unit}." + added)
        self._show(result)

    def _show(self, result: TraversalResult) -> None:
        if not result.columns or all(c.traversal is None for c in result.columns):
            for j in self.jobs.running(job_name("traversal", self._anchor)):
                j.supersede()  # a grid still decoding must not land over this
        self.result = result
        self.changed.emit()

    def close(self) -> None:
        self.measure.close()
        super().close()
