"""The map canvas at 100,000 points: it opens, recolours, picks the nearest point and
switches between the density raster (zoomed out) and the points (zoomed in)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from qt_helpers import _send, click, to_viewport

from latent_atlas.explorer.core.latent.map import LatentMap
from latent_atlas.explorer.qt.canvas import HOVER_PX, MapCanvas
from latent_atlas.explorer.qt.map_points import POINTS_MAX
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.workspace import Tools

N = 100_000


@pytest.fixture(scope="module")
def cloud():
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 6.0, (10, 2))
    labels = rng.integers(0, 10, N)
    pos = (centres[labels] + rng.normal(0.0, 1.0, (N, 2))).astype(np.float32)
    value = np.linalg.norm(pos - centres[labels], axis=1).astype(np.float32)
    return pos, labels, value


@pytest.fixture
def canvas(qtbot, cloud):
    pos, labels, value = cloud
    m = LatentMap("identity", pos.copy(), pos)
    s = Session("big", {}, latent_map=m, labels=labels,
                label_names=[f"class {i}" for i in range(10)])
    s.recon_error = value
    c = MapCanvas(Tools(), s)
    qtbot.addWidget(c)
    c.resize(800, 600)
    c.show()
    qtbot.waitExposed(c)
    c.flush()
    yield c
    c.set_session(None)
    s.close()


def pixels(c) -> np.ndarray:
    img = c.plot.grab().toImage()
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8, img.sizeInBytes()).copy()


def zoom(c, centre, half):
    c.vb.setRange(xRange=(float(centre[0] - half), float(centre[0] + half)),
                  yRange=(float(centre[1] - half), float(centre[1] + half)), padding=0)
    c.flush()
    c.plot.grab()


def test_opens_as_a_density_raster_with_its_legend(canvas):
    assert canvas.points.n_points == N
    assert np.array_equal(canvas.points.positions, canvas.session.latent_map.positions)
    assert canvas.points.mode == "density"
    pixels(canvas)
    assert canvas.points.drawn > 0  # raster pixels painted
    legend = [item[1].text for item in canvas.legend.items]
    assert legend == [f"class {i}" for i in range(10)]


def test_recolour_changes_the_picture_and_the_legend(canvas, cloud):
    _pos, _labels, value = cloud
    before = pixels(canvas)
    canvas.session.set_colour_key("recon_error")
    canvas.flush()
    after = pixels(canvas)
    assert not np.array_equal(before, after)
    assert canvas.points.kind == "continuous"
    lo, hi = int(np.argmin(value)), int(np.argmax(value))
    assert canvas.points.point_colour(lo) != canvas.points.point_colour(hi)
    assert canvas.legend.isVisible() and len(canvas.legend.items) == 5


def test_zooming_in_draws_points_and_zooming_out_the_raster(canvas, cloud):
    pos, labels, _value = cloud
    zoom(canvas, pos[0], 1.0)
    assert canvas.points.mode == "points"
    assert 0 < canvas.points.drawn <= POINTS_MAX
    in_view = np.count_nonzero((np.abs(pos - pos[0]) <= 1.0).all(axis=1))
    # every point in view is drawn (a few more at the border: a dot pokes in)
    assert in_view <= canvas.points.drawn <= in_view * 1.1 + 50
    # a recolour while zoomed in regroups the points shown
    canvas.session.set_colour_key("recon_error")
    canvas.flush()
    canvas.plot.grab()
    assert canvas.points.mode == "points" and canvas.points.drawn >= in_view
    x0, x1, y0, y1 = canvas.session.latent_map.bounds()
    canvas.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.05)
    canvas.flush()
    canvas.plot.grab()
    assert canvas.points.mode == "density"


def test_hover_and_click_pick_the_nearest_point(canvas, cloud, qtbot):
    pos, _labels, _value = cloud
    s = canvas.session
    window = SimpleNamespace(canvas=canvas)
    zoom(canvas, pos[123], 0.5)
    target = pos[123] + np.float32(0.3) * HOVER_PX * canvas.pixel_size()
    d = np.linalg.norm(pos.astype(np.float64) - target, axis=1)
    want = int(np.argmin(d))
    assert d[want] <= HOVER_PX * canvas.pixel_size()
    p = to_viewport(window, target)
    _send(window, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: s.hover_index is not None)
    # the event lands on a whole pixel: the nearest point to where it landed
    landed = canvas.vb.mapSceneToView(canvas.plot.mapToScene(p.toPoint()))
    q = np.array([landed.x(), landed.y()])
    assert s.hover_index == int(np.argmin(np.linalg.norm(pos.astype(np.float64) - q, axis=1)))
    x, y = canvas.hover_ring.getData()
    assert np.allclose([x[0], y[0]], pos[s.hover_index])
    click(window, target)
    assert s.selected_index == s.hover_index
    # far from every point: nothing is hovered
    empty = np.array([pos[:, 0].max() + 50, pos[:, 1].max() + 50])
    assert s.nearest(empty, HOVER_PX * canvas.pixel_size()) is None
