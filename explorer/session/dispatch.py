"""Where a session's callbacks run: on the thread that owns the session.

Background jobs and coalesced decode requests hand work to a `Dispatcher`; the host
decides how it reaches the owner thread. The Qt windows post to the GUI thread through
a queued signal (latent_atlas.explorer.qt.dispatch); tests and the command line use
`ManualDispatcher`, which runs posted work when asked.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class Dispatcher(Protocol):
    def post(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the owner thread soon; safe to call from any thread."""


class ManualDispatcher:
    """Queues posted work until `process()` runs it on the calling thread."""

    def __init__(self) -> None:
        self._queue: deque[Callable[[], None]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)

    def post(self, fn: Callable[[], None]) -> None:
        with self._wake:
            self._queue.append(fn)
            self._wake.notify_all()

    def process(self) -> int:
        """Run everything posted so far (and what that posts); returns how many ran."""
        ran = 0
        while True:
            with self._lock:
                if not self._queue:
                    return ran
                fn = self._queue.popleft()
            fn()
            ran += 1

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Process posted work until `predicate()` holds or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            self.process()
            if predicate():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._wake:
                if not self._queue:
                    self._wake.wait(min(remaining, 0.05))
