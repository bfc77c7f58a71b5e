"""Run Python's cyclic garbage collector on the GUI thread only.

pyqtgraph items and PySide wrappers live in reference cycles. If the collector happens
to run in a worker thread (training, loading), it destroys those Qt objects there and Qt
crashes (we saw a segmentation fault inside a worker's allocation). So automatic
collection is switched off and a timer collects on the GUI thread instead, generation by
generation with Python's own thresholds (the idea of pyqtgraph's GarbageCollector).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """While alive (and started), the GUI thread does all cyclic garbage collection."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)

    def start(self) -> GuiThreadCollector:
        gc.disable()
        self._timer.start(INTERVAL_MS)
        return self

    def check(self) -> None:
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self._threshold
        if c0 > t0:
            gen = 2 if (c1 > t1 and c2 > t2) else 1 if c1 > t1 else 0
            gc.collect(gen)

    def stop(self) -> None:
        """Collect everything now (on this thread) and give collection back to Python."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
