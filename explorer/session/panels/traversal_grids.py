"""The traversal panel's results and the work behind them: the grids decoded in a job
(`latent_traversal`, `add_direction` of `latent_atlas.explorer.core.analysis.applications`) and the
KL per dimension of each variational model, computed once per model in its own job."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    add_direction,
    attribute_direction,
    kl_per_dim,
    latent_traversal,
    traversal_scale,
)
from latent_atlas.explorer.core.analysis.applications.arithmetic import strength_steps
from latent_atlas.explorer.core.analysis.applications.progression import progression
from latent_atlas.explorer.core.analysis.applications.traversal import even_subset
from latent_atlas.explorer.core.analysis.disentangle.latents import ACTIVE_THRESHOLD
from latent_atlas.explorer.core.inference import one_torch_thread
from latent_atlas.explorer.core.io.images import image_strip
from latent_atlas.explorer.core.progress import check_cancel

from ..jobs import Jobs
from ..session import Session
from .base import job_name

KL_SAMPLE_LIMIT = 5000  # the mean KL per dimension is estimated on at most this many images


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
    progression: Any = None  # conditional models: the code under every condition (top row)
    inactive: list[int] = field(default_factory=list)  # dimensions marked inactive


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
class GridTask:
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
    label_names: tuple[str, ...] = ()


class KLCache:
    """The KL per dimension of each variational model, kept per model (weakly) and
    computed in a job as soon as its data is there; `changed` runs when one arrives."""

    def __init__(self, jobs: Jobs, changed: Any):
        self.jobs = jobs
        self._changed = changed
        # session -> (its images, KL per dimension or None, error message)
        self._kl: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, s: Session) -> np.ndarray | None:
        """The KL of `s` (None until its job is done, or for a plain model)."""
        if s.model is None or not s.model.variational:
            return None
        cached = self._kl.get(s)
        if cached is not None and cached[0] is s.images:
            return cached[1]
        if s.images is not None and not self.jobs.running(job_name("kl", s)):
            self._start(s)
        return None

    def _start(self, s: Session) -> None:
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
        self._changed()

    def hint(self, sessions: list[Session]) -> str:
        """What the panel says about the KL of the shown models."""
        variational = [s for s in sessions if s.model is not None
                       and s.model.variational]
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


def traverse_all(tasks: list[GridTask], settings: tuple, cancel: threading.Event
                  ) -> list[tuple[TraversalColumn, Any]]:
    """Worker: each model's grid and direction row (column, (sigma, scale) or None)."""
    out = []
    with one_torch_thread():  # one image grid: a second intra-op thread only adds waiting
        for t in tasks:
            check_cancel(cancel, "traversal")
            out.append(traverse_one(t, settings))
    return out


def traverse_one(t: GridTask, settings: tuple) -> tuple[TraversalColumn, Any]:
    steps, span, sort_kl, label, direction, strength, sweep_condition = settings
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
    col.titles, col.inactive = mark_inactive(col.titles, tr.dims, t.codes)
    if label is not None and not t.model.n_cond:  # the label chosen for another model
        from latent_atlas.models.contract import missing

        col.note = f"{missing(t.model, 'labels', t.session.name)}: decoded without a label."
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
    if sweep_condition and int(getattr(t.model, "n_cond", 0) or 0) >= 2:
        try:
            strip = progression(t.model, tr.code, label_names=t.label_names)
        except ApplicationError as exc:
            col.note = str(exc)
        else:  # Zhang et al.'s age progression: the code held, the condition swept
            col.progression = strip
            col.titles = [f"condition {strip.names[0]} … {strip.names[-1]}", *col.titles]
            col.rows = [strip.images, *col.rows]
    col.strips = [image_strip(r, gap=1, background=60) for r in col.rows]
    return col, sigma


def mark_inactive(titles: list[str], dims: Any, codes: np.ndarray | None
                  ) -> tuple[list[str], list[int]]:
    """Row titles with the inactive dimensions marked, and those dimensions: a dimension is
    inactive when the variance over the data of its mean code is at most 0.01 (Burda et
    al. 2016's active units); its row changes the image little or not at all."""
    if codes is None or len(codes) < 2:
        return list(titles), []
    var = np.asarray(codes, dtype=np.float64).var(axis=0)
    inactive = [int(d) for d in dims if var[int(d)] <= ACTIVE_THRESHOLD]
    return [f"{t}  (inactive)" if int(d) in inactive else t
            for t, d in zip(titles, dims, strict=True)], inactive
