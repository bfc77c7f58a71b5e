"""The traversal panel's "Measure", Qt-free: how often adding the picked A − B direction
turns held-out B images into A, in the latent space and on the pixels, judged by the
classifier (`latent_atlas.explorer.core.analysis.applications.transfer`). One background job per
shown model; the results are kept per model and per pair of groups."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from latent_atlas.explorer.core.analysis.applications.transfer import (
    DEFAULT_LIMIT,
    DEFAULT_STRENGTHS,
    group_text,
    measure_transfer,
    transfer_table_parts,
)

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import JobGroup, PanelModel, job_name
from .sources import model_ready


@dataclass(frozen=True)
class MeasureColumn:
    """One model's measurement: the core TransferResult (None: not measured) and the
    table and paragraph the panel shows."""

    session: Session
    result: Any = None
    table: str = ""
    foot: str = ""


class DirectionMeasureModel(PanelModel):
    """Starts, cancels and keeps the measurements of `keys()` (the picked groups)."""

    FOLLOW = ("decoder_changed", "data_changed", "map_changed")

    def __init__(self, shown: ShownSessions, jobs: Jobs,
                 keys: Callable[[], tuple[str | None, str | None]]):
        self.keys = keys
        self.columns: list[MeasureColumn] = []
        # session -> (its images, the two keys, TransferResult), kept per model
        self._results: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        super().__init__(shown, jobs)
        self.group = JobGroup(jobs, self.changed.emit)

    @property
    def results(self) -> list[Any]:
        """The shown models' results (None: not measured)."""
        return [c.result for c in self.columns]

    def running(self) -> bool:
        return self.group.busy()

    def result_for(self, s: Session) -> Any:
        cached = self._results.get(s)
        if cached is not None and cached[0] is s.images and cached[1] == self.keys():
            return cached[2]
        return None

    def update(self) -> None:
        cols = []
        for s in (s for s in self.sessions if model_ready(s)):
            r = self.result_for(s)
            table, foot = ("", "") if r is None else transfer_table_parts(r)
            cols.append(MeasureColumn(s, r, table, foot))
        self.columns = cols
        self.changed.emit()

    def run_or_cancel(self) -> None:
        """The button: cancel the running measurements, or start them."""
        if self.running():
            self.group.cancel()
        else:
            self.start()

    def start(self) -> None:
        """Measure the picked direction for every shown model not measured yet."""
        a, b = self.keys()
        sessions = [s for s in self.sessions if model_ready(s)]
        if a is None or b is None or not sessions:
            return self.say("Pick two labels to measure the direction between.")
        if any(s.data is None for s in sessions):
            return self.say("Wait until the model's data has loaded.")
        todo = [s for s in sessions if self.result_for(s) is None]
        for s in todo:
            self._start_one(s, a, b)
        if todo:
            self.say(f"Measuring the direction on {len(todo)} model(s)…")
        self.schedule()
        return None

    def _start_one(self, s: Session, a: str, b: str) -> None:
        model, data, images = s.model, s.data, s.images
        self.group.start(
            job_name("direction-measure", s),
            lambda cancel: measure_transfer(model, data, group_text(a), group_text(b),
                                            strengths=DEFAULT_STRENGTHS, limit=DEFAULT_LIMIT,
                                            cancel=cancel),
            lambda r: self._on_done(s, images, (a, b), r),
            lambda msg: self.say(f"The measurement failed: {msg}"),
            lambda: self.say("The measurement was cancelled."))

    def _on_done(self, s: Session, images: Any, keys: tuple, result: Any) -> None:
        self._results[s] = (images, keys, result)
        self.hint = ""
        self.schedule()
