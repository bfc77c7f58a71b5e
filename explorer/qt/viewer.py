"""The windows opened from Python (`latent_atlas.show` / `compare`): a `Viewer` wraps one
window, and `run()` runs Qt's event loop unless IPython already does (`%gui qt`), as
`napari.run()` does. The windows are the same as the program's; nothing is computed here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

_STATE: dict[str, Any] = {}


def qt_application() -> Any:
    """The QApplication (made once, with the same set-up as the program's)."""
    if not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux") \
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise RuntimeError("no display to open a window on: set DISPLAY, or "
                           "QT_QPA_PLATFORM=offscreen for screenshots only")
    from .platform_check import xcb_plugin_problem

    problem = xcb_plugin_problem()
    if problem:
        raise RuntimeError(problem)
    from .app import qt_app

    app = qt_app()
    if "collector" not in _STATE:
        from .gc_guard import GuiThreadCollector

        _STATE["collector"] = GuiThreadCollector().start()
    return app


def _ipython_runs_qt() -> bool:
    """True inside IPython or Jupyter with Qt event-loop integration (`%gui qt`)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and str(getattr(shell, "active_eventloop", "") or "").startswith("qt")


class Viewer:
    """One open window. `selection` reads and sets the selected samples (indices into the
    active model's data); `screenshot(path)` saves what it shows."""

    def __init__(self, window: Any, kind: str) -> None:
        self.window = window
        self.kind = kind  # "main" or "compare"

    @property
    def sessions(self) -> list[Any]:
        if self.kind == "compare":
            pair = self.window.pair
            return [] if pair is None else list(pair.sessions)
        return list(self.window.workspace.sessions)

    @property
    def session(self) -> Any:
        """The active model's session (the left one in the compare window)."""
        s = getattr(self.window, "session", None)
        return s if s is not None else (self.sessions[0] if self.sessions else None)

    def is_ready(self) -> bool:
        return bool(self.window.is_ready())

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Process events until the models and their data are loaded (or `timeout` s)."""
        import time

        app = qt_application()
        end = time.monotonic() + timeout
        while not self.is_ready() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        return self.is_ready()

    @property
    def selection(self) -> list[int]:
        s = self.session
        return [] if s is None else [int(i) for i in s.selection]

    @selection.setter
    def selection(self, indices: Any) -> None:
        """Select these samples (the compare window mirrors them on the other map)."""
        s = self.session
        if s is None:
            raise RuntimeError("no model is open in this window")
        s.set_selection(indices)

    def screenshot(self, path: str | Path) -> Path:
        """Save the window as a PNG; returns the path."""
        from .screenshot import save_screenshot

        qt_application().processEvents()
        out = Path(path)
        canvases = (self.window.canvases if self.kind == "compare" else [self.window.canvas])
        if not save_screenshot(self.window, str(out), list(canvases)):
            raise OSError(f"cannot write {out}")
        return out

    def close(self) -> None:
        self.window.close()


def open_window(paths: list[str], *, compare: bool = False, data: str | None = None,
                opened: list[Any] | None = None) -> Viewer:
    """Open the main window (or the compare window) on model files and start loading;
    `opened` models (opened in Python, e.g. a module of the user's own) join the main
    window as they are; the compare window pairs the two it is given (opened models or
    file paths, in order) when `opened` is given."""
    app = qt_application()
    if compare:
        from .compare import CompareWindow

        window = CompareWindow()
        window.show()
        if opened:
            window.add_prepared(list(opened))
        else:
            window.open_paths(paths)
    else:
        from .main_window import MainWindow

        window = MainWindow()
        window.show()
        window.open_paths(paths, load=False)
        if data:
            for s in window.workspace.sessions:
                s.meta = {**s.meta, "data_spec": data}
        window.start_loading()
        from latent_atlas.explorer.session.open_session import session_of_opened

        for o in opened or []:
            window.add_session(session_of_opened(o, window.dispatcher))
    _STATE.setdefault("windows", []).append(window)  # kept alive while open
    app.processEvents()
    return Viewer(window, "compare" if compare else "main")


def run() -> int:
    """Run Qt's event loop until every window is closed; returns at once when IPython runs
    it already (`%gui qt`) or no window is open."""
    app = qt_application()
    if _ipython_runs_qt() or not any(w.isVisible() for w in _STATE.get("windows", [])):
        return 0
    return int(app.exec())
