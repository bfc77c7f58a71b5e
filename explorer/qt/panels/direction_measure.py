"""The traversal panel's "Measure" button and what it shows: how often adding the picked
A − B direction turns held-out B images into A, in the latent space and on the pixels,
judged by the classifier (`explorer.core.analysis.applications.transfer`). One background
job per shown model; one table per model, side by side in the compare window. The
numbers and the text are the core's; this widget only lays them out.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from explorer.core.analysis.applications.transfer import (
    DEFAULT_LIMIT,
    DEFAULT_STRENGTHS,
    group_text,
    measure_transfer,
    transfer_table_parts,
)
from explorer.session.jobs import Jobs
from explorer.session.session import Session

from .common import RunOrCancel, SessionColumns, hint_label

START_TEXT = "Measure"


class TransferView(QWidget):
    """One model's result: the table in a fixed-width font, the paragraph under it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QLabel()
        self.table.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.foot = hint_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.foot)

    def set_text(self, table: str, foot: str) -> None:
        self.table.setText(table)
        self.foot.setText(foot)
        self.table.setVisible(bool(table))
        self.foot.setVisible(bool(foot))


class DirectionMeasure(RunOrCancel, QWidget):
    """`button` (placed in the panel's direction row by the panel) starts or cancels the
    measurement of `keys()` (the picked groups' keys) for every shown model."""

    def __init__(self, sessions: Callable[[], list[Session]],
                 keys: Callable[[], tuple[str | None, str | None]], jobs: Jobs,
                 on_result: Callable[[], Any], parent: QWidget | None = None):
        super().__init__(parent)
        self._sessions, self._keys, self._jobs_owner = sessions, keys, jobs
        self._on_result = on_result
        self.button = QPushButton(START_TEXT)
        self.button.setToolTip("Measure how often adding this direction turns held-out images "
                               "of the second label into the first (classifier judge), against "
                               "the same arithmetic on pixels")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.hint = hint_label()
        self.hint.hide()
        self.columns = SessionColumns(TransferView)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.columns)
        layout.addWidget(self.hint)
        self._jobs: dict[str, Any] = {}
        self._fractions: dict[str, float] = {}
        # session -> (its images, the two keys, TransferResult), kept per model
        self._results: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.results: list = []  # the shown models' results (None: not measured)
        self.button.clicked.connect(self._on_button)

    def _say(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def result_for(self, s: Session):
        cached = self._results.get(s)
        if cached is not None and cached[0] is s.images and cached[1] == self._keys():
            return cached[2]
        return None

    def start_jobs(self) -> None:
        a, b = self._keys()
        sessions = [s for s in self._sessions() if s.model is not None]
        if a is None or b is None or not sessions:
            self._say("Pick two labels to measure the direction between.")
            return
        waiting = [s for s in sessions if s.data is None]
        if waiting:
            self._say("Wait until the model's data has loaded.")
            return
        todo = [s for s in sessions if self.result_for(s) is None]
        for s in todo:
            name = f"direction-measure-{id(s)}"
            model, data, images, keys = s.model, s.data, s.images, (a, b)
            job = self._jobs_owner.start(name, lambda cancel, model=model, data=data: (
                measure_transfer(model, data, group_text(a), group_text(b),
                                 strengths=DEFAULT_STRENGTHS, limit=DEFAULT_LIMIT,
                                 cancel=cancel)))
            job.progress.connect(lambda ev, name=name: self._on_progress(name, ev.fraction))
            job.succeeded.connect(lambda r, s=s, images=images, keys=keys:
                                  self._on_done(s, images, keys, r))
            job.failed.connect(lambda msg: self._say(f"The measurement failed: {msg}"))
            job.cancelled.connect(lambda: self._say("The measurement was cancelled."))
            job.finished.connect(lambda name=name: self._on_finished(name))
            self._jobs[name] = job
            self._fractions[name] = 0.0
            job.start()
        if todo:
            self.progress.setValue(0)
            self.progress.show()
            self.button.setText("Cancel")
            self._say(f"Measuring the direction on {len(todo)} model(s)…")
        self._on_result()

    def _on_progress(self, name: str, fraction: float | None) -> None:
        self._fractions[name] = float(fraction or 0.0)
        self.progress.setValue(int(1000 * sum(self._fractions.values()) / len(self._fractions)))

    def _on_done(self, s: Session, images, keys, result) -> None:
        self._results[s] = (images, keys, result)
        self._say("")
        self._on_result()

    def _on_finished(self, name: str) -> None:
        self._jobs.pop(name, None)
        if not self._jobs:
            self._fractions.clear()
            self.progress.hide()
            self.button.setText(START_TEXT)
            self._on_result()

    def refresh(self, sessions: list[Session]) -> None:
        """Show each shown model's result for the picked direction (or nothing)."""
        views = self.columns.set_sessions(sessions)
        self.results = [self.result_for(s) for s in sessions]
        for view, result in zip(views, self.results, strict=False):
            table, foot = ("", "") if result is None else transfer_table_parts(result)
            view.set_text(table, foot)
        self.columns.setVisible(any(r is not None for r in self.results))
        # New text changes the height a width needs (word wrap): make the panel's layout ask
        # again, or it keeps the height of the previous text.
        for view in views:
            view.updateGeometry()
        self.columns.updateGeometry()
        self.updateGeometry()
