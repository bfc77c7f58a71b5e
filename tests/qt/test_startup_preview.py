"""The start-up preview window: painted with PySide6 alone, before the main window (issue 24)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from latent_atlas.explorer.session.preview import MapPreview


def test_the_preview_paints_before_pyqtgraph_or_torch_is_imported(tmp_path):
    """What the first paint costs: PySide6 and numpy, never the plotting library or torch."""
    code = (
        "import sys\n"
        "from latent_atlas.explorer.qt.app import qt_app, show_preview\n"
        "from latent_atlas.explorer.core.bundled import default_model_paths\n"
        "times = {}\n"
        "preview = show_preview(qt_app(plots=False), default_model_paths(), times)\n"
        "assert preview is not None and 'first_paint_s' in times, times\n"
        "heavy = sorted(m for m in ('pyqtgraph', 'torch', 'sklearn', 'scipy') if m in sys.modules)\n"
        "print('heavy=' + ','.join(heavy))\n"
    )
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "heavy=\n" in proc.stdout, proc.stdout


@pytest.mark.parametrize("size", [(1280, 860), (300, 200)])
def test_the_preview_window_draws_each_point_in_its_colour(qapp, size):
    from latent_atlas.explorer.qt.startup_preview import BACKGROUND, StartupPreview

    colours = np.array([[230, 159, 0], [86, 180, 233]], np.uint8)
    shown = MapPreview("m", np.array([[0.0, 0.0], [1.0, 1.0]]), colours)
    painted = []
    widget = StartupPreview(shown, on_paint=lambda: painted.append(1))
    widget.resize(*size)
    image = widget.grab().toImage()
    assert painted
    area = widget.map_area()
    xy = shown.fitted(area.width(), area.height(), margin=24.0)
    xy[:, 1] += area.top()
    for (x, y), rgb in zip(xy, colours, strict=True):
        c = image.pixelColor(int(round(x)), int(round(y)))
        assert (c.red(), c.green(), c.blue()) == tuple(int(v) for v in rgb)
    mid = image.pixelColor(int(area.center().x()), int(area.center().y()))
    assert mid.name() == BACKGROUND
    widget.close()
