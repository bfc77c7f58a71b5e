"""Saving a window for `--screenshot`, and (for resources/make_screenshots.py) the words it
shows, so a test can tell when the app no longer produces what a README picture shows.

With the environment variable LATENT_ATLAS_SCREENSHOT_TEXTS=FILE.json, `save_screenshot`
also writes {"items": [...], "size": [w, h], "maps": [x, y, w, h]}: every text visible in
the window (labels, buttons, tabs, group titles, table cells and headers, the status line)
with where it is, and the rectangle of its map canvases.
"""

from __future__ import annotations

import json
import os

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QTabBar,
    QTableWidget,
    QWidget,
)

TEXTS_ENV = "LATENT_ATLAS_SCREENSHOT_TEXTS"


def visible_texts(window: QWidget) -> list[dict]:
    """Every non-empty text a visible widget of `window` shows: {"text", "rect" [x, y, w,
    h] in the window, "status" (True in the status line, which depends on timing)}."""
    from PySide6.QtWidgets import QStatusBar

    items: list[dict] = []

    def add(w: QWidget, texts: list[str]) -> None:
        top_left = w.mapTo(window, w.rect().topLeft())
        rect = [top_left.x(), top_left.y(), w.width(), w.height()]
        status = any(isinstance(p, QStatusBar) for p in _parents(w))
        for t in texts:
            t = " ".join((t or "").split())
            if t:
                items.append({"text": t, "rect": rect, "status": status})

    for w in window.findChildren(QWidget):
        if not w.isVisibleTo(window):
            continue
        if isinstance(w, QLabel | QAbstractButton):
            add(w, [w.text()])
        elif isinstance(w, QGroupBox):
            add(w, [w.title()])
        elif isinstance(w, QComboBox):
            add(w, [w.currentText()])
        elif isinstance(w, QTabBar):
            add(w, [w.tabText(i) for i in range(w.count())])
        elif isinstance(w, QTableWidget):
            cells = [w.horizontalHeaderItem(i) for i in range(w.columnCount())]
            cells += [w.verticalHeaderItem(i) for i in range(w.rowCount())]
            cells += [w.item(r, c) for r in range(w.rowCount()) for c in range(w.columnCount())]
            add(w, [c.text() for c in cells if c is not None])
    return sorted(items, key=lambda i: (i["rect"][1], i["rect"][0], i["text"]))


def _parents(w: QWidget):
    p = w.parentWidget()
    while p is not None:
        yield p
        p = p.parentWidget()


def save_screenshot(window: QWidget, path: str, canvases: list[QWidget] | tuple = ()) -> bool:
    """Grab `window` into the PNG `path`; with TEXTS_ENV set, also write what it shows."""
    ok = window.grab().save(path, "PNG")
    target = os.environ.get(TEXTS_ENV)
    if ok and target:
        rect = None
        for c in canvases:
            r = c.geometry()
            r.moveTopLeft(c.mapTo(window, r.topLeft() - c.pos()))
            rect = r if rect is None else rect.united(r)
        doc = {"items": visible_texts(window), "size": [window.width(), window.height()],
               "maps": None if rect is None else [rect.x(), rect.y(), rect.width(), rect.height()]}
        with open(target, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
    return ok
