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


def run_compare(app, files: list[str], screenshot: str | None, default_paths) -> int:
    """Show the compare window; with `screenshot`, wait for the models, the alignment, the
    gap heatmap (the manifold grid for a 2-D pair) and the metrics, save the window, and quit (exit 2 when the files cannot
    be compared). Without it, a bad pair is a dialog and the window stays open."""
    from PySide6.QtCore import QTimer

    from ..chrome import close_window
    from .window import CompareWindow

    window = CompareWindow(headless=bool(screenshot))
    window.show()
    opened = window.open_pair(list(files) or default_paths(), load=True)
    exit_code = {"code": 0}
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
            failed = [s for s in pair.sessions if s.load_error]
            if failed:  # it will never get ready: say why at once
                print("\n".join(f"latent-atlas: error: {s.name}: cannot load the model: "
                                f"{s.load_error}" for s in failed), file=sys.stderr)
                exit_code["code"] = 2
                app.quit()
                return
            if stage["name"] == "loading":
                if window.is_ready():
                    demo_scene(window)
                    # A 2-D pair shows its manifold grid; a heatmap on top would hide it.
                    window.set_heatmap(not pair.is_latent_pair())
                    window.compute_metrics()
                    stage["name"] = "working"
            elif (stage["name"] == "working" and not pair.jobs.running()
                  and pair.metrics is not None and not window.panels_busy()):
                app.processEvents()
                for c in window.canvases:
                    c.flush()
                from ..screenshot import save_screenshot

                if not save_screenshot(window, screenshot, window.canvases):
                    print(f"latent-atlas: error: cannot write {screenshot}", file=sys.stderr)
                    exit_code["code"] = 2
                print(f"compare_ready_s={seconds_since_start():.3f}", flush=True)
                app.quit()
                return
            QTimer.singleShot(100, poll)

        QTimer.singleShot(0, poll)
    rc = app.exec()
    close_window(window, app)
    return exit_code["code"] if screenshot else int(rc)
