"""What every panel model shares: the shown sessions, a coalesced update, a live/idle
switch and groups of per-model background jobs.

A panel model follows the window's `ShownSessions` (the active session in the main
window, both sessions of a pair in the compare window): it connects the signals it
cares about on every shown session and rebinds when they change. Many signals arrive in
one turn of the owner thread (a drag moves the cursor dozens of times, in both sessions
of a linked pair); `schedule()` collapses them into one `update()` when the dispatcher
next runs. A model that is not live (its panel is hidden) only remembers that it is
stale. Work heavier than a lookup runs as a named job on the window's `Jobs`; a job
started under a running job's name supersedes it, so a stale result never lands.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from psygnal import Signal

from ..jobs import Job, Jobs
from ..session import Session
from ..workspace import ShownSessions


class PanelModel:
    """Base of the panel models (see module docstring).

    Subclasses list the session signals they follow in `FOLLOW`, react to them in
    `on_session_event` (by default: `schedule()`) and do their work in `update()`.
    """

    changed = Signal()  # a result, a hint or a setting the panel shows changed

    FOLLOW: tuple[str, ...] = ()

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.shown = shown
        self.jobs = jobs
        self.live = True
        self.stale = True
        self.hint = ""
        self.hover_index: int | None = None  # the last sample hovered on a shown map
        self._posted = False
        self._closed = False
        self._connections: list[tuple[Any, Callable[..., None]]] = []
        shown.changed.connect(self._on_shown)
        self._bind()

    @property
    def sessions(self) -> list[Session]:
        return list(self.shown.sessions)

    # ---- following the shown sessions ----------------------------------------------------
    def _bind(self) -> None:
        self._unbind()
        for s in self.sessions:
            for name in self.FOLLOW:
                slot = self._slot(name)
                getattr(s, name).connect(slot)
                self._connections.append((getattr(s, name), slot))

    def _slot(self, name: str) -> Callable[..., None]:
        def on_event(*_args: Any) -> None:
            if not self._closed:
                self.on_session_event(name)
        return on_event

    def _unbind(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []

    def _on_shown(self) -> None:
        self._bind()
        self.on_sessions_changed()

    def on_sessions_changed(self) -> None:
        """The shown sessions changed (they are bound already)."""
        self.schedule()

    def on_session_event(self, name: str) -> None:
        """A followed signal `name` fired on a shown session."""
        self.schedule()

    def remember_hover(self) -> bool:
        """Keep the sample hovered on a shown map in `hover_index`; False when the mouse
        left the maps (the panel keeps showing the last sample then)."""
        i = next((s.hover_index for s in self.sessions if s.hover_index is not None), None)
        if i is not None:
            self.hover_index = i
        return i is not None

    # ---- coalesced updates ---------------------------------------------------------------
    def set_live(self, live: bool) -> None:
        """Called with the panel's visibility; a panel shown again catches up at once."""
        self.live = bool(live)
        if self.live and self.stale:
            self.schedule()

    def schedule(self) -> None:
        """Update once the owner thread is next idle (many requests, one update)."""
        self.stale = True
        if self.live and not self._posted and not self._closed:
            self._posted = True
            self.jobs.dispatcher.post(self._on_posted)

    def _on_posted(self) -> None:
        if self._posted:  # not run by `flush` meanwhile
            self._run_update()

    def flush(self) -> None:
        """Run a pending update now (tests, screenshots)."""
        if self._posted or (self.stale and self.live):
            self._run_update()

    def _run_update(self) -> None:
        self._posted = False
        if not self.live or self._closed:
            return
        self.stale = False
        self.update()

    def update(self) -> None:  # pragma: no cover - every panel model defines it
        raise NotImplementedError

    def say(self, hint: str) -> None:
        self.hint = hint
        self.changed.emit()

    def close(self) -> None:
        """Cut every connection; nothing this model still computes is delivered."""
        self._closed = True
        self._unbind()
        self.shown.changed.disconnect(self._on_shown)
        self.changed.disconnect()


class JobGroup:
    """Per-model jobs started together by one button and cancelled together (anomaly
    ranking, compression, probe, direction measure), with their mean progress."""

    def __init__(self, jobs: Jobs, on_change: Callable[[], None]):
        self._jobs = jobs
        self._on_change = on_change
        self.running: dict[str, Job] = {}
        self._fractions: dict[str, float] = {}

    def busy(self) -> bool:
        return bool(self.running)

    def fraction(self) -> float:
        """Mean progress of the running jobs, 0 … 1."""
        if not self._fractions:
            return 0.0
        return sum(self._fractions.values()) / len(self._fractions)

    def start(self, name: str, fn: Callable[[threading.Event], Any],
              on_done: Callable[[Any], None], on_failed: Callable[[str], None],
              on_cancelled: Callable[[], None]) -> Job:
        job = self._jobs.start(name, fn)
        job.progress.connect(lambda ev: self._on_progress(name, ev))
        job.succeeded.connect(on_done)
        job.failed.connect(on_failed)
        job.cancelled.connect(on_cancelled)
        job.finished.connect(lambda: self._on_finished(name))
        self.running[name] = job
        self._fractions[name] = 0.0
        job.start()
        return job

    def cancel(self) -> None:
        for job in self.running.values():
            job.cancel()

    def _on_progress(self, name: str, event: Any) -> None:
        self._fractions[name] = float(getattr(event, "fraction", None) or 0.0)
        self._on_change()

    def _on_finished(self, name: str) -> None:
        self.running.pop(name, None)
        if not self.running:
            self._fractions.clear()
        self._on_change()


def job_name(prefix: str, owner: object) -> str:
    """One job per model (or panel): a second model's job never cancels the first's."""
    return f"{prefix}-{id(owner)}"


def shared_reason(outcomes: Sequence[tuple[Any, str]]) -> str | None:
    """For per-model (result or None, text) pairs: the one reason none has a result, when
    every model gives the same one (then the panel says it once, not once per column)."""
    if any(r is not None for r, _ in outcomes) or len({t for _, t in outcomes}) != 1:
        return None
    return outcomes[0][1]
