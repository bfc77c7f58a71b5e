"""Pieces the application panels share: the panel base, per-session result columns and
a pixmap helper (the sample galleries are in `gallery`, the picker of the image a panel
works on in `picker`).

Panels follow the window's conventions: each takes the window's `ShownSessions` (the
active session in the main window, the AE and VAE sessions in the compare window) and
its `Jobs`, builds its Qt-free model from `latent_atlas.explorer.session.panels` over them, connects
the model's `changed` to `_update` and turns gestures into calls on the model. The
model follows the sessions, keeps the caches and runs the work off the GUI thread; the
panel computes nothing. With two sessions a panel shows one result per session side by
side, each titled with its model.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, Qt
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

from latent_atlas.explorer.session.panels import PanelModel, session_title
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.workspace import ShownSessions


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


def weak_slot(method: Callable[..., Any]) -> Callable[..., None]:
    """A bound method of a widget as a function that holds the widget weakly and does
    nothing once the widget (or its C++ object) is gone."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> None:
        m = ref()
        if m is not None and isValid(m.__self__):
            m(*args)
    return call


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
    """Base of every application panel: it binds to its Qt-free panel model
    (`latent_atlas.explorer.session.panels`), which follows the shown sessions, owns the caches and
    runs the jobs; the panel shows what the model says (`_update`, on `model.changed`)
    and turns gestures into calls. The dock's visibility is the model's live switch: a
    hidden panel does no work."""

    def __init__(self, model: PanelModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        model.changed.connect(weak_slot(self._on_model_changed))
        self.destroyed.connect(lambda *_args, m=model: m.close())

    @property
    def shown(self) -> ShownSessions:
        return self.model.shown

    @property
    def live(self) -> bool:
        return self.model.live

    def set_live(self, live: bool) -> None:
        """Called with the dock's visibility; a panel shown again catches up at once."""
        self.model.set_live(live)

    def flush(self) -> None:
        """Run the model's pending update now and show the outcome (tests, screenshots)."""
        self.model.flush()
        QApplication.processEvents()

    def _on_model_changed(self) -> None:
        self._update()
        # Lay out new rows and captions now rather than a turn of the event loop later, so
        # the panel never paints (or is grabbed) with the old geometry.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def _update(self) -> None:  # pragma: no cover - every panel defines it
        raise NotImplementedError
