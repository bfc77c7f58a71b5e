"""The sessions of one window, which one is shown, and the map tool in use (no Qt)."""

from __future__ import annotations

from psygnal import Signal

from .session import Session

TOOLS = ("explore", "arrow", "pan", "lasso", "box")


class Tools:
    """The map tool of a window: explore (click/drag decodes), arrow, pan, and the lasso
    and box that select samples."""

    changed = Signal()

    def __init__(self) -> None:
        self.tool = "explore"

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}")
        if tool != self.tool:
            self.tool = tool
            self.changed.emit()


class Workspace:
    """Open sessions with one active (the main window shows one map at a time)."""

    sessions_changed = Signal()
    active_changed = Signal()

    def __init__(self) -> None:
        self.sessions: list[Session] = []
        self.active_index = -1
        self.tools = Tools()

    @property
    def active(self) -> Session | None:
        if 0 <= self.active_index < len(self.sessions):
            return self.sessions[self.active_index]
        return None

    def add(self, session: Session, activate: bool = True) -> int:
        self.sessions.append(session)
        session.file_changed.connect(lambda *_args: self.sessions_changed.emit())
        self.sessions_changed.emit()
        if activate or self.active_index < 0:
            self.set_active(len(self.sessions) - 1)
        return len(self.sessions) - 1

    def set_active(self, index: int) -> None:
        if not 0 <= index < len(self.sessions) or index == self.active_index:
            return
        self.active_index = index
        self.active_changed.emit()

    def index_of(self, session: Session) -> int:
        for i, s in enumerate(self.sessions):
            if s is session:
                return i
        return -1

    def close(self) -> None:
        for s in self.sessions:
            s.close()


class ShownSessions:
    """The sessions a window's panels work on: the active model in the main window, both
    models in the compare window. Panels listen to `changed` and show one result per
    session, side by side."""

    changed = Signal()

    def __init__(self) -> None:
        self.sessions: list[Session] = []

    def set(self, sessions: list[Session]) -> None:
        new = list(sessions)
        if len(new) != len(self.sessions) or any(a is not b for a, b in zip(new, self.sessions,
                                                                            strict=False)):
            self.sessions = new
            self.changed.emit()

    @property
    def first(self) -> Session | None:
        return self.sessions[0] if self.sessions else None
