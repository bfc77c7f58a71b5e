"""The map as people expect it (issue 22), in both windows: Home, the legend off the
points, lasso and box selection greying the rest, the colour bar, saved views, the
status line's final sentence, shortcuts, Copy as command and accessible names."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import close_window
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication
from qt_helpers import drag


@pytest.fixture()
def cmp(qtbot, model_files, boxes):
    """A shown compare window on the tiny digits pair, models and data loaded."""
    from latent_atlas.explorer.qt.compare import CompareWindow

    w = CompareWindow()
    assert w.open_pair(list(model_files))
    w.show()
    qtbot.waitExposed(w)
    w.start_loading()
    qtbot.waitUntil(w.is_ready, timeout=60_000)
    yield w
    close_window(w)


def _legend_view_rect(canvas):
    item = canvas.legend if canvas.legend.isVisible() else canvas.colour_bar
    scene = item.mapRectToScene(item.boundingRect())
    a = canvas.vb.mapSceneToView(scene.topLeft())
    b = canvas.vb.mapSceneToView(scene.bottomRight())
    return min(a.x(), b.x()), max(a.x(), b.x()), min(a.y(), b.y()), max(a.y(), b.y())


def _points_under(canvas, rect) -> int:
    pos = canvas.session.latent_map.positions
    x0, x1, y0, y1 = rect
    return int(np.sum((pos[:, 0] >= x0) & (pos[:, 0] <= x1)
                      & (pos[:, 1] >= y0) & (pos[:, 1] <= y1)))


def _home_is_good(canvas) -> None:
    canvas.flush()
    QApplication.processEvents()
    assert canvas.data_in_view()
    assert _points_under(canvas, _legend_view_rect(canvas)) == 0


def test_home_brings_the_data_back_with_the_legend_off_the_points(window):
    c = window.canvas
    _home_is_good(c)  # the window opens framed that way
    c.vb.scaleBy((200.0, 200.0))  # zoomed far out: the map is a dot
    c.vb.translateBy(x=1e4)
    assert not c.data_in_view()
    window.map_actions.home.trigger()
    _home_is_good(c)
    assert window.map_actions.home in window.toolbar.actions()
    assert window.map_actions.home.shortcut().toString() == "Home"


def test_compare_maps_share_one_frame_and_home(cmp):
    a, b = cmp.canvases
    _home_is_good(a)
    a.vb.scaleBy((50.0, 50.0))
    cmp.map_actions.home.trigger()
    _home_is_good(a)
    assert a.visible_rect() == pytest.approx(b.visible_rect())
    both = cmp._shared_frame()
    for s in cmp.sessions():  # the frame holds both maps' points
        x0, x1, y0, y1 = s.latent_map.bounds()
        assert both[0] <= x0 and both[1] >= x1 and both[2] <= y0 and both[3] >= y1


def test_lasso_and_box_select_shift_adds_alt_removes_the_rest_greyed(window):
    s, c = window.session, window.canvas
    window.tool_actions["lasso"].trigger()
    x0, x1, y0, y1 = s.latent_map.bounds()
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    # A lasso around the lower-left quarter (drawn as a drag along its outline).
    ex, ey = 0.01 * (x1 - x0), 0.01 * (y1 - y0)  # just outside the data, inside the view
    corners = [(x0 - ex, y0 - ey), (xm, y0 - ey), (xm, ym), (x0 - ex, ym)]
    _lasso(window, corners)
    pos = s.latent_map.positions
    quarter = np.flatnonzero((pos[:, 0] <= xm) & (pos[:, 1] <= ym))
    assert len(s.selection) >= 0.9 * len(quarter) and len(s.selection) > 0
    near = np.flatnonzero((pos[:, 0] <= xm + 2 * ex) & (pos[:, 1] <= ym + 2 * ey))
    assert set(s.selection.tolist()) <= set(near.tolist())
    c.flush()
    grey = len(c.points.colours) - 1
    unselected = np.setdiff1d(np.arange(s.n_points), s.selection)
    assert np.all(c.points.index[unselected] == grey)  # greyed, still drawn
    first = len(s.selection)
    window.tool_actions["box"].trigger()
    corner = (x1 + ex, y1 + ey)
    drag(window, (xm, ym), corner, modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert len(s.selection) > first  # Shift adds
    drag(window, (xm, ym), corner, modifiers=Qt.KeyboardModifier.AltModifier)
    assert len(s.selection) <= first  # Alt removes
    assert not s.arrows  # Shift+drag in the box tool did not draw an arrow
    window.map_actions.clear.trigger()
    assert len(s.selection) == 0


def _lasso(window, corners) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent
    from qt_helpers import to_viewport

    vp = window.canvas.plot.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    path = [*corners, corners[0]]
    pts = []
    for a, b in zip(path[:-1], path[1:], strict=True):
        pts += [tuple(np.asarray(a) + t * (np.asarray(b) - np.asarray(a)))
                for t in np.linspace(0, 1, 6)[:-1]]
    pts.append(path[-1])

    def send(kind, xy, button, buttons):
        p = to_viewport(window, xy)
        ev = QMouseEvent(kind, QPointF(p), QPointF(vp.mapToGlobal(p.toPoint())), button,
                         buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)

    send(QEvent.Type.MouseMove, pts[0], none, none)
    send(QEvent.Type.MouseButtonPress, pts[0], left, left)
    for xy in pts[1:]:
        send(QEvent.Type.MouseMove, xy, none, left)
        QApplication.processEvents()
    send(QEvent.Type.MouseButtonRelease, pts[-1], left, none)
    QApplication.processEvents()


def test_compare_maps_mirror_the_selection(cmp):
    left, right = cmp.sessions()
    left.selection = [3, 4, 5]
    assert right.selection.tolist() == [3, 4, 5]
    cmp.canvases[1].flush()
    assert cmp.canvases[1].points.index[0] == len(cmp.canvases[1].points.colours) - 1


def test_a_continuous_colouring_has_a_colour_bar_with_values(window):
    s, c = window.session, window.canvas
    s.set_colour_key("latent_norm")
    c.flush()
    col = s.colouring()
    assert c.colour_bar.isVisible() and not c.legend.isVisible()
    ticks = c.colour_bar.tick_texts()
    assert ticks[0] == f"{col.vmin:.3g}" and ticks[-1] == f"{col.vmax:.3g}"
    window.map_actions.home.trigger()
    _home_is_good(c)  # the bar is kept off the points too
    s.set_colour_key("label")
    c.flush()
    assert c.legend.isVisible() and not c.colour_bar.isVisible()


def test_save_view_and_open_it_again(window, tmp_path, qtbot, boxes):
    from latent_atlas.explorer.qt.main_window import MainWindow

    s = window.session
    s.set_colour_key("latent_norm")
    s.selection = [1, 2, 30]
    x0, x1, y0, y1 = s.latent_map.bounds()
    s.add_arrow((x0, y0), (x1, y1))
    window.canvas.vb.setRange(xRange=(x0, (x0 + x1) / 2), yRange=(y0, (y0 + y1) / 2),
                              padding=0)
    rect = window.canvas.visible_rect()
    path = tmp_path / "view.json"
    assert window.map_actions.save_view_to(str(path))
    w2 = MainWindow()
    try:
        w2.show()
        qtbot.waitExposed(w2)
        assert w2.open_paths([str(path)]) == len(window.workspace.sessions)
        s2 = w2.session
        assert s2.name == s.name and s2.selection.tolist() == [1, 2, 30]
        assert s2.colour_key == "latent_norm" and len(s2.arrows) == 1
        assert w2.canvas.visible_rect() == pytest.approx(rect, rel=1e-3, abs=1e-3)
        path.write_text("{not json")
        assert w2.open_paths([str(path)]) == 0
        assert boxes.calls and "view" in boxes.calls[-1][0].lower()
    finally:
        close_window(w2)


def test_status_line_says_when_a_job_failed(window, qtbot):
    s = window.session

    def fails(_cancel):
        raise ValueError("the folder is empty")

    job = s.jobs.start("data", fails)
    job.start()
    window.show_message(f"{s.name}: loading data 'folder:/somewhere'…")
    qtbot.waitUntil(lambda: job.settled, timeout=30_000)
    assert window.status_label.text() == (f"{s.name}: loading the data failed: the folder "
                                          "is empty")


def test_shortcuts_copy_as_command_and_accessible_names(window, cmp):
    rows = dict(window.map_actions.shortcut_rows())
    for key in ("Home", "L", "B", "E", "A", "P"):
        assert key in rows
    s = window.session
    s.request_decode(s.latent_map.positions[3])
    s.flush_decode()
    text = window.map_actions.copy_as_command()
    assert text.startswith("latent-atlas decode ") and "--xy" in text
    assert QApplication.clipboard().text() == text
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QSlider,
        QWidget,
    )

    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QSlider)
    for w in (window, cmp):
        unnamed = [type(c).__name__ for c in w.findChildren(QWidget)
                   if isinstance(c, kinds) and not c.accessibleName()]
        assert not unnamed, unnamed


def test_thumbnails_when_zoomed_in_to_a_few_hundred_points(window):
    s, c = window.session, window.canvas
    c.flush()
    c.plot.grab()
    assert c.thumbs.drawn == 0  # all 1,797 in view: dots only
    pos = np.asarray(s.latent_map.positions, np.float64)
    cx, cy = (float(v) for v in pos[0])
    d = np.sort(np.abs(pos - pos[0]).max(axis=1))
    half = max(float(d[150]), 1e-3)  # a square holding about 150 points
    c.vb.setRange(xRange=(cx - half, cx + half), yRange=(cy - half, cy + half), padding=0)
    c.flush()
    c.plot.grab()
    assert 0 < c.thumbs.drawn <= 300
    window.map_actions.thumbnails.trigger()  # the toggle: off
    c.plot.grab()
    assert c.thumbs.drawn == 0


def test_strip_rows_give_the_images_their_height(window):
    s = window.session
    x0, x1, y0, y1 = s.latent_map.bounds()
    s.add_arrow((x0, y0), (x1, y1))
    QApplication.processEvents()
    for box in (window.strip_panel.decoded_row, window.strip_panel.fade_row):
        assert box.image is not None
        assert not box.caption.isVisible()  # no empty caption line under the images
        assert box.view.height() >= 0.85 * box.height()
        (_x0, _x1), (ya, yb) = box.vb.viewRange()
        h = box.image.shape[0]
        assert (yb - ya) <= 1.05 * h or (box.vb.viewRange()[0][1] - box.vb.viewRange()[0][0]
                                          ) <= 1.05 * box.image.shape[1]  # fills one side
