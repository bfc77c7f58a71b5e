"""What a user sees 1, 2 and 3 seconds after starting the app (issue 24): runs the app as
`latent-atlas` does and saves every window it shows at those moments, counted from
process start.

    python benchmarks/timed_screenshots.py OUT_DIR [--compare] [--at 1,2,3] [FILE ...]

Writes OUT_DIR/main_1s.png ... (or compare_1s.png ...) and prints `shot_<t>s=<path>` and
the second each was really taken (a grab waits for the event loop: a late one means the
loop was busy). Rendered offscreen unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--at", default="1,2,3")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    moments = sorted(float(t) for t in args.at.split(","))
    from PySide6.QtCore import QTimer

    from latent_atlas.explorer.core.proctime import seconds_since_start
    from latent_atlas.explorer.qt.app import qt_app, run_app
    from latent_atlas.explorer.qt.startup_preview import StartupPreview

    app = qt_app(plots=False)  # as the program starts: the preview paints before pyqtgraph
    name = "compare" if args.compare else "main"

    def shoot(t: float) -> None:
        # the start-up preview too, while it is shown (it takes no clicks: never ready)
        windows = [w for w in app.topLevelWidgets() if w.isVisible()
                   and (hasattr(w, "is_ready") or isinstance(w, StartupPreview))]
        for i, w in enumerate(windows):
            path = out / f"{name}_{t:g}s{'' if i == 0 else f'_{i}'}.png"
            w.grab().save(str(path), "PNG")
            ready = "preview" if isinstance(w, StartupPreview) else w.is_ready()
            print(f"shot_{t:g}s={path} (taken at {seconds_since_start():.2f} s; window ready: "
                  f"{ready})", flush=True)
        if t == moments[-1]:
            app.quit()

    for t in moments:
        QTimer.singleShot(max(0, int((t - seconds_since_start()) * 1000)), lambda t=t: shoot(t))
    run_app(files=args.files, compare=args.compare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
