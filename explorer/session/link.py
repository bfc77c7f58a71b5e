"""Links two sessions whose maps share one frame and one sample order (the compare view).

A decode request, hover, sample selection, selected samples or arrow made in one session
is repeated in the other: one map position and one sample index mean the same thing in
both. A guard stops the echo from coming back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .session import Session


class Link:
    """Mirror gestures between `a` and `b` (see module docstring)."""

    def __init__(self, a: Session, b: Session) -> None:
        self.sessions = (a, b)
        self._busy = False
        self._connections: list[tuple[Any, Callable[..., None]]] = []
        for src, dst in ((a, b), (b, a)):
            self._wire(src, dst)

    def _guarded(self, fn: Callable[..., Any]) -> Callable[..., None]:
        def run(*args: Any) -> None:
            if self._busy:
                return
            self._busy = True
            try:
                fn(*args)
            finally:
                self._busy = False
        return run

    def _connect(self, signal: Any, fn: Callable[..., Any]) -> None:
        slot = self._guarded(fn)
        signal.connect(slot)
        self._connections.append((signal, slot))

    def _wire(self, src: Session, dst: Session) -> None:
        self._connect(src.cursor_requested, dst.request_decode)
        self._connect(src.hover_changed, lambda: dst.set_hover(src.hover_index))
        self._connect(src.selection_changed, lambda: dst.select(src.selected_index))
        self._connect(src.selection_set_changed,
                      lambda: dst.set_selection(src.selection) if dst.n_points == src.n_points
                      else None)
        self._connect(src.arrow_added, dst.add_arrow_at)
        self._connect(src.arrow_removed, dst.delete_arrow)
        self._connect(src.arrow_selected, dst.select_arrow)
        def follow_path_settings() -> None:
            dst.set_steps(src.steps)
            dst.set_mode(src.mode)

        self._connect(src.path_settings_changed, follow_path_settings)

    def disconnect(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
