"""Retrieval, Qt-free: the k samples nearest (in latent space) to the clicked map point,
the hovered sample or your own image. With two shown models each searches its own
latent space for the same query, one gallery per model.

The search is `latent_atlas.explorer.core.analysis.applications.nearest_codes` / `retrieve_sample`
over the map's codes, run in a background job (a newer query supersedes it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    nearest_codes,
    retrieve_sample,
)
from latent_atlas.explorer.core.progress import check_cancel

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import PanelModel, job_name, shared_reason
from .sources import query_code, sample_captions, thumbnails

QUERIES = (("clicked", "clicked point"), ("hovered", "hovered sample"), ("own", "your image"))
METRICS = (("euclidean", "Euclidean"), ("cosine", "cosine"))
Metric = Literal["euclidean", "cosine"]
CLICK_HINT = "Click on the map to find the samples nearest to that point."


@dataclass
class RetrievalColumn:
    """One model's neighbours (None: none), the thumbnails to show (`images` is None until
    the data has loaded) with their captions, and a note."""

    session: Session
    neighbours: Any = None
    images: np.ndarray | None = None  # the session's data (None: not loaded)
    indices: list[int] = field(default_factory=list)
    thumbs: np.ndarray | None = None  # display images of `indices` (None: no data)
    captions: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class RetrievalResult:
    columns: list[RetrievalColumn] = field(default_factory=list)
    hint: str = ""

    @property
    def all_neighbours(self) -> list[Any]:
        return [c.neighbours for c in self.columns]

    @property
    def neighbours(self) -> Any:
        """The first model's Neighbours (or None)."""
        return self.columns[0].neighbours if self.columns else None


class RetrievalModel(PanelModel):
    """The retrieval panel's state and job (see module docstring)."""

    FOLLOW = ("cursor_changed", "placed_changed", "hover_changed", "data_changed",
              "map_changed")

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.query = "clicked"
        self.k = 12
        self.metric: Metric = "euclidean"
        self.result = RetrievalResult()
        super().__init__(shown, jobs)
        self.schedule()

    def set_query(self, query: str) -> None:
        if query not in {k for k, _ in QUERIES}:
            raise ValueError(f"unknown query {query!r}")
        self.query = query
        self.schedule()

    def set_k(self, k: int) -> None:
        self.k = int(k)
        self.schedule()

    def set_metric(self, metric: str) -> None:
        if metric not in ("euclidean", "cosine"):
            raise ValueError(f"unknown distance {metric!r}")
        self.metric = "euclidean" if metric == "euclidean" else "cosine"
        self.schedule()

    def on_session_event(self, name: str) -> None:
        source = {"cursor_changed": "clicked", "placed_changed": "own",
                  "hover_changed": "hovered"}.get(name)
        if name == "hover_changed" and not self.remember_hover():
            return
        if source is None or source == self.query:
            self.schedule()

    def update(self) -> None:
        sessions = [s for s in self.sessions if s.latent_map is not None]
        if not sessions:
            return self._show(RetrievalResult(hint="Open a model to search its latent space."))
        tasks = []
        for s in sessions:
            assert s.latent_map is not None
            q = query_code(s, self.query, self.hover_index, click_hint=CLICK_HINT)
            index = self.hover_index if self.query == "hovered" and q.code is not None else None
            tasks.append((s, s.latent_map.codes, q.code, index, q.what))
        reason = shared_reason([(code, what) for _, _, code, _, what in tasks])
        if reason is not None:
            return self._show(RetrievalResult([RetrievalColumn(s) for s, *_ in tasks], reason))
        k, metric = self.k, self.metric
        plain = [(codes, code, index) for _, codes, code, index, _ in tasks]
        job = self.jobs.start(job_name("retrieval", self._anchor()),
                              lambda cancel: _search_all(plain, k, metric, cancel))
        job.succeeded.connect(lambda out: self._on_found(tasks, out))
        job.start()
        return None

    def _anchor(self) -> Any:
        return self

    def _on_found(self, tasks: list[tuple], out: list[tuple[Any, str]]) -> None:
        many = len(tasks) > 1
        columns, waiting, found = [], "", []
        for (s, _codes, _code, _index, what), (hits, error) in zip(tasks, out, strict=True):
            col = RetrievalColumn(s, hits, note=error or (what if hits is None else ""))
            if hits is not None:
                found.append((hits, what))
                col.indices = [int(i) for i in hits.indices]
                if s.data_matches_map():
                    col.images = s.images
                    col.thumbs = thumbnails(s.images, col.indices)
                    col.captions = sample_captions(s, col.indices,
                                                   [f"d {d:.3f}" for d in hits.distances])
                else:
                    col.note = (f"samples {', '.join(map(str, col.indices))} (thumbnails "
                                "appear once the data has loaded).")
                    waiting = waiting or col.note
            columns.append(col)
        notes = [(None, c.note) for c in columns]
        if not many:
            for c in columns:
                c.note = ""
        if not found:
            hint = shared_reason(notes) or ""
        elif waiting and not many:
            hint = f"Nearest to {found[0][1]}: {waiting}"
        else:
            each = " by each model" if many else ""
            hint = (f"The {len(found[0][0].indices)} samples nearest to {found[0][1]} in "
                    f"latent space{each} ({self.metric} distance d), nearest first. Click "
                    "one to select it.")
        self._show(RetrievalResult(columns, hint))

    def _show(self, result: RetrievalResult) -> None:
        if all(c.neighbours is None for c in result.columns):
            for j in self.jobs.running(job_name("retrieval", self._anchor())):
                j.supersede()
        self.result = result
        self.changed.emit()


def _search_all(tasks: list[tuple[np.ndarray, np.ndarray | None, int | None]], k: int,
                metric: Metric, cancel: threading.Event) -> list[tuple[Any, str]]:
    """Worker: (Neighbours or None, error) per model."""
    out: list[tuple[Any, str]] = []
    for codes, code, index in tasks:
        check_cancel(cancel, "retrieval")
        try:
            if index is not None:
                out.append((retrieve_sample(codes, index, k, metric=metric), ""))
            elif code is not None:
                out.append((nearest_codes(codes, code, k, metric=metric), ""))
            else:
                out.append((None, ""))
        except ApplicationError as exc:
            out.append((None, str(exc)))
    return out
