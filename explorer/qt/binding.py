"""Connect a widget's slots to whichever session it currently shows.

A widget that follows "the active model" rebinds when the user switches models: the
old session's signals are disconnected so it can never repaint the widget again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class SessionBinding:
    """Holds (signal name, slot) pairs and (re)connects them to one session at a time.

    Given the `widget` that owns the slots, every connection is cut when Qt destroys it:
    psygnal would otherwise call a slot of a deleted widget.
    """

    def __init__(self, pairs: list[tuple[str, Callable[..., Any]]], widget: Any = None):
        self._pairs = pairs
        self.session: Any = None
        if widget is not None:
            widget.destroyed.connect(lambda *_args: self.bind(None))

    def bind(self, session: Any) -> None:
        if session is self.session:
            return
        if self.session is not None:
            for name, slot in self._pairs:
                getattr(self.session, name).disconnect(slot)
        self.session = session
        if session is not None:
            for name, slot in self._pairs:
                getattr(session, name).connect(slot)


class FollowsSession:
    """For widgets that show one session at a time: `session`, and `set_session`, which
    rebinds `self._binding` and redraws everything through `self._show_session()`."""

    _binding: SessionBinding

    @property
    def session(self) -> Any:
        return self._binding.session

    def set_session(self, session: Any) -> None:
        self._binding.bind(session)
        self._show_session()

    def _show_session(self) -> None:  # pragma: no cover - every widget overrides it
        raise NotImplementedError
