"""A bounded random walk through the window: clicks, drags, keys, arrows, tools, files."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from qt_helpers import click, drag

KEYS = [Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_E, Qt.Key.Key_A, Qt.Key.Key_P,
        Qt.Key.Key_Escape, Qt.Key.Key_Space, Qt.Key.Key_Left]


def _check_consistent(window) -> None:
    ws = window.workspace
    e = window.session
    assert e is not None and e.latent_map is not None
    window.canvas.flush()
    assert window.canvas.points.n_points == e.n_points
    if e.selected_arrow is not None:
        assert 0 <= e.selected_arrow < len(e.arrows)
    for a in e.arrows:
        assert a.frames is not None and len(a.frames) == e.steps
        assert a.trace.shape == (e.steps, 2) and np.isfinite(a.trace).all()
    if e.cursor_xy is not None:
        assert np.isfinite(e.cursor_xy).all()
    assert ws.tools.tool in ("explore", "arrow", "pan")
    assert window.model_combo.count() == len(ws.sessions)


def test_random_session(window, qtbot, boxes, tmp_path, model_files):
    from PIL import Image

    rng = np.random.default_rng(1234)
    good_image = tmp_path / "good.png"
    Image.fromarray(rng.integers(0, 255, (30, 20, 3), dtype=np.uint8)).save(good_image)
    bad_model = tmp_path / "bad.safetensors"
    bad_model.write_bytes(b"{}" * 40)
    bad_image = tmp_path / "bad.jpg"
    bad_image.write_bytes(b"\xff\xd8 truncated")
    files = [str(good_image), str(bad_model), str(bad_image), model_files[0],
             str(tmp_path / "missing.safetensors")]
    ws = window.workspace

    def random_point():
        xmin, xmax, ymin, ymax = window.session.latent_map.bounds()
        w, h = xmax - xmin, ymax - ymin
        return np.array([rng.uniform(xmin - 0.1 * w, xmax + 0.1 * w),
                         rng.uniform(ymin - 0.1 * h, ymax + 0.1 * h)], np.float32)

    for _step in range(120):
        action = rng.integers(0, 10)
        if action == 0:
            click(window, random_point())
        elif action == 1:
            mods = Qt.KeyboardModifier.ShiftModifier if rng.random() < 0.3 else Qt.KeyboardModifier.NoModifier
            drag(window, random_point(), random_point(), steps=int(rng.integers(3, 8)), modifiers=mods)
        elif action == 2:
            qtbot.keyClick(window.canvas.plot, KEYS[rng.integers(len(KEYS))])
        elif action == 3:
            ws.tools.set_tool(["explore", "arrow", "pan"][rng.integers(3)])
        elif action == 4:
            window.session.set_steps(int(rng.integers(2, 65)))
        elif action == 5:
            window.session.set_mode(["lerp", "slerp"][rng.integers(2)])
        elif action == 6:
            window.open_paths([files[rng.integers(len(files))]])
        elif action == 7:
            ws.set_active(int(rng.integers(len(ws.sessions))))
            qtbot.waitUntil(lambda: window.session.decoder is not None, timeout=60_000)
        elif action == 8:
            choices = [k for k, _ in window.session.colour_choices()]
            window.session.set_colour_key(choices[rng.integers(len(choices))])
        else:
            window.session.hover_at(random_point(), tolerance=0.5)
        QApplication.processEvents()
        _check_consistent(window)
    # every bad file produced a dialog, never an exception
    assert all(title and text for title, text in boxes.calls)
