"""Background jobs: run a core generator (or function) in a thread, report on the GUI thread.

A `Job` runs `fn(cancel_event)` in a Python thread. If `fn` returns a generator it is
iterated (each yielded event becomes a `progress` signal, throttled so a fast trainer does
not flood the event loop) and its return value is the result. Signals emitted from the
worker thread are queued to the GUI thread by Qt. `JobManager.shutdown()` cancels and
joins every job, so no thread outlives the window (a clean interpreter exit needs that).
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from explorer.core.progress import Progress

PROGRESS_INTERVAL_S = 0.05


def readable_error(exc: BaseException) -> str:
    """One line for the user: our typed errors carry their own message."""
    from explorer.core.data import DataError
    from explorer.core.io.images import ImageImportError
    from models.config import ConfigError
    from models.modelfile import ModelFileError

    if isinstance(exc, (ModelFileError, DataError, ConfigError, ImageImportError, ValueError,
                        FileNotFoundError, PermissionError, IsADirectoryError)):
        return str(exc) or type(exc).__name__
    if isinstance(exc, MemoryError):
        return "Not enough memory for this operation; try a smaller data set (limit=...)."
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return f"Unexpected error ({type(exc).__name__}): {exc}"


def _is_forced(event: Progress) -> bool:
    # Epoch reports and stage changes must always reach the GUI; per-batch ones may be skipped.
    return event.stage != "batch"


class Job(QObject):
    """One background task; see module docstring."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, name: str, fn: Callable[[threading.Event], Any], parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._fn = fn
        self.cancel_event = threading.Event()
        self._thread: threading.Thread | None = None
        self.done = False  # set by the worker thread when the function has returned
        # Set on the GUI thread once every result signal has been delivered (queued after
        # them), so "not settled" means the window has not seen the outcome yet.
        self.settled = False
        self.finished.connect(self._settle)

    def _settle(self) -> None:
        self.settled = True

    def start(self) -> Job:
        self._thread = threading.Thread(target=self._run, name=f"job-{self.name}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.cancel_event.set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _run(self) -> None:
        from explorer.core.progress import Cancelled

        try:
            out = self._fn(self.cancel_event)
            if inspect.isgenerator(out):
                out = self._drain(out)
            if self.cancel_event.is_set() and out is None:
                self.cancelled.emit()
            else:
                self.succeeded.emit(out)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # every failure becomes a readable message, never a crash
            if not isinstance(exc, ValueError | OSError):
                traceback.print_exc(file=sys.stderr)
            self.failed.emit(readable_error(exc))
        finally:
            self.done = True
            self.finished.emit()

    def _drain(self, gen) -> Any:
        """Drain the generator, emitting its events throttled (the last one always arrives)."""
        from explorer.core.progress import drain

        last = 0.0
        pending: Progress | None = None

        def on_progress(event: Progress) -> None:
            nonlocal last, pending
            now = time.monotonic()
            if _is_forced(event) or now - last >= PROGRESS_INTERVAL_S:
                self.progress.emit(event)
                last, pending = now, None
            else:
                pending = event

        result = drain(gen, on_progress)
        if pending is not None:
            self.progress.emit(pending)
        return result


class JobManager(QObject):
    """Keeps jobs alive while they run and stops them all on shutdown."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs: list[Job] = []

    def start(self, name: str, fn: Callable[[threading.Event], Any]) -> Job:
        self.jobs = [j for j in self.jobs if not j.settled]
        job = Job(name, fn, self)
        self.jobs.append(job)
        return job  # caller connects signals, then calls job.start()

    def running(self, name: str | None = None) -> list[Job]:
        """Jobs started and not yet settled (outcome not yet applied by the window)."""
        return [j for j in self.jobs
                if j._thread is not None and not j.settled and (name is None or j.name == name)]

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every job and wait for its thread (generators check cancel at each yield)."""
        for j in self.jobs:
            j.cancel()
        deadline = time.monotonic() + timeout
        for j in self.jobs:
            j.join(max(0.0, deadline - time.monotonic()))
