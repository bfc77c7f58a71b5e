"""The application views as dock panels: latent traversal, denoising, inpainting, anomaly
ranking, retrieval, compression against JPEG and codes as features (the probe). Each is a
thin widget over its Qt-free model in `latent_atlas.explorer.session.panels`, which does the work.

`add_application_panels(window, shown, jobs)` docks them (tabified on the right, hidden
at start so the window opens as before) and adds a Views menu that shows each one. A
hidden panel does no work. The panels work on the window's shown sessions: the active
model in the main window, the AE and the VAE side by side in the compare window. For
screenshots and demos the environment variable `LATENT_ATLAS_SHOW_PANEL` (a panel key,
e.g. `denoise`) shows one panel at start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.workspace import ShownSessions

from .anomaly import AnomalyPanel
from .codes import CompressPanel, ProbePanel
from .denoise import DenoisePanel
from .factors import FactorsPanel
from .inpaint import InpaintPanel
from .retrieval import RetrievalPanel
from .selection import SelectionPanel
from .traversal import TraversalPanel

PANELS = (
    ("traversal", "Latent traversal", TraversalPanel, "Ctrl+1"),
    ("denoise", "Denoising", DenoisePanel, "Ctrl+2"),
    ("inpaint", "Inpainting", InpaintPanel, "Ctrl+3"),
    ("anomaly", "Anomaly ranking", AnomalyPanel, "Ctrl+4"),
    ("retrieval", "Retrieval", RetrievalPanel, "Ctrl+5"),
    ("compress", "Compression against JPEG", CompressPanel, "Ctrl+6"),
    ("probe", "Codes as features", ProbePanel, "Ctrl+7"),
    ("selection", "Selection", SelectionPanel, "Ctrl+8"),
    ("factors", "Factors", FactorsPanel, "Ctrl+9"),
)
SHOW_ENV = "LATENT_ATLAS_SHOW_PANEL"
DOCK_WIDTH = 460
MIN_WIDTH = 340

__all__ = ["PANELS", "AnomalyPanel", "CompressPanel", "DenoisePanel", "FactorsPanel",
           "InpaintPanel", "ProbePanel", "RetrievalPanel", "SelectionPanel", "TraversalPanel",
           "add_application_panels", "panel_steps"]


def add_application_panels(window: QMainWindow, shown: ShownSessions,
                           jobs: Jobs) -> dict[str, QDockWidget]:
    """Create every application panel in its own dock on `window`; returns key -> dock.

    The panels work on the sessions in `shown` and share the window's `jobs` (so closing
    the window stops their work too).
    """
    docks: dict[str, QDockWidget] = {}
    for _key in panel_steps(window, shown, jobs, docks):
        pass
    return docks


def panel_steps(window: QMainWindow, shown: ShownSessions, jobs: Jobs,
                docks: dict[str, QDockWidget]) -> Iterator[str]:
    """`add_application_panels` one panel at a time: builds a panel, docks it into
    `docks` and yields its key, so a window can build one per turn of the event loop
    (all at once they keep the loop from running for 0.1-0.2 s)."""
    first = None
    menu = window.menuBar().addMenu("&Views")
    for key, title, cls, shortcut in PANELS:
        panel = cls(shown, jobs)
        panel.setMinimumWidth(MIN_WIDTH)
        dock = QDockWidget(title, window)
        dock.setObjectName(f"panel-{key}")
        dock.setWidget(panel)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if first is None:
            first = dock
        else:
            window.tabifyDockWidget(first, dock)
        dock.hide()
        panel.set_live(False)
        dock.visibilityChanged.connect(panel.set_live)
        action = dock.toggleViewAction()
        action.setShortcut(shortcut)
        action.setStatusTip(f"Show or hide the {title.lower()} panel")
        action.triggered.connect(lambda checked, d=dock: _raise(window, d) if checked else None)
        menu.addAction(action)
        docks[key] = dock
        yield key
    wanted = os.environ.get(SHOW_ENV, "").strip().lower()
    if wanted in docks:
        show_panel(window, docks[wanted])


def show_panel(window: QMainWindow, dock: QDockWidget) -> None:
    """Show a panel's dock, bring its tab to the front and give it a usable width."""
    dock.show()
    _raise(window, dock)
    # A window that is not on screen yet ignores resizeDocks: ask again once it is.
    QTimer.singleShot(0, window, lambda: _raise(window, dock))


def _raise(window: QMainWindow, dock: QDockWidget) -> None:
    dock.raise_()
    window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
