"""Anomaly ranking, Qt-free: reconstruct every sample in a background job, colour the map
by the reconstruction error (the session's "recon_error" colouring) and list the worst
reconstructed samples, worst first. With two shown models each is ranked in its own job
and listed in its own column; the errors are kept per model and metric.

The errors are `latent_atlas.explorer.core.analysis.applications.reconstruction_error_iter`, the
ranking `rank_anomalies`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    rank_anomalies,
    reconstruction_error_iter,
)

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import JobGroup, PanelModel, job_name
from .sources import model_ready, sample_captions, thumbnails

METRICS = (("mse", "mean squared error"), ("bce", "binary cross-entropy"))
Metric = Literal["mse", "bce"]


@dataclass
class AnomalyColumn:
    """One model's ranking (None: not ranked) and the gallery to show."""

    session: Session
    ranking: Any = None
    images: np.ndarray | None = None  # the session's data (None: not loaded)
    indices: list[int] = field(default_factory=list)
    thumbs: np.ndarray | None = None  # display images of `indices` (None: no data)
    captions: list[str] = field(default_factory=list)


class AnomalyModel(PanelModel):
    """The anomaly panel's state, kept errors and jobs (see module docstring)."""

    FOLLOW = ("data_changed", "decoder_changed")

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.metric: Metric = "mse"
        self.worst = 24
        self.columns: list[AnomalyColumn] = []
        self.ready = False  # some shown model can be ranked (the button is enabled)
        # session -> (its images, metric, per-sample errors); kept per model so switching
        # models back and forth does not reconstruct the data again.
        self._errors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        super().__init__(shown, jobs)
        self.group = JobGroup(jobs, self.changed.emit)
        self.schedule()

    @property
    def rankings(self) -> list[Any]:
        return [c.ranking for c in self.columns]

    @property
    def ranking(self) -> Any:
        """The first model's AnomalyRanking (or None)."""
        return self.columns[0].ranking if self.columns else None

    def running(self) -> bool:
        return self.group.busy()

    def set_metric(self, metric: str) -> None:
        if metric not in ("mse", "bce"):
            raise ValueError(f"unknown error metric {metric!r}")
        self.metric = "mse" if metric == "mse" else "bce"
        self.schedule()

    def set_worst(self, n: int) -> None:
        self.worst = int(n)
        self.schedule()

    def errors_for(self, s: Session) -> np.ndarray | None:
        cached = self._errors.get(s)
        if cached is not None and cached[0] is s.images and cached[1] == self.metric:
            return cached[2]
        return None

    # ---- the jobs -----------------------------------------------------------------------
    def run_or_cancel(self) -> None:
        if self.running():
            self.group.cancel()
        else:
            self.rank()

    def rank(self) -> None:
        """Reconstruct each shown model's data in the background, then colour and list."""
        sessions = [s for s in self.sessions if model_ready(s) and s.data_matches_map()]
        if not sessions:
            return self.say("Wait until the model and its data have loaded.")
        metric = self.metric
        todo = [s for s in sessions if self.errors_for(s) is None]
        for s in sessions:
            if s not in todo:
                self._apply(s)
        for s in todo:
            self._start_one(s, metric)
        if todo:
            images = todo[0].images
            assert images is not None
            each = " with each model" if len(todo) > 1 else ""
            self.say(f"Reconstructing {len(images)} samples{each}…")
        return None

    def _start_one(self, s: Session, metric: Metric) -> None:
        model, images = s.model, s.images
        assert images is not None
        labels = s.labels if s.labels is not None and len(s.labels) == len(images) else None
        self.group.start(
            job_name("anomaly", s),
            lambda cancel: reconstruction_error_iter(model, images, labels=labels,
                                                     metric=metric, cancel=cancel),
            lambda errors: self._on_done(s, images, metric, errors),
            lambda msg: self.say(f"The ranking failed: {msg}"),
            lambda: self.say("Ranking cancelled."))

    def _on_done(self, s: Session, images: Any, metric: str, errors: Any) -> None:
        self._errors[s] = (images, metric, np.asarray(errors))
        if any(x is s for x in self.sessions) and metric == self.metric:
            self._apply(s)

    def _apply(self, s: Session) -> None:
        """Colour the model's map by its errors; the gallery follows."""
        errors = self.errors_for(s)
        assert errors is not None
        # The key first: the errors then tell every listener (the colour combo too) at once.
        s.set_colour_key("recon_error")
        s.set_recon_error(errors)
        self.schedule()
        self.flush()

    # ---- what the panel shows -------------------------------------------------------------
    def update(self) -> None:
        sessions = self.sessions
        self.ready = any(model_ready(s) and s.data_matches_map() for s in sessions)
        columns, problems = [], []
        for s in sessions:
            col = AnomalyColumn(s)
            errors = self.errors_for(s)
            if errors is not None:
                try:
                    col.ranking = r = rank_anomalies(errors, top=self.worst)
                except ApplicationError as exc:
                    problems.append(str(exc))
                else:
                    col.images, col.indices = s.images, [int(i) for i in r.top]
                    col.thumbs = thumbnails(s.images, col.indices)
                    col.captions = sample_captions(s, col.indices,
                                                   [f"{r.errors[i]:.4f}" for i in r.top])
            columns.append(col)
        self.columns = columns
        shown = [(c.session, c.ranking) for c in columns if c.ranking is not None]
        if shown:
            many = len(sessions) > 1
            medians = ", ".join(f"{s.kind.upper() + ' ' if many else ''}"
                                f"{np.median(r.errors):.4f}" for s, r in shown)
            r = shown[0][1]
            self.hint = (f"The {len(r.top)} worst of {len(r.errors)} samples, worst first "
                         f"(median error {medians}). Click one to find it on the map.")
        elif problems:
            self.hint = problems[0]
        elif not self.running():
            self.hint = ("Rank the samples by how badly the model reconstructs them: the "
                         "worst are the least typical (or out-of-distribution)." if self.ready
                         else "Waiting for the model and its data to load…")
        self.changed.emit()
