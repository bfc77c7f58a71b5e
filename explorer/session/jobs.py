"""Background jobs of a session or a window, without Qt.

A `Job` runs `fn(cancel_event)` in a thread. When `fn` returns a generator it is drained
(each yielded progress event is reported, throttled so a fast trainer cannot flood the
owner thread) and its return value is the result. Every outcome reaches listeners
through psygnal signals fired on the owner thread (through the `Dispatcher`).

Starting a job under a name that is already running cancels the predecessor and cuts
its signals, as Orange3's TaskState does: a stale result can never land, and callers
need no version counters.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from psygnal import Signal

from latent_atlas.explorer.core.progress import Cancelled, Progress, drain

from .dispatch import Dispatcher
from .errors import readable_error

PROGRESS_INTERVAL_S = 0.05


def _is_forced(event: Progress) -> bool:
    # Epoch reports and stage changes always get through; per-batch ones may be skipped.
    return event.stage != "batch"


class Job:
    """One background task (see module docstring). Connect, then `start()`."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, name: str, fn: Callable[[threading.Event], Any], dispatcher: Dispatcher):
        self.name = name
        self._fn = fn
        self._dispatcher = dispatcher
        self.cancel_event = threading.Event()
        self._thread: threading.Thread | None = None
        self.done = False  # the function has returned (set on the worker thread)
        self.settled = False  # the outcome has been delivered (set on the owner thread)
        self.stale = False  # superseded: nothing more is delivered

    def start(self) -> Job:
        self._thread = threading.Thread(target=self._run, name=f"job-{self.name}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.cancel_event.set()

    def supersede(self) -> None:
        """Cancel and cut every signal: whatever this job still produces is dropped."""
        self.stale = True
        self.cancel_event.set()
        for sig in (self.progress, self.succeeded, self.failed, self.cancelled, self.finished):
            sig.disconnect()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # ---- worker thread --------------------------------------------------------------
    def _run(self) -> None:
        outcome: tuple[str, Any]
        try:
            out = self._fn(self.cancel_event)
            if inspect.isgenerator(out):
                out = self._drain(out)
            if self.cancel_event.is_set() and out is None:
                outcome = ("cancelled", None)
            else:
                outcome = ("succeeded", out)
        except Cancelled:
            outcome = ("cancelled", None)
        except Exception as exc:  # every failure becomes a readable message, never a crash
            if not isinstance(exc, ValueError | OSError):
                traceback.print_exc(file=sys.stderr)
            outcome = ("failed", readable_error(exc))
        self.done = True
        self._dispatcher.post(lambda: self._deliver(outcome))

    def _drain(self, gen) -> Any:
        state: dict[str, Any] = {"last": 0.0, "pending": None}

        def report(event: Any) -> None:
            now = time.monotonic()
            if _is_forced(event) or now - state["last"] >= PROGRESS_INTERVAL_S:
                self._post_progress(event)
                state["last"], state["pending"] = now, None
            else:
                state["pending"] = event

        result = drain(gen, report)
        if state["pending"] is not None:
            self._post_progress(state["pending"])
        return result

    def _post_progress(self, event: Any) -> None:
        self._dispatcher.post(lambda: None if self.stale else self.progress.emit(event))

    # ---- owner thread ----------------------------------------------------------------
    def _deliver(self, outcome: tuple[str, Any]) -> None:
        kind, value = outcome
        if not self.stale:
            if kind == "succeeded":
                self.succeeded.emit(value)
            elif kind == "failed":
                self.failed.emit(value)
            else:
                self.cancelled.emit()
            self.finished.emit()
        self.settled = True


class Jobs:
    """The jobs of one owner: start (superseding a namesake), list, stop them all."""

    changed = Signal()  # a job started or settled (busy indicators, readiness)

    def __init__(self, dispatcher: Dispatcher):
        self.dispatcher = dispatcher
        self.jobs: list[Job] = []

    def start(self, name: str, fn: Callable[[threading.Event], Any], *,
              supersede: bool = True) -> Job:
        """A new job (not started yet: connect its signals, then call `start()`).

        With `supersede` a running job of the same name is cancelled and disconnected.
        """
        if supersede:
            for j in self.running(name):
                j.supersede()
        self.jobs = [j for j in self.jobs if not j.settled]
        job = Job(name, fn, self.dispatcher)
        job.finished.connect(lambda *_args: self.changed.emit())
        self.jobs.append(job)
        self.changed.emit()
        return job

    def running(self, name: str | None = None) -> list[Job]:
        """Jobs started whose outcome has not been delivered yet (superseded ones excluded)."""
        return [j for j in self.jobs if j._thread is not None and not j.settled and not j.stale
                and (name is None or j.name == name)]

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every job and wait for its thread (generators check cancel at each yield)."""
        for j in self.jobs:
            j.supersede()
        deadline = time.monotonic() + timeout
        for j in self.jobs:
            j.join(max(0.0, deadline - time.monotonic()))
