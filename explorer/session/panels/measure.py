"""The base of the panels whose one button measures every shown model in its own job
(compression against JPEG, codes as features), with the results kept per model and
settings, so switching models back and forth shows a result again without measuring."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..jobs import Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import JobGroup, PanelModel, job_name


class MeasureModel(PanelModel):
    """Subclasses give `settings()` (ValueError when the text fields are wrong),
    `refuses(s)`, `make_job(s, settings)` and `update()` (what the panel shows)."""

    FOLLOW = ("data_changed", "decoder_changed")
    WHAT = "measurement"

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        # session -> (its images, settings, result)
        self._results: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.message = ""  # what the last run said (a refusal, a failure), until a result
        super().__init__(shown, jobs)
        self.group = JobGroup(jobs, self.changed.emit)
        self.schedule()

    def settings(self) -> Any:  # pragma: no cover - subclasses
        raise NotImplementedError

    def refuses(self, s: Session) -> str:
        """Why this panel cannot measure `s` ("" when it can)."""
        return ""

    def make_job(self, s: Session, settings: Any
                 ) -> Callable[[threading.Event], Any]:  # pragma: no cover - subclasses
        raise NotImplementedError

    def same_settings(self, stored: Any, now: Any) -> bool:
        return bool(stored == now)

    def running(self) -> bool:
        return self.group.busy()

    def say(self, hint: str) -> None:
        self.message = hint
        super().say(hint)

    def idle_hint(self, default: str) -> str:
        """The hint without a result: the last message, the running one, or `default`."""
        return self.message or (self.hint if self.running() else default)

    def setting_changed(self) -> None:
        self.message = ""
        self.schedule()

    def result_for(self, s: Session) -> Any:
        """The kept result of `s` for its current images and the current settings."""
        cached = self._results.get(s)
        try:
            settings = self.settings()
        except ValueError:
            return None
        if cached is not None and cached[0] is s.images and self.same_settings(cached[1],
                                                                              settings):
            return cached[2]
        return None

    def shown_results(self) -> list[tuple[Session, Any]]:
        return [(s, r) for s in self.sessions if (r := self.result_for(s)) is not None]

    def run_or_cancel(self) -> None:
        if self.running():
            self.group.cancel()
        else:
            self.run()

    def run(self) -> None:
        """Measure every shown model that has no result for these settings yet."""
        try:
            settings = self.settings()
        except ValueError as exc:
            return self.say(str(exc))
        loaded = [s for s in self.sessions if s.model is not None and s.images is not None]
        if not loaded:
            return self.say("Wait until the model and its data have loaded.")
        sessions = [s for s in loaded if not self.refuses(s)]
        if not sessions:
            return self.say(self.refuses(loaded[0]))
        todo = [s for s in sessions if self.result_for(s) is None]
        if not todo:
            return self.schedule()
        for s in todo:
            self._start_one(s, settings)
        self.say(f"Running the {self.WHAT} on {len(todo)} model(s)…")
        return None

    def _start_one(self, s: Session, settings: Any) -> None:
        images = s.images
        self.group.start(job_name(self.WHAT, s), self.make_job(s, settings),
                         lambda r: self._on_done(s, images, settings, r),
                         lambda msg: self.say(f"The {self.WHAT} failed: {msg}"),
                         lambda: self.say(f"The {self.WHAT} was cancelled."))

    def _on_done(self, s: Session, images: Any, settings: Any, result: Any) -> None:
        self._results[s] = (images, settings, result)
        self.schedule()
