"""Application entry: build the QApplication, paint the stored maps, then load the rest.

The order matters for the start-up target (map painted within 0.5 s of process start):
only PySide6 and numpy are imported before the first paint, a preview of the stored map
(`show_preview`); the main window (pyqtgraph, the panels) takes its place when it has
painted, and torch, the data sets and scikit-learn load afterwards in a worker thread
(see MainWindow.start_loading).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from latent_atlas.explorer.core.bundled import default_model_paths
from latent_atlas.explorer.core.proctime import seconds_since_start

SCREENSHOT_TIMEOUT_S = 300.0
MAIN_WINDOW_SIZE = (1280, 860)  # MainWindow's first size; the preview takes the same


def configure_pyqtgraph() -> None:
    import pyqtgraph as pg

    # Row-major images match numpy's H x W layout; antialiasing costs frames on big scatters.
    # pyqtgraph's mouse rate limit *drops* moves (it would leave the decoded image behind the
    # resting mouse); Qt already compresses moves and the state decodes only the newest.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False, exitCleanup=False,
                        mouseRateLimit=-1)


def windows_ready(app) -> bool:
    """True when there is a window and every top-level window that loads is ready."""
    windows = [w for w in app.topLevelWidgets() if hasattr(w, "is_ready")]
    return bool(windows) and all(w.is_ready() for w in windows)


def demo_scene(window) -> None:
    """For screenshots: decode one point, hover a sample and draw one arrow between two
    class centres, so the picture shows every part of the window in use."""
    session = window.session
    if session is None or session.latent_map is None or session.n_points < 2:
        return
    pos = session.latent_map.positions
    if session.labels is not None and len(np.unique(session.labels)) >= 2:
        classes = np.unique(session.labels)
        centres = [pos[session.labels == c].mean(axis=0) for c in classes[:2]]
    else:
        centres = [pos[0], pos[-1]]
    a = int(session.latent_map.nearest_sample(centres[0])[0])
    b = int(session.latent_map.nearest_sample(centres[1])[0])
    session.add_arrow(pos[a], pos[b], tolerance=1e-6)
    mid = (pos[a] + pos[b]) / 2.0
    session.request_decode(mid + np.array([0.0, 0.15 * (pos[:, 1].max() - pos[:, 1].min())]))
    session.flush_decode()
    session.set_hover(a)


def show_preview(app, paths: list, times: dict[str, float]):
    """Paint the stored map of the model the window will show first, with PySide6 alone,
    before pyqtgraph, torch or a panel is imported; `times["first_paint_s"]` is set when it
    has painted. Returns the preview window (closed when the main window has painted), or
    None when no file among `paths` has a stored map."""
    from latent_atlas.explorer.session.preview import map_preview

    from .startup_preview import StartupPreview

    shown = map_preview(paths)
    if shown is None:
        return None

    def painted() -> None:
        times.setdefault("first_paint_s", seconds_since_start())

    preview = StartupPreview(shown, on_paint=painted)
    preview.resize(*MAIN_WINDOW_SIZE)
    preview.show()
    preview.repaint()  # now, not at the next turn of the event loop
    app.processEvents()  # and onto the screen
    return preview


_CONFIGURED: list[bool] = []
_PLOTS_CONFIGURED: list[bool] = []


def qt_app(plots: bool = True):
    """The QApplication, made if there is none (a Jupyter kernel under `%gui qt` makes its
    own), after the set-up every window needs, done once: the refguard pins (before any Qt
    virtual is overridden from Python, see refguard.py) and, unless `plots` is False (the
    start-up preview paints before pyqtgraph is imported), pyqtgraph's options. The
    program (`run_app`) and the Python API's windows (`viewer.py`) both start here."""
    from PySide6.QtWidgets import QApplication

    if not _CONFIGURED:
        from .import_tax import skip_libraries_without_qt
        from .refguard import pin_singletons

        skip_libraries_without_qt()  # torch & co. load after Qt: no source scan of each
        pin_singletons()
        _CONFIGURED.append(True)
    if plots and not _PLOTS_CONFIGURED:
        configure_pyqtgraph()
        _PLOTS_CONFIGURED.append(True)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv and sys.argv[0]
                                                   else "latent-atlas"])
    app.setApplicationName("Latent Atlas")
    app.setOrganizationName("LatentAtlas")
    return app


def run_app(files: list, compare: bool = False, screenshot: str | None = None,
            data: str | None = None) -> int:
    """Open the explorer window; with `screenshot`, render offscreen, save, print timings.
    `files` are paths or `UserSource`s (`--python`); `data` is the data spec of those."""
    if screenshot and not os.environ.get("QT_QPA_PLATFORM"):  # set it (e.g. xcb) for Xvfb
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from .platform_check import xcb_plugin_problem

    problem = xcb_plugin_problem()  # Qt would abort with a message that names no package
    if problem:
        print(f"latent-atlas: error: {problem}", file=sys.stderr)
        return 2
    from PySide6.QtCore import QEvent, QObject, QTimer

    times: dict[str, float] = {}
    paths = list(files) or ([] if compare else default_model_paths())
    app = qt_app(plots=compare)
    preview = None if compare else show_preview(app, paths, times)
    qt_app()  # pyqtgraph, after the preview's paint
    from .chrome import close_window
    from .gc_guard import GuiThreadCollector
    from .main_window import MainWindow

    # Start-up allocations (torch, the data, the widgets) are frozen, not scanned, until
    # every window is ready; from then on the timer collects young generations.
    collector = GuiThreadCollector().start(startup=lambda: windows_ready(app))
    if compare:
        from .compare.launch import run_compare

        code = run_compare(app, files, screenshot, default_model_paths, data=data)
        collector.stop()
        del collector
        return code
    window = MainWindow(headless=bool(screenshot), defer_panels=True)
    window.source_data = data
    if preview is not None:
        window.setGeometry(preview.geometry())
    window.show()  # before any file is read: a slow or bad file never hides the window
    window.open_paths(paths, load=False)
    if not window.workspace.sessions and not window.opening():
        window.show_message("No model open: File ▸ Open model… or Model ▸ Train… "
                                  "(the bundled digits models were not found)")
        if screenshot and files:  # nothing to show of what was asked for
            close_window(window, app)
            collector.stop()
            return 2

    class FirstPaint(QObject):
        """Starts the background loading (and docks the panels) right after the map's
        first paint."""

        def eventFilter(self, obj, ev):  # noqa: N802 - Qt naming
            if ev.type() == QEvent.Type.Paint and "window_paint_s" not in times:
                times["window_paint_s"] = seconds_since_start()
                times.setdefault("first_paint_s", times["window_paint_s"])
                if preview is not None:  # the window has taken its place
                    preview.close()
                QTimer.singleShot(0, window.start_loading)
                # hidden docks: after the paint, one per turn of the event loop
                QTimer.singleShot(0, lambda: window.add_panels(gradually=True))
            return False

    watcher = FirstPaint()
    window.canvas.plot.viewport().installEventFilter(watcher)

    def note_ready() -> None:
        sessions = window.workspace.sessions
        if "ready_s" not in times and sessions and all(s.decoder is not None for s in sessions):
            times["ready_s"] = seconds_since_start()
            if not screenshot:  # the first UMAP map then needs no compiling
                warm_when_loaded()

    def warm_when_loaded() -> None:  # after the loading the user waits for
        if window.is_ready():
            window.warm_up_umap()
        else:
            QTimer.singleShot(500, warm_when_loaded)

    for s in window.workspace.sessions:
        s.decoder_changed.connect(note_ready)
    exit_code = {"code": 0}

    if screenshot:
        deadline = seconds_since_start() + SCREENSHOT_TIMEOUT_S
        staged = {"demo": False}

        def poll() -> None:
            note_ready()
            failed = [s for s in window.workspace.sessions if s.load_error]
            if failed:  # it will never get ready: say why at once, as the window does
                for s in failed:
                    print(f"latent-atlas: error: {s.name}: cannot load the model: "
                          f"{s.load_error}", file=sys.stderr)
                exit_code["code"] = 2
                app.quit()
                return
            if window.headless_errors and not window.workspace.sessions:
                exit_code["code"] = 2  # what was asked for did not open (said already)
                app.quit()
                return
            if not window.is_ready() and (window.workspace.sessions or window.opening()):
                if seconds_since_start() > deadline:
                    print("latent-atlas: error: the window did not get ready in time",
                          file=sys.stderr)
                    exit_code["code"] = 1
                    app.quit()
                    return
                QTimer.singleShot(50, poll)
                return
            if not staged["demo"]:
                demo_scene(window)
                staged["demo"] = True
            app.processEvents()
            if window.panels_busy() and seconds_since_start() < deadline:
                QTimer.singleShot(50, poll)  # a shown panel's job is still computing
                return
            from .screenshot import save_screenshot

            ok = save_screenshot(window, screenshot, [window.canvas])
            if not ok:
                print(f"latent-atlas: error: cannot write {screenshot}", file=sys.stderr)
                exit_code["code"] = 2
            fp = times.get("first_paint_s", float("nan"))
            rd = times.get("ready_s", float("nan"))
            wp = times.get("window_paint_s", float("nan"))
            print(f"first_paint_s={fp:.3f} ready_s={rd:.3f} window_paint_s={wp:.3f}",
                  flush=True)
            app.quit()

        QTimer.singleShot(0, poll)
    rc = app.exec()
    if preview is not None:
        preview.close()
    close_window(window, app)
    collector.stop()
    del watcher, collector
    return exit_code["code"] if screenshot else int(rc)
