"""The Qt side of `latent_atlas.explorer.session.dispatch`: posted work runs on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal


class QtDispatcher(QObject):
    """Runs posted callables on the thread that owns this object (the GUI thread), in
    order, when its event loop next turns; safe to post from any thread."""

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[[], None]) -> None:
        self._posted.emit(fn)

    @staticmethod
    def _run(fn: Callable[[], None]) -> None:
        fn()
