"""Pieces the application panels share: the panel base, following the shown sessions,
per-session result columns, a pixmap helper and "select this sample on the map" (the
sample galleries are in `gallery`, the picker of the image a panel works on in `picker`).

Panels follow the window's conventions: they take the window's `ShownSessions` (the
active session in the main window, the AE and VAE sessions in the compare window) and
its `Jobs` for long work, connect the shown sessions' signals to private slots, compute
nothing themselves (every number comes from `explorer.core`), and stay idle while
hidden. With two sessions a panel shows one result per session side by side, each
titled with its model, for the same picked image or sample (a pair's sessions share
their data and sample order).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QWidget,
)
from shiboken6 import isValid

from explorer.core.inference import one_torch_thread
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

from ..binding import SessionBinding
from ..dispatch import QtDispatcher


def to_pixmap(image: np.ndarray, scale: int = 1) -> QPixmap:
    """A display image (H x W or H x W x 3 uint8) as a pixmap enlarged `scale` times
    without smoothing (pixels stay sharp squares)."""
    a = np.ascontiguousarray(image, dtype=np.uint8)
    h, w = a.shape[:2]
    if a.ndim == 2:
        qimg = QImage(a.tobytes(), w, h, w, QImage.Format.Format_Grayscale8).copy()
    else:
        qimg = QImage(a.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    pix = QPixmap.fromImage(qimg)
    if scale > 1:
        pix = pix.scaled(w * scale, h * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.FastTransformation)
    return pix


def labelled_row(title: str, main: QWidget, *rest: QWidget) -> QHBoxLayout:
    """A control row: its title, the main control taking the spare width, then the rest."""
    row = QHBoxLayout()
    row.addWidget(QLabel(title))
    row.addWidget(main, 1)
    for w in rest:
        row.addWidget(w)
    return row


def hint_label(text: str = "") -> QLabel:
    """A grey, word-wrapped line of guidance under a panel."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: gray")
    return label


def session_title(session: Session) -> str:
    """What a per-session result is titled with: "VAE — digits_vae"."""
    return f"{session.kind.upper()} — {session.name}"


def label_text(session: Session, index: int) -> str | None:
    """The name of sample `index`'s label, if the session knows it."""
    if session.labels is None or not 0 <= index < len(session.labels):
        return None
    k = int(session.labels[index])
    return session.label_names[k] if 0 <= k < len(session.label_names) else str(k)


def select_sample(sessions: Sequence[Session], index: int) -> None:
    """Select dataset sample `index` on the maps of `sessions`: the cursor jumps to it
    (its image is decoded, the map's inverse is exact at data points) and it is ringed.

    The first session selects; a session linked to it (the compare view) follows the
    first one's map point, as it does for a click, and decodes now; one that is not
    linked selects the sample itself.
    """
    if not sessions:
        return
    first, rest = sessions[0], list(sessions[1:])
    asked: list[Session] = []
    probes = [(s, lambda _xy, s=s: asked.append(s)) for s in rest]
    for s, probe in probes:
        s.cursor_requested.connect(probe)
    try:
        first.select_sample(int(index))
    finally:
        for s, probe in probes:
            s.cursor_requested.disconnect(probe)
    for s in rest:
        if any(a is s for a in asked):
            s.flush_decode()
        else:
            s.select_sample(int(index))


def model_ready(session: Session | None) -> bool:
    """The session has a network to run and a map to search."""
    return session is not None and session.model is not None and session.latent_map is not None


def hovered_index(sessions: Sequence[Session]) -> int | None:
    """The sample hovered on any of the maps (linked maps hover the same one)."""
    return next((s.hover_index for s in sessions if s.hover_index is not None), None)


def shared_reason(outcomes: Sequence[tuple[Any, str]]) -> str | None:
    """For per-model (result or None, text) pairs: the one reason none has a result, when
    every model gives the same one (then the panel says it once, not once per column)."""
    if any(r is not None for r, _ in outcomes) or len({t for _, t in outcomes}) != 1:
        return None
    return outcomes[0][1]


def sync_count(widgets: list[QWidget], n: int, make: Callable[[], QWidget],
               layout: QLayout | None = None) -> list[QWidget]:
    """Grow or shrink `widgets` (in place) to `n`, taking the extra ones out of `layout`
    and deleting them; returns the new widgets, which the caller lays out."""
    while len(widgets) > n:
        w = widgets.pop()
        if layout is not None:
            layout.removeWidget(w)
        w.deleteLater()
    new = [make() for _ in range(n - len(widgets))]
    widgets.extend(new)
    return new


# ---- following the shown sessions --------------------------------------------------------
def _weak_slot(method: Callable[..., Any]) -> Callable[..., None]:
    """A bound method of a widget as a function that holds the widget weakly and does
    nothing once the widget (or its C++ object) is gone."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> None:
        m = ref()
        if m is not None and isValid(m.__self__):
            m(*args)
    return call


class ShownBinding:
    """Connects a widget's slots to every shown session (or only the first one) and
    rebinds when the shown sessions change; `on_change` runs after each rebinding.

    The widget keeps this object; the sessions and `shown` only hold it weakly, and every
    connection is cut when the widget is destroyed, so a closed panel is never called.
    """

    def __init__(self, widget: QWidget, shown: ShownSessions,
                 pairs: list[tuple[str, Callable[..., Any]]], on_change: Callable[[], Any],
                 *, first_only: bool = False):
        self.shown = shown
        self.first_only = first_only
        self._pairs = [(name, _weak_slot(slot)) for name, slot in pairs]
        self._on_change = _weak_slot(on_change)
        self.bindings: list[SessionBinding] = []
        shown.changed.connect(self.rebind)
        widget.destroyed.connect(self.release)

    def sessions(self) -> list[Session]:
        s = list(self.shown.sessions)
        return s[:1] if self.first_only else s

    def rebind(self) -> None:
        sessions = self.sessions()
        while len(self.bindings) > len(sessions):
            self.bindings.pop().bind(None)
        while len(self.bindings) < len(sessions):
            self.bindings.append(SessionBinding(self._pairs))
        for binding, session in zip(self.bindings, sessions, strict=True):
            binding.bind(session)
        self._on_change()

    def release(self, *_args: Any) -> None:
        self.shown.changed.disconnect(self.rebind)
        for binding in self.bindings:
            binding.bind(None)
        self.bindings = []


# ---- widgets -----------------------------------------------------------------------------
class SessionColumns(QWidget):
    """One result widget per shown session, side by side, each under a title naming its
    model ("AE — digits_ae") with a note line below it for what that model could not do.
    With one session the title is hidden: the main window's panels look as they always
    did. There is always at least one column, so a panel's first result widget exists."""

    def __init__(self, make: Callable[[], QWidget], parent: QWidget | None = None):
        super().__init__(parent)
        self._make = make
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(2)
        self.grid.setRowStretch(1, 1)
        self.widgets: list[QWidget] = []
        self.titles: list[QWidget] = []
        self.notes: list[QWidget] = []
        self.set_sessions([])

    def set_sessions(self, sessions: Sequence[Session]) -> list[QWidget]:
        """One column per session (at least one); returns the result widgets in order."""
        n = max(1, len(sessions))
        titles = sync_count(self.titles, n, QLabel, self.grid)
        notes = sync_count(self.notes, n, hint_label, self.grid)
        widgets = sync_count(self.widgets, n, self._make, self.grid)
        k0 = n - len(widgets)
        for k, (title, widget, note) in enumerate(zip(titles, widgets, notes, strict=True), k0):
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            title.setStyleSheet("font-weight: bold")
            self.grid.addWidget(title, 0, k)
            self.grid.addWidget(widget, 1, k)
            self.grid.addWidget(note, 2, k)
            self.grid.setColumnStretch(k, 1)
            widget.show()  # a layout shows new children only after a queued event
        for k in range(n, self.grid.columnCount()):
            self.grid.setColumnStretch(k, 0)
        for k, title in enumerate(self.titles):
            title.setText(session_title(sessions[k]) if k < len(sessions) else "")
            title.setVisible(len(sessions) > 1)
            self.set_note(k, "")
        return self.widgets

    def set_note(self, k: int, text: str) -> None:
        self.notes[k].setText(text)
        self.notes[k].setVisible(bool(text))

    def column_titles(self) -> list[str]:
        return [t.text() for t in self.titles if not t.isHidden()]


class PanelBase(QWidget):
    """Base of every application panel: the shown sessions, a coalesced refresh and a
    live/idle switch.

    Many signals can arrive in one event-loop turn (a drag moves the cursor dozens of
    times, in both sessions of a linked pair); `schedule()` collapses them into one
    `refresh()` when the loop is next idle. A hidden panel (`set_live(False)`) only
    remembers that it is stale. Subclasses call `follow(pairs)` once their widgets exist.
    """

    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.shown = shown
        self.jobs = jobs if jobs is not None else Jobs(QtDispatcher(self))
        self.live = True
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_refresh)
        self._binding: ShownBinding | None = None
        self.hover_index: int | None = None  # the last sample hovered (`remember_hover`)

    @property
    def sessions(self) -> list[Session]:
        return list(self.shown.sessions)

    def follow(self, pairs: list[tuple[str, Callable[..., Any]]]) -> None:
        """Connect (session signal name, slot) pairs on every shown session, now and
        whenever the shown sessions change (then `_on_sessions` runs)."""
        self._binding = ShownBinding(self, self.shown, pairs, self._on_sessions)
        self._binding.rebind()

    def _on_sessions(self) -> None:
        self.schedule()

    def remember_hover(self) -> bool:
        """Keep the sample hovered on a shown map in `hover_index`; False when the mouse
        left the maps (the panel keeps showing the last sample then)."""
        i = hovered_index(self.sessions)
        if i is not None:
            self.hover_index = i
        return i is not None

    def set_live(self, live: bool) -> None:
        """Called with the dock's visibility; a panel shown again catches up at once."""
        self.live = bool(live)
        if self.live and self._stale:
            self.schedule()

    def schedule(self) -> None:
        self._stale = True
        if self.live and not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Run a pending refresh now (tests, screenshots)."""
        if self._timer.isActive():
            self._timer.stop()
            self._run_refresh()

    def _run_refresh(self) -> None:
        if not self.live:
            return
        self._stale = False
        with one_torch_thread():  # one image or grid: a second intra-op thread only adds waiting
            self.refresh()
        # Lay out new rows and captions now rather than a turn of the event loop later, so
        # the panel never paints (or is grabbed) with the old geometry.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def refresh(self) -> None:  # pragma: no cover - every panel overrides it
        raise NotImplementedError


class RunOrCancel:
    """One button that starts a panel's per-model jobs (`start_jobs`), or cancels them all
    while any runs. The panel keeps its running jobs in `_jobs` (name -> job)."""

    _jobs: dict[str, Any]

    def running(self) -> bool:
        return bool(self._jobs)

    def _on_button(self) -> None:
        if self.running():
            for job in self._jobs.values():
                job.cancel()
        else:
            self.start_jobs()

    def start_jobs(self) -> None:  # pragma: no cover - panels define it
        raise NotImplementedError
