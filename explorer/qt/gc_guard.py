"""Run Python's cyclic garbage collector on the GUI thread only, and cheaply.

pyqtgraph items and PySide wrappers live in reference cycles. If the collector happens
to run in a worker thread (training, loading), it destroys those Qt objects there and Qt
crashes (we saw a segmentation fault inside a worker's allocation). So automatic
collection is switched off and a timer collects on the GUI thread instead, generation by
generation with Python's own thresholds (the idea of pyqtgraph's GarbageCollector).

Why it must be cheap (issue 24): with torch, scikit-learn and Qt loaded a full
collection scans millions of long-lived objects (~60 ms each, 0.65 s at start-up), and
a young collection after a worker thread imported torch scans everything that import
made. So:
- while the app starts (`start(startup=True)` until `settle()`), a tick *freezes* what
  was allocated (`gc.freeze()`, constant time) instead of scanning it: modules, classes
  and widgets made at start-up live as long as the app;
- `settle()` freezes once more; from then on a tick collects the young generations, and
  the oldest only when Python's own thresholds ask, which scans just the objects made
  since start-up;
- `stop()` unfreezes and collects everything, so no Qt wrapper outlives the application.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 100  # short: a young collection scans only what was allocated in between
STARTUP_LIMIT_S = 60.0  # settle by itself if nobody says start-up is over


class GuiThreadCollector(QObject):
    """While alive (and started), the GUI thread does all cyclic garbage collection."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._settled = True
        self._started_at = 0.0
        self._until: Callable[[], bool] | None = None
        self.collections = [0, 0, 0]  # per generation, for tests and benchmarks
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)

    def start(self, startup: Callable[[], bool] | bool = False) -> GuiThreadCollector:
        """Take over collection. With `startup` (True, or a callable that says when
        start-up is over), freeze instead of scanning until `settle()` is called or the
        callable returns True (at most STARTUP_LIMIT_S)."""
        gc.disable()
        gc.freeze()  # what exists now (the imports) is never garbage worth a scan
        self._settled = not startup
        self._until = startup if callable(startup) else None
        self._started_at = time.monotonic()
        self._timer.start(INTERVAL_MS)
        return self

    @property
    def settled(self) -> bool:
        return self._settled

    def settle(self) -> None:
        """Start-up is over: freeze what it made; collect the young generations from now."""
        if not self._settled:
            gc.freeze()
            self._settled = True

    def check(self) -> None:
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self._threshold
        if c0 <= t0:
            return
        if not self._settled:
            over = time.monotonic() - self._started_at >= STARTUP_LIMIT_S
            if over or (self._until is not None and self._until()):
                self.settle()  # freezes too
            else:
                gc.freeze()
            return
        gen = 2 if (c1 > t1 and c2 > t2) else 1 if c1 > t1 else 0
        self.collections[gen] += 1
        gc.collect(gen)

    def stop(self) -> None:
        """Collect everything now (on this thread) and give collection back to Python."""
        self._timer.stop()
        gc.unfreeze()  # a frozen Qt wrapper in a cycle would outlive the application
        gc.collect()
        if self._was_enabled:
            gc.enable()
