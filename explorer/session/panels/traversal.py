"""Latent traversal, Qt-free: one row per latent dimension swept -span…+span sigma around a
code (the clicked point, the hovered sample or your image), with the KL per dimension of
a variational model in the row titles and an option to sort the rows by it; and latent
arithmetic, a row adding an attribute direction (the mean code of one group minus that
of another) from strength 0 to the chosen strength.

The grids are `explorer.core.analysis.applications.latent_traversal` and `add_direction`,
decoded in a background job (a newer request supersedes it); the KL per dimension (an
encode of the data) runs once per model in its own job and is kept per model, as is the
data's spread of codes. With two shown models the result has one column per model.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from explorer.core.analysis.applications import (
    ApplicationError,
    add_direction,
    attribute_direction,
    kl_per_dim,
    latent_traversal,
    traversal_scale,
)
from explorer.core.analysis.applications.arithmetic import groups_for_codes, strength_steps
from explorer.core.analysis.applications.traversal import even_subset
from explorer.core.inference import one_torch_thread
from explorer.core.io.images import image_strip
from explorer.core.progress import check_cancel

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import PanelModel, job_name, shared_reason
from .direction import DirectionMeasureModel
from .sources import SOURCES, model_ready, query_code

KL_SAMPLE_LIMIT = 5000  # the mean KL per dimension is estimated on at most this many images
CLICK_HINT = "Click on the map to choose the point to traverse around."
__all__ = ["SOURCES", "TraversalColumn", "TraversalModel", "TraversalResult"]


@dataclass
class TraversalColumn:
    """One model's grid: the core Traversal (None: nothing), the direction row (or None),
    the row titles and images to show (`rows`: steps x H x W[x 3] each; `strips`: each
    row as one display image, a grey gap between the steps), and a note (why nothing, or
    the direction's)."""

    session: Session
    traversal: Any = None
    direction_row: Any = None
    titles: list[str] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    note: str = ""
    strips: list[np.ndarray] = field(default_factory=list)


@dataclass
class TraversalResult:
    """What the panel shows: one column per shown model, a header and a hint."""

    columns: list[TraversalColumn] = field(default_factory=list)
    header: str = ""
    hint: str = ""

    @property
    def traversals(self) -> list[Any]:
        return [c.traversal for c in self.columns]

    @property
    def traversal(self) -> Any:
        """The first model's Traversal (or None)."""
        return self.columns[0].traversal if self.columns else None

    @property
    def direction_rows(self) -> list[Any]:
        return [c.direction_row for c in self.columns]


@dataclass
class _Task:
    """One model's inputs, read on the owner thread, for the worker."""

    session: Session
    model: Any
    code: np.ndarray | None
    label: int | None
    what: str
    codes: np.ndarray
    sigma: tuple[np.ndarray, str] | None
    kl: np.ndarray | None
    groups: dict[str, Any]


class TraversalModel(PanelModel):
    """The traversal panel's state, caches and jobs (see module docstring)."""

    FOLLOW = ("cursor_changed", "hover_changed", "placed_changed", "decoder_changed",
              "data_changed", "map_changed")

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.source = "clicked"
        self.label: int | None = None  # decode as this label (conditional); None: the sample's
        self.steps = 7
        self.span = 3.0
        self.sort_kl = False
        self.add_direction = False
        self.direction_a: str | None = None
        self.direction_b: str | None = None
        self.strength = 1.0
        self.label_choices: list[tuple[str, int | None]] = []  # conditional models only
        self.kl_sortable = False
        self.groups: list[tuple[str, str]] = []  # (key, title) of the first model's data
        self.result = TraversalResult()
        # Per session, weakly (a closed model's numbers go with it):
        # (its codes, sigma, scale name) and (its images, KL per dimension or None, error).
        self._sigma: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._kl: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._groups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        super().__init__(shown, jobs)
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
                            and s.model.config.is_conditional), None)
        self.label_choices = []
        if conditional is not None and conditional.model is not None:
            names = conditional.label_names
            self.label_choices = [("sample's label", None)] + [
                (f"label {names[k] if k < len(names) else k}", k)
                for k in range(int(conditional.model.config.n_classes))]
        if self.label not in {v for _, v in self.label_choices}:
            self.label = None
        self.kl_sortable = any(s.model is not None and s.model.config.is_variational
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
        """The KL per dimension of a variational model (None until its job is done; the
        job starts here as soon as the data is there)."""
        if s.model is None or not s.model.config.is_variational:
            return None
        cached = self._kl.get(s)
        if cached is not None and cached[0] is s.images:
            return cached[1]
        if s.images is not None and not self.jobs.running(job_name("kl", s)):
            self._start_kl(s)
        return None

    def _start_kl(self, s: Session) -> None:
        assert s.images is not None
        sub = even_subset(len(s.images), KL_SAMPLE_LIMIT)
        images = s.images[sub]
        labels = s.labels[sub] if s.labels is not None and len(s.labels) == len(s.images) else None
        model, data = s.model, s.images
        job = self.jobs.start(job_name("kl", s), lambda _cancel: kl_per_dim(model, images, labels))
        job.succeeded.connect(lambda kl: self._on_kl(s, data, np.asarray(kl), ""))
        job.failed.connect(lambda msg: self._on_kl(s, data, None, msg))
        job.start()

    def _on_kl(self, s: Session, data: Any, kl: np.ndarray | None, error: str) -> None:
        self._kl[s] = (data, kl, error)
        self.schedule()

    def kl_hint(self, sessions: list[Session]) -> str:
        variational = [s for s in sessions if s.model is not None
                       and s.model.config.is_variational]
        cached = [self._kl.get(s) for s in variational]
        failed = [c[2] for c in cached if c is not None and c[2]]
        if failed:
            return f"The KL per dimension could not be computed: {failed[0]}"
        missing = [s for s, c in zip(variational, cached, strict=True)
                   if c is None or c[0] is not s.images or c[1] is None]
        if missing:
            return ("Computing the KL per dimension…" if all(s.images is not None for s in missing)
                    else "The KL per dimension appears once the data has loaded.")
        if variational:
            return ("KL per dimension in nats, averaged over the data: a dimension near 0 is "
                    "unused (its row does not change).")
        return ""

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
                    self.direction_keys() if self.add_direction else None, self.strength)
        hint = self.kl_hint(sessions)
        job = self.jobs.start(job_name("traversal", self._anchor),
                              lambda cancel: _traverse_all(tasks, settings, cancel))
        job.succeeded.connect(lambda out: self._on_grids(tasks, out, hint))
        job.failed.connect(lambda msg: self._show(TraversalResult(hint=msg)))
        job.start()
        return None

    @property
    def _anchor(self) -> Any:
        return self  # one traversal job per panel model

    def _task(self, s: Session) -> _Task:
        assert s.latent_map is not None
        self.kl_for(s)  # starts the KL job as soon as the data is there
        cached_kl = self._kl.get(s)
        kl = cached_kl[1] if cached_kl is not None and cached_kl[0] is s.images else None
        q = query_code(s, self.source, self.hover_index, click_hint=CLICK_HINT)
        codes = s.latent_map.codes
        sigma = self._sigma.get(s)
        return _Task(s, s.model, q.code, q.label, q.what, codes,
                     sigma[1:] if sigma is not None and sigma[0] is codes else None, kl,
                     self._groups_of(s) if self.add_direction else {})

    def _on_grids(self, tasks: list[_Task], out: list[tuple[TraversalColumn, Any]],
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
            under = "" if tr.label is None else f", decoded as label {tr.label}"
            row = next((c.direction_row for c in columns if c.direction_row is not None), None)
            added = "" if row is None else (
                f" The top row adds ({row.direction.title}), the mean code of {row.direction.a} "
                f"minus that of {row.direction.b}, from 0 to {self.strength:+.1f}×.")
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


def _traverse_all(tasks: list[_Task], settings: tuple, cancel: threading.Event
                  ) -> list[tuple[TraversalColumn, Any]]:
    """Worker: each model's grid and direction row (column, (sigma, scale) or None)."""
    out = []
    with one_torch_thread():  # one image grid: a second intra-op thread only adds waiting
        for t in tasks:
            check_cancel(cancel, "traversal")
            out.append(_traverse_one(t, settings))
    return out


def _traverse_one(t: _Task, settings: tuple) -> tuple[TraversalColumn, Any]:
    steps, span, sort_kl, label, direction, strength = settings
    col = TraversalColumn(t.session)
    if t.code is None:
        col.note = t.what
        return col, None
    try:
        sigma = t.sigma or traversal_scale(t.model, t.codes, "auto")
        order: Literal["kl", "index"] = "kl" if t.kl is not None and sort_kl else "index"
        tr = latent_traversal(t.model, t.code, sigma=sigma[0], scale=sigma[1], steps=steps,
                              span=span, kl=t.kl, order=order,
                              label=t.label if label is None else label)
    except ApplicationError as exc:
        col.note = str(exc)
        return col, None
    col.traversal, col.titles, col.rows = tr, tr.row_titles(), list(tr.rows)
    if direction is not None:
        a, b = direction
        if a not in t.groups or b not in t.groups:
            col.note = "This model's data has no such groups."
        else:
            try:
                v = attribute_direction(t.codes, t.groups[a], t.groups[b])
                row = add_direction(t.model, tr.code, v, strength_steps(strength, steps),
                                    label=tr.label)
            except ApplicationError as exc:
                col.note = str(exc)
            else:
                col.direction_row = row
                col.titles = [f"{row.direction.title} ×{strength:+.1f}", *col.titles]
                col.rows = [row.images, *col.rows]
    col.strips = [image_strip(r, gap=1, background=60) for r in col.rows]
    return col, sigma
