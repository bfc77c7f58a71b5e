"""`latent-atlas --compare [FILE FILE] [--screenshot OUT.png]`: open the compare window on
two files (the bundled digits AE and VAE by default)."""

from __future__ import annotations

import sys

import numpy as np

from latent_atlas.explorer.core.proctime import seconds_since_start

SCREENSHOT_TIMEOUT_S = 300.0


def demo_scene(window) -> None:
    """For screenshots: an arrow between two class centres, a decoded point, a selected
    sample, prior samples and the gap heatmap, so every part of the view is in use."""
    pair = window.pair
    left = pair.left
    pos = left.latent_map.positions
    labels = pair.labels
    if labels is not None and len(np.unique(labels)) >= 2:
        classes = np.unique(labels)
        centres = [pos[labels == c].mean(axis=0) for c in classes[:2]]
    else:
        centres = [pos[0], pos[-1]]
    a = int(left.latent_map.nearest_sample(centres[0])[0])
    b = int(left.latent_map.nearest_sample(centres[1])[0])
    left.add_arrow(pos[a], pos[b], tolerance=1e-6)
    left.select(a)
    left.set_hover(b)
    mid = (pos[a] + pos[b]) / 2.0
    left.request_decode(mid + np.array([0.0, 0.15 * (pos[:, 1].max() - pos[:, 1].min())]))
    for s in pair.sessions:
        s.flush_decode()
    window.sample(16)


class ComparePhases:
    """When the user could first see and use each part of the compare view, in seconds
    from process start: `maps_ready_s` (both maps painted and clicks decode), `aligned_s`
    (both maps final and aligned: a map still being fitted, or fitted together on request, has
    landed), `first_metric_s` and
    `all_metrics_s`. Printed with `--screenshot` beside `compare_ready_s`."""

    def __init__(self, window) -> None:
        self.window = window
        self.times: dict[str, float] = {}
        self.painted = False

    def note(self) -> None:
        pair, t = self.window.pair, seconds_since_start()
        if pair is None:
            return
        if self.painted and pair.ready():
            self.times.setdefault("maps_ready_s", t)
            if pair.is_aligned():
                self.times.setdefault("aligned_s", t)
        if pair.metrics is not None:  # the table streams: first look, then each model
            self.times.setdefault("first_metric_s", t)
            if pair.metrics.complete:
                self.times.setdefault("all_metrics_s", t)

    def line(self, compare_ready_s: float) -> str:
        keys = ("maps_ready_s", "aligned_s", "first_metric_s", "all_metrics_s")
        parts = [f"{k}={self.times.get(k, float('nan')):.3f}" for k in keys]
        return " ".join([*parts, f"compare_ready_s={compare_ready_s:.3f}"])


def run_compare(app, files: list[str], screenshot: str | None, default_paths,
                data: str | None = None) -> int:
    """Show the compare window; with `screenshot`, wait for the models, the alignment, the
    gap heatmap (the manifold grid for a 2-D pair) and the metrics, save the window, and quit (exit 2 when the files cannot
    be compared). Without it, a bad pair is a dialog and the window stays open."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    from ..chrome import close_window
    from .window import CompareWindow

    window = CompareWindow(headless=bool(screenshot), defer_panels=True)
    window.source_data = data
    window.show()
    opened = window.open_pair(list(files) or default_paths(), load=False)
    exit_code = {"code": 0}
    phases = ComparePhases(window)

    class FirstPaint(QObject):
        """Loads the models (and docks the hidden panels) right after the maps' first
        paint, as the main window does."""

        def eventFilter(self, obj, ev):  # noqa: N802 - Qt naming
            if ev.type() == QEvent.Type.Paint and not phases.painted:
                phases.painted = True
                QTimer.singleShot(0, window.start_loading)
                QTimer.singleShot(0, lambda: window.add_panels(gradually=True))
                QTimer.singleShot(0, phases.note)
            return False

    watcher = FirstPaint()

    def load_unpainted() -> None:  # a window that is never painted still loads
        if not phases.painted:
            phases.painted = True
            window.start_loading()
            window.add_panels()

    QTimer.singleShot(3000, load_unpainted)
    if opened:
        window.canvases[1].plot.viewport().installEventFilter(watcher)
        for s in window.pair.sessions:
            s.decoder_changed.connect(phases.note)
            s.map_changed.connect(phases.note)
            s.jobs.changed.connect(lambda *_a: phases.note())
        window.pair.jobs.changed.connect(lambda *_a: phases.note())
        window.pair.metrics_changed.connect(phases.note)
    if screenshot:
        if not opened:
            close_window(window, app)
            return 2
        deadline = seconds_since_start() + SCREENSHOT_TIMEOUT_S
        stage = {"name": "loading"}

        def fail(msg: str) -> None:
            print(f"latent-atlas: error: {msg}", file=sys.stderr)
            exit_code["code"] = 1
            app.quit()

        def poll() -> None:
            if seconds_since_start() > deadline:
                return fail("the compare view did not get ready in time")
            pair = window.pair
            if pair is None:  # models of the user's own are still opening, or failed to
                if window.headless_errors and not window.opening():
                    exit_code["code"] = 2
                    app.quit()
                    return
                QTimer.singleShot(50, poll)
                return
            phases.note()
            failed = [s for s in pair.sessions if s.load_error]
            if failed:  # it will never get ready: say why at once
                print("\n".join(f"latent-atlas: error: {s.name}: cannot load the model: "
                                f"{s.load_error}" for s in failed), file=sys.stderr)
                exit_code["code"] = 2
                app.quit()
                return
            if not stage.get("measuring") and window.can_measure():
                # as a user could: the metrics need the models and the images, not the
                # final maps (a pair without maps refines them with UMAP meanwhile)
                window.compute_metrics()
                stage["measuring"] = True
            if stage["name"] == "loading":
                if window.is_ready():
                    demo_scene(window)
                    # A 2-D pair shows its manifold grid; a heatmap on top would hide it.
                    window.set_heatmap(not pair.is_latent_pair())
                    stage["name"] = "working"
            elif (stage["name"] == "working" and not pair.jobs.running()
                  and pair.metrics is not None and pair.metrics.complete
                  and not window.panels_busy()):
                app.processEvents()
                for c in window.canvases:
                    c.flush()
                from ..screenshot import save_screenshot

                if not save_screenshot(window, screenshot, window.canvases):
                    print(f"latent-atlas: error: cannot write {screenshot}", file=sys.stderr)
                    exit_code["code"] = 2
                phases.note()
                print(phases.line(seconds_since_start()), flush=True)
                app.quit()
                return
            QTimer.singleShot(100, poll)

        QTimer.singleShot(0, poll)
    rc = app.exec()
    window.canvases[1].plot.viewport().removeEventFilter(watcher)
    close_window(window, app)
    return exit_code["code"] if screenshot else int(rc)
