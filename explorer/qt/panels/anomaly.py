"""Anomaly ranking panel: reconstruct every sample in a background job, colour the map
by the reconstruction error (the session's "recon_error" colouring) and list the worst
reconstructed samples, worst first; clicking one selects it on the map. With two shown
models (the compare window) each is ranked in its own job and listed in its own column.

The errors are `explorer.core.analysis.applications.reconstruction_error_iter`, the ranking
`rank_anomalies`; the panel only starts the job and shows what comes back.
"""

from __future__ import annotations

import weakref

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.applications import (
    ApplicationError,
    rank_anomalies,
    reconstruction_error_iter,
)
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

from .common import RunOrCancel, hint_label, labelled_row, model_ready
from .gallery import GalleryPanel

METRICS = (("mse", "mean squared error"), ("bce", "binary cross-entropy"))
RANK_TEXT = "Colour the map by reconstruction error"


class AnomalyPanel(RunOrCancel, GalleryPanel):
    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
        self.metric_combo = QComboBox()
        for key, title in METRICS:
            self.metric_combo.addItem(title, key)
        self.worst = QSpinBox()
        self.worst.setRange(1, 500)
        self.worst.setValue(24)
        self.worst.setPrefix("worst ")
        self.rank_button = QPushButton(RANK_TEXT)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.hint = hint_label()
        self.rankings: list = []  # the core AnomalyRanking of each shown model (or None)
        self.ranking = None  # the first model's (tests read it)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(labelled_row("Error", self.metric_combo, self.worst))
        layout.addWidget(self.rank_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.columns, 1)
        layout.addWidget(self.hint)

        # session -> (its images, metric, per-sample errors); errors are kept per model so
        # switching models back and forth does not reconstruct the data again.
        self._errors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._jobs: dict[str, object] = {}  # running ranking jobs by name, one per model
        self._fractions: dict[str, float] = {}
        self.rank_button.clicked.connect(self._on_button)
        self.worst.valueChanged.connect(self.schedule)
        self.metric_combo.currentIndexChanged.connect(self.schedule)
        self.follow([("data_changed", self.schedule), ("decoder_changed", self.schedule)])

    # ---- the jobs -----------------------------------------------------------------------
    def start_jobs(self) -> None:
        self.rank()

    def errors_for(self, s: Session) -> np.ndarray | None:
        cached = self._errors.get(s)
        if cached is not None and cached[0] is s.images \
                and cached[1] == self.metric_combo.currentData():
            return cached[2]
        return None

    def rank(self) -> None:
        """Reconstruct each shown model's data in the background, then colour and list."""
        sessions = [s for s in self.sessions if model_ready(s) and s.data_matches_map()]
        if not sessions:
            self.hint.setText("Wait until the model and its data have loaded.")
            return
        metric = self.metric_combo.currentData()
        todo = [s for s in sessions if self.errors_for(s) is None]
        for s in sessions:
            if s not in todo:
                self._apply(s)
        if not todo:
            return
        for s in todo:
            self._start(s, metric)
        self.progress.setValue(0)
        self.progress.show()
        self.rank_button.setText("Cancel")
        each = " with each model" if len(todo) > 1 else ""
        self.hint.setText(f"Reconstructing {len(todo[0].images)} samples{each}…")

    def _start(self, s: Session, metric: str) -> None:
        model, images = s.model, s.images
        labels = s.labels if s.labels is not None and len(s.labels) == len(images) else None
        name = f"anomaly-{id(s)}"  # one job per model
        job = self.jobs.start(name, lambda cancel: reconstruction_error_iter(
            model, images, labels=labels, metric=metric, cancel=cancel))
        job.progress.connect(lambda ev: self._on_progress(name, ev.fraction))
        job.succeeded.connect(lambda errors: self._on_done(s, images, metric, errors))
        job.failed.connect(self._on_failed)
        job.cancelled.connect(lambda: self.hint.setText("Ranking cancelled."))
        job.finished.connect(lambda: self._on_finished(name))
        self._jobs[name] = job
        self._fractions[name] = 0.0
        job.start()

    def _on_progress(self, name: str, fraction: float) -> None:
        self._fractions[name] = float(fraction)
        self.progress.setValue(int(1000 * sum(self._fractions.values()) / len(self._fractions)))

    def _on_done(self, s: Session, images, metric: str, errors: np.ndarray) -> None:
        self._errors[s] = (images, metric, np.asarray(errors))
        if any(x is s for x in self.sessions) and metric == self.metric_combo.currentData():
            self._apply(s)

    def _on_failed(self, msg: str) -> None:
        self.hint.setText(f"The ranking failed: {msg}")

    def _on_finished(self, name: str) -> None:
        self._jobs.pop(name, None)
        if not self._jobs:
            self._fractions.clear()
            self.progress.hide()
            self.rank_button.setText(RANK_TEXT)
            self.schedule()

    def _apply(self, s: Session) -> None:
        """Colour the model's map by the errors and show its gallery."""
        errors = self.errors_for(s)
        # The key first: the errors then tell every listener (the colour combo too) at once.
        s.set_colour_key("recon_error")
        s.set_recon_error(errors)
        self.schedule()
        self.flush()

    # ---- showing ------------------------------------------------------------------------
    def refresh(self) -> None:
        sessions = self.sessions
        galleries = self.columns.set_sessions(sessions)
        ready = any(model_ready(s) and s.data_matches_map() for s in sessions)
        self.rank_button.setEnabled(ready or self.running())
        self.rankings, problems = [], []
        for s, gallery in zip(sessions, galleries, strict=False):
            ranking, problem = self._rank_one(s)
            self.rankings.append(ranking)
            problems += [problem] if problem else []
            if ranking is None:
                gallery.clear()
                continue
            gallery.set_samples(s.images, ranking.top, self.captions(
                s, ranking.top, [f"{ranking.errors[i]:.4f}" for i in ranking.top]))
        self.ranking = self.rankings[0] if self.rankings else None
        shown = [(s, r) for s, r in zip(sessions, self.rankings, strict=True) if r is not None]
        if not shown:
            if problems:
                self.hint.setText(problems[0])
            elif not self.running():
                self.hint.setText("Rank the samples by how badly the model reconstructs them: "
                                  "the worst are the least typical (or out-of-distribution)."
                                  if ready else "Waiting for the model and its data to load…")
            return
        many = len(sessions) > 1
        medians = ", ".join(f"{s.kind.upper() + ' ' if many else ''}{np.median(r.errors):.4f}"
                            for s, r in shown)
        r = shown[0][1]
        self.hint.setText(f"The {len(r.top)} worst of {len(r.errors)} samples, worst first "
                          f"(median error {medians}). Click one to find it on the map.")

    def _rank_one(self, s: Session):
        """(AnomalyRanking, "") of one model, (None, "") before its job, or (None, why)."""
        errors = self.errors_for(s)
        if errors is None:
            return None, ""
        try:
            return rank_anomalies(errors, top=self.worst.value()), ""
        except ApplicationError as exc:
            return None, str(exc)
