"""The application panels (traversal, denoising, inpainting, anomaly ranking, retrieval),
driven through sessions (offscreen): the bundled digits models as the main window shows
them (the active session), and a pair of models as the compare window shows them (two
linked sessions, one result per model)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QDockWidget

from explorer.core.analysis.applications import (
    BASELINES,
    attribute_direction,
    classic_denoise,
    denoise,
    inpaint,
    kl_per_dim,
    nearest_codes,
    parse_direction,
    reconstruction_errors,
    retrieve_sample,
)
from explorer.core.analysis.applications.baselines import BASELINE_TITLES
from explorer.core.analysis.applications.denoise import (
    error_caption,
    psnr_of_mse,
    quality_caption,
)
from explorer.core.io.images import sample_display
from explorer.qt.dispatch import QtDispatcher
from explorer.qt.panels import (
    AnomalyPanel,
    DenoisePanel,
    InpaintPanel,
    RetrievalPanel,
    TraversalPanel,
)
from explorer.session.jobs import Jobs
from explorer.session.loading import DataExtras
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions, Workspace


class MainShown:
    """What the main window wires for its panels: a workspace of sessions, and the shown
    sessions following the active one."""

    def __init__(self):
        self.dispatcher = QtDispatcher()
        self.workspace = Workspace()
        self.shown = ShownSessions()
        self.workspace.active_changed.connect(
            lambda: self.shown.set([self.session] if self.session is not None else []))

    @property
    def session(self) -> Session | None:
        return self.workspace.active

    def add(self, name: str, meta, latent_map, labels, model, decoder, extras: DataExtras,
            path=None) -> Session:
        """What the window does when it opens a model and its background loading finishes."""
        s = Session(name, meta, path=path, latent_map=latent_map, labels=labels,
                    dispatcher=self.dispatcher)
        s.set_model(model, decoder)
        s.set_data(extras)
        self.workspace.add(s)
        return s

    def close(self) -> None:
        self.workspace.close()


@pytest.fixture()
def main(qtbot, runtime):
    """The bundled AE and VAE open as in the main window; the VAE (opened last) is active."""
    m = MainShown()
    for kind in ("ae", "vae"):
        path, mf, latent_map, labels, model, decoder, extras = runtime[kind]
        m.add(path.stem, mf.meta, latent_map, labels, model, decoder, extras, path)
    yield m
    m.close()


@pytest.fixture()
def jobs():
    manager = Jobs(QtDispatcher())
    yield manager
    manager.shutdown()


@pytest.fixture()
def pair(qtbot, model_files):
    """The AE and VAE model files opened and loaded as the compare window holds them: two
    linked sessions on aligned maps, both shown (the AE first)."""
    from explorer.session.pair import ComparePair

    dispatcher = QtDispatcher()
    sessions = [Session.from_file(p, dispatcher) for p in model_files]
    for s in sessions:
        s.start_loading()
    qtbot.waitUntil(lambda: all(s.is_ready() and s.images is not None for s in sessions),
                    timeout=60_000)
    p = ComparePair(sessions[0], sessions[1], dispatcher)
    shown = ShownSessions()
    shown.set(list(p.sessions))
    yield shown
    p.close()


def make_panel(qtbot, cls, shown, jobs, width: int = 460):
    panel = cls(shown, jobs)
    qtbot.addWidget(panel)
    panel.resize(width, 620)
    panel.show()
    qtbot.waitExposed(panel)
    panel.flush()
    return panel


def click_map(session: Session, xy) -> None:
    """What a click on the map does (MapCanvas._on_click in the Explore tool); a session
    linked to this one decodes the same point now too."""
    session.request_decode(np.asarray(xy, np.float32))
    session.flush_decode()
    QApplication.processEvents()


def click_gallery(qtbot, gallery, row: int) -> None:
    rect = gallery.visualItemRect(gallery.item(row))
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def titles(shown: ShownSessions) -> list[str]:
    return [f"{s.kind.upper()} — {s.name}" for s in shown.sessions]


# ---- latent traversal ------------------------------------------------------------------------
def test_traversal_rows_per_dimension_with_kl_for_the_vae(qtbot, main, jobs):
    e = main.session
    assert e.kind == "vae"
    panel = make_panel(qtbot, TraversalPanel, main.shown, jobs)
    assert panel.grid.row_count() == 0  # nothing clicked yet: a hint, no grid
    click_map(e, e.latent_map.positions[42])
    qtbot.waitUntil(lambda: panel.traversal is not None and panel.traversal.kl is not None,
                    timeout=30_000)
    panel.flush()
    d = e.model.config.latent_dim
    assert panel.grid.row_count() == d
    assert all(not s.pixmap().isNull() for s in panel.grid.strips)
    kl = kl_per_dim(e.model, e.images)  # all 1,797 digits: below the panel's sample limit
    assert panel.grid.row_titles() == [f"z{j}  KL {kl[j]:.2f}" for j in range(d)]
    t = panel.traversal
    assert np.allclose(t.code, e.cursor_z)  # swept around the clicked point
    assert t.images.shape[:2] == (d, 7)
    # The most informative dimension changes its decoded images along the row far more
    # than the least informative one (which the VAE switched off).
    change = [np.abs(row.astype(int) - row[3].astype(int)).mean() for row in t.images]
    assert change[int(np.argmax(kl))] > 3 * change[int(np.argmin(kl))]

    panel.sort_kl.setChecked(True)
    panel.flush()
    shown = [float(title.split("KL ")[1]) for title in panel.grid.row_titles()]
    assert len(shown) == d and shown == sorted(shown, reverse=True)

    main.workspace.set_active(0)  # the AE: no KL, a data-scaled sweep
    panel.flush()
    assert panel.grid.row_count() == 0 and "Click" in panel.hint.text()
    click_map(main.session, main.session.latent_map.positions[42])
    panel.flush()
    assert panel.grid.row_titles() == [f"z{j}" for j in range(d)]
    assert panel.traversal.scale == "data" and not panel.sort_kl.isEnabled()


def test_traversal_follows_the_hovered_sample_and_a_cvae_label(qtbot, main, jobs, digits):
    from explorer.core.inference import Decoder, encode
    from explorer.core.latent.map import quick_map
    from models.config import ModelConfig
    from models.networks import build_model

    # Untrained is enough here: its decoder already takes the label as an input.
    cfg = ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 8, 8), latent_dim=3,
                      hidden=(64, 32), n_classes=10, seed=0)
    model = build_model(cfg).eval()
    extras = DataExtras(data=digits, images=digits.images, labels=digits.labels,
                        label_names=list(digits.label_names))
    meta = {"config": cfg.to_dict(), "data_spec": "digits", "label_names": extras.label_names}
    main.add("digits_cvae", meta, quick_map(encode(model, digits.images)), digits.labels, model,
             Decoder(model), extras)
    e = main.session
    panel = make_panel(qtbot, TraversalPanel, main.shown, jobs)
    panel.source.setCurrentIndex(panel.source.findData("hovered"))
    e.set_hover(10)
    panel.flush()
    assert not panel.label.isHidden() and panel.label.count() == 1 + 10
    t = panel.traversal
    assert panel.grid.row_count() == 3
    assert np.allclose(t.code, e.latent_map.codes[10])
    assert t.label == int(digits.labels[10])  # "sample's label" by default
    e.set_hover(None)  # leaving the map keeps the last sample
    panel.flush()
    assert np.allclose(panel.traversal.code, e.latent_map.codes[10])
    grids = {}
    for label in (3, 8):
        panel.label.setCurrentIndex(panel.label.findData(label))
        panel.flush()
        assert panel.traversal.label == label
        grids[label] = panel.traversal.images.copy()
    assert not np.array_equal(grids[3], grids[8])


# ---- denoising ------------------------------------------------------------------------------
def test_denoise_slider_changes_noisy_image_and_errors_for_every_model(qtbot, main, jobs):
    e = main.session
    shown = ShownSessions()  # every open model, the active one first
    shown.set([e] + [s for s in main.workspace.sessions if s is not e])
    panel = make_panel(qtbot, DenoisePanel, shown, jobs)
    assert panel.results == {}
    click_map(e, e.latent_map.positions[7])
    panel.flush()
    assert panel.picker.number.value() == 7
    assert set(panel.results) == {x.name for x in main.workspace.sessions}  # every open model
    assert len(panel.recon_boxes) == 2
    noisy_before = panel.noisy.image.copy()
    captions_before = [panel.noisy.caption.text()] + [b.caption.text() for b in panel.recon_boxes]

    panel.level.setValue(80)
    panel.flush()
    assert panel.level_label.text() == "σ = 0.80"
    assert not np.array_equal(panel.noisy.image, noisy_before)
    captions = [panel.noisy.caption.text()] + [b.caption.text() for b in panel.recon_boxes]
    assert all(a != b for a, b in zip(captions, captions_before, strict=True))
    # The numbers are the core's for the same image, noise, level and seed.
    r = denoise(e.model, e.images[7], "gaussian", 0.8, seed=panel.seed)
    s = r.summary()
    assert np.array_equal(panel.results[e.name].noisy, r.noisy)
    assert panel.noisy.caption.text() == quality_caption(
        s["noisy_mse"], s["noisy_psnr"], s["noisy_ssim"]).replace(" · ", "\n")
    assert panel.recon_boxes[0].caption.text() == quality_caption(
        s["recon_mse"], s["recon_psnr"], s["recon_ssim"]).replace(" · ", "\n")
    assert np.array_equal(panel.recon_boxes[0].image, sample_display(r.reconstruction, [0])[0])

    panel.noise.setCurrentIndex(panel.noise.findData("masking"))
    panel.flush()
    assert panel.level_label.text() == "80 % of pixels"
    noisy = panel.results[e.name].noisy
    assert (noisy == 0).mean() > 0.6



def test_denoise_shows_the_classic_denoisers_on_the_same_noisy_image(qtbot, main, jobs):
    e = main.session
    panel = make_panel(qtbot, DenoisePanel, main.shown, jobs, width=520)
    click_map(e, e.latent_map.positions[12])
    panel.flush()
    assert panel.classic.isChecked() and set(panel.baselines) == set(BASELINES)
    noisy = panel.results[e.name].noisy
    expected = classic_denoise(panel.results[e.name].clean, noisy, BASELINES)
    for name, box in panel.baseline_boxes.items():
        assert box.isVisible() and box.title.text() == BASELINE_TITLES[name]
        b = expected[name]
        np.testing.assert_array_equal(panel.baselines[name].output, b.output)
        assert np.array_equal(box.image, sample_display(b.output, [0])[0])
        err = float(b.mse.mean())
        assert box.caption.text() == quality_caption(
            err, psnr_of_mse(err), float(b.ssim.mean())).replace(" · ", "\n")
    panel.level.setValue(60)
    panel.flush()
    assert not np.array_equal(panel.baselines["median"].output, expected["median"].output)
    panel.classic.setChecked(False)
    panel.flush()
    assert panel.baselines == {}
    assert not any(box.isVisible() for box in panel.baseline_boxes.values())
    assert panel.recon_boxes[0].isVisible()


def test_traversal_adds_a_label_direction_row_with_its_strength(qtbot, main, jobs):
    main.workspace.set_active(0)  # the AE
    e = main.session
    panel = make_panel(qtbot, TraversalPanel, main.shown, jobs, width=560)
    click_map(e, e.latent_map.positions[42])
    panel.flush()
    d = e.model.config.latent_dim
    assert panel.grid.row_count() == d and panel.direction_rows == [None]
    titles = [panel.direction_a.itemText(k) for k in range(panel.direction_a.count())]
    assert titles == [str(k) for k in range(10)]  # the digits' labels
    panel.direction_a.setCurrentIndex(panel.direction_a.findText("1"))
    panel.direction_b.setCurrentIndex(panel.direction_b.findText("3"))
    panel.strength.setValue(-15)
    panel.add_dir.setChecked(True)
    panel.flush()
    assert panel.grid.row_count() == d + 1
    assert panel.grid.row_titles()[0] == "1 − 3 ×-1.5"
    assert not panel.grid.strips[0].pixmap().isNull()
    row = panel.direction_rows[0]
    codes, labels = e.latent_map.codes, e.map_labels()
    v = attribute_direction(codes, *parse_direction("1:3", labels, e.label_names))
    np.testing.assert_allclose(row.direction.vector, v.vector, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(row.strengths, np.linspace(0, -1.5, 7), atol=1e-6)
    np.testing.assert_allclose(row.codes[0], e.cursor_z, atol=1e-6)  # strength 0: the code
    assert np.array_equal(row.images[0], panel.traversal.images[0, 3])  # its own decode
    assert not np.array_equal(row.images[0], row.images[-1])
    assert "mean code of 1 minus that of 3" in panel.header.text()

    panel.strength.setValue(20)
    panel.flush()
    assert panel.grid.row_titles()[0] == "1 − 3 ×+2.0" and panel.strength_label.text() == "+2.0"
    panel.add_dir.setChecked(False)
    panel.flush()
    assert panel.grid.row_count() == d and panel.grid.row_titles()[0] == "z0"

# ---- inpainting -----------------------------------------------------------------------------
def _canvas_pos(canvas, xy) -> QPointF:
    scene = canvas.vb.mapViewToScene(QPointF(float(xy[0]), float(xy[1])))
    return QPointF(canvas.mapFromScene(scene))


def _drag_canvas(canvas, xy0, xy1, steps: int = 8) -> None:
    vp = canvas.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, xy, button, buttons):
        p = _canvas_pos(canvas, xy)
        QApplication.sendEvent(vp, QMouseEvent(kind, p, QPointF(vp.mapToGlobal(p.toPoint())),
                                               button, buttons, Qt.KeyboardModifier.NoModifier))

    send(QEvent.Type.MouseMove, xy0, none, none)
    send(QEvent.Type.MouseButtonPress, xy0, left, left)
    for t in np.linspace(0, 1, steps + 1)[1:]:
        send(QEvent.Type.MouseMove, (1 - t) * np.asarray(xy0) + t * np.asarray(xy1), none, left)
        QApplication.processEvents()
    send(QEvent.Type.MouseButtonRelease, xy1, left, none)
    QApplication.processEvents()


def fill_done(qtbot, panel) -> None:
    """Run the pending refresh, then wait for the background fill it started."""
    panel.flush()
    qtbot.waitUntil(lambda: not panel.filling(), timeout=30_000)
    QApplication.processEvents()  # deliver the job's queued result


def test_inpaint_a_dragged_rectangle_is_filled_and_known_pixels_stay(qtbot, main, jobs):
    e = main.session
    panel = make_panel(qtbot, InpaintPanel, main.shown, jobs)
    panel.picker.set_mode("number")
    panel.picker.number.setValue(12)
    panel.flush()
    assert panel.canvas.image is not None and panel.result is None
    _drag_canvas(panel.canvas, (2.5, 1.5), (5.5, 4.5))  # pixel centres: columns 2-5, rows 1-4
    fill_done(qtbot, panel)
    hole = panel.hole
    assert hole.sum() == 16 and hole[1:5, 2:6].all()
    r = panel.result
    assert r is not None and r.iterations == 10
    original = e.images[12]
    filled = r.filled[0]
    assert np.array_equal(filled[:, ~hole], original[:, ~hole])  # known pixels never change
    assert np.ptp(filled[:, hole]) > 0  # a real fill, not the flat starting value
    direct = inpaint(e.model, original, hole, steps=10)
    assert np.array_equal(filled, direct.filled[0])
    assert np.array_equal(panel.filled.image, sample_display(r.filled, [0])[0])
    shown = panel.canvas.image  # the hole is tinted on the canvas, the rest is the image
    assert shown.ndim == 3 and (shown[hole] != shown[hole][:, :1]).any()
    assert (shown[~hole] == shown[~hole][:, :1]).all()

    panel.iterations.setValue(3)
    fill_done(qtbot, panel)
    assert panel.result.iterations == 3
    panel.tool.setCurrentIndex(panel.tool.findData("eraser"))
    panel.radius.setValue(0.0)
    _drag_canvas(panel.canvas, (2.5, 1.5), (5.5, 1.5))  # erase the top row of the hole
    fill_done(qtbot, panel)
    assert panel.hole.sum() == 12 and not panel.hole[1].any()
    assert np.array_equal(panel.result.mask[0, 0], panel.hole)
    panel.clear_button.click()
    panel.flush()
    assert not panel.hole.any() and panel.result is None


# ---- anomaly ranking ------------------------------------------------------------------------
def test_anomaly_colours_the_map_and_lists_the_worst_first(qtbot, main, jobs):
    e = main.session
    panel = make_panel(qtbot, AnomalyPanel, main.shown, jobs)
    panel.worst.setValue(10)
    assert e.colour_key != "recon_error"
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.ranking is not None, timeout=60_000)
    errors = reconstruction_errors(e.model, e.images)
    assert np.allclose(panel.ranking.errors, errors)
    assert np.allclose(e.recon_error, errors)
    assert e.colour_key == "recon_error"
    col = e.colouring()
    assert col.key == "recon_error" and col.kind == "continuous" and len(col.index) == e.n_points
    assert col.index[int(np.argmax(errors))] == col.n_colours - 1
    assert col.index[int(np.argmin(errors))] == 0
    ids = panel.gallery.sample_indices()
    assert len(ids) == 10 and ids[0] == int(np.argmax(errors))
    assert np.all(np.diff(errors[ids]) <= 0)

    click_gallery(qtbot, panel.gallery, 2)
    assert e.hover_index == ids[2]
    assert np.allclose(e.cursor_xy, e.latent_map.positions[ids[2]])
    assert np.allclose(e.cursor_z, e.latent_map.codes[ids[2]], atol=1e-5)


# ---- retrieval ------------------------------------------------------------------------------
def test_retrieval_shows_the_k_nearest_to_the_clicked_point(qtbot, main, jobs):
    e = main.session
    m = e.latent_map
    panel = make_panel(qtbot, RetrievalPanel, main.shown, jobs)
    assert panel.gallery.count() == 0
    panel.k.setValue(9)
    click_map(e, m.positions[100])
    panel.flush()
    hits = nearest_codes(m.codes, m.inverse(m.positions[100]), 9)
    ids = panel.gallery.sample_indices()
    assert ids == list(hits.indices) and 100 in ids and hits.distances[0] < 1e-4
    # Somewhere else on the map, other neighbours.
    far = int(np.argmax(np.linalg.norm(m.positions - m.positions[100], axis=1)))
    click_map(e, m.positions[far])
    panel.flush()
    assert panel.gallery.sample_indices() == list(nearest_codes(m.codes, m.codes[far], 9).indices)
    assert set(panel.gallery.sample_indices()).isdisjoint(ids)

    panel.query.setCurrentIndex(panel.query.findData("hovered"))
    e.set_hover(5)
    panel.flush()
    assert panel.gallery.sample_indices() == list(retrieve_sample(m.codes, 5, 9).indices)

    panel.query.setCurrentIndex(panel.query.findData("own"))
    panel.flush()
    assert panel.gallery.count() == 0 and "Open image" in panel.hint.text()
    placed = e.place_image("mine.png", e.images[20])  # what File ▸ Open image… does
    panel.flush()
    assert panel.gallery.sample_indices() == list(nearest_codes(m.codes, placed.z, 9).indices)
    assert 20 in panel.gallery.sample_indices() and panel.neighbours.distances[0] < 1e-4

    panel.query.setCurrentIndex(panel.query.findData("clicked"))
    panel.flush()
    shown = panel.gallery.sample_indices()
    click_gallery(qtbot, panel.gallery, 3)  # selects that sample on the map...
    assert e.hover_index == shown[3]
    assert np.allclose(e.cursor_xy, m.positions[shown[3]])
    panel.flush()  # ...and searches around it
    assert shown[3] in panel.gallery.sample_indices() and panel.neighbours.distances[0] < 1e-4


# ---- the window ------------------------------------------------------------------------------
def test_window_docks_the_panels_with_a_views_menu(qtbot, boxes, monkeypatch):
    from explorer.qt.bundled import default_model_paths
    from explorer.qt.main_window import MainWindow

    monkeypatch.setenv("LATENT_ATLAS_SHOW_PANEL", "retrieval")
    w = MainWindow()
    try:
        w.open_paths(default_model_paths(), load=False)
        w.show()
        qtbot.waitExposed(w)
        docks = {d.objectName(): d for d in w.findChildren(QDockWidget)}
        keys = ("traversal", "denoise", "inpaint", "anomaly", "retrieval")
        assert set(docks) >= {f"panel-{k}" for k in keys}
        menus = {a.text().replace("&", ""): a.menu() for a in w.menuBar().actions()}
        assert [a.text() for a in menus["Views"].actions()] == [
            "Latent traversal", "Denoising", "Inpainting", "Anomaly ranking", "Retrieval",
            "Compression against JPEG", "Codes as features"]
        assert docks["panel-retrieval"].isVisible() and docks["panel-retrieval"].widget().live
        assert not docks["panel-traversal"].isVisible()
        assert not docks["panel-traversal"].widget().live  # hidden panels do no work
        menus["Views"].actions()[0].trigger()
        qtbot.waitUntil(lambda: docks["panel-traversal"].widget().live, timeout=60_000)
        assert docks["panel-traversal"].isVisible()
    finally:
        w.shutdown()
        w.close()
        w.deleteLater()
        QApplication.processEvents()


def test_anomaly_ranking_recolours_the_window_map(window, qtbot):
    """In the real window: the map's scatter and colour menu follow the ranking, and a
    gallery click rings the sample on the map."""
    dock = window.panels["anomaly"]
    dock.toggleViewAction().trigger()
    panel = dock.widget()
    qtbot.waitUntil(lambda: panel.live and panel.rank_button.isEnabled(), timeout=60_000)
    points = window.canvas.points
    colours_before = [points.point_colour(i).name() for i in range(points.n_points)]
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.ranking is not None, timeout=60_000)
    window.canvas.flush()  # the canvas redraws when the event loop is next idle
    assert window.colour_combo.currentData() == "recon_error"
    assert window.canvas.legend.isVisible()
    e = window.session
    errors = panel.ranking.errors
    worst, best = int(np.argmax(errors)), int(np.argmin(errors))
    assert points.point_colour(worst) != points.point_colour(best)
    assert [points.point_colour(i).name() for i in range(points.n_points)] != colours_before
    ids = panel.gallery.sample_indices()
    click_gallery(qtbot, panel.gallery, 0)
    assert window.session.hover_index == ids[0] == worst
    xy = (window.canvas.hover_ring.data["x"][0], window.canvas.hover_ring.data["y"][0])
    assert np.allclose(xy, e.latent_map.positions[worst])


# ---- two models side by side (the compare window) --------------------------------------------
def test_traversal_shows_a_grid_per_model_around_the_same_point(qtbot, pair, jobs):
    ae, vae = pair.sessions
    assert (ae.kind, vae.kind) == ("ae", "vae")
    panel = make_panel(qtbot, TraversalPanel, pair, jobs)
    assert len(panel.grids) == 2 and panel.columns.column_titles() == titles(pair)
    assert all(g.row_count() == 0 for g in panel.grids)
    click_map(ae, ae.latent_map.positions[42])
    assert np.allclose(vae.cursor_xy, ae.cursor_xy)  # the linked VAE decodes the same point
    qtbot.waitUntil(lambda: len(panel.traversals) == 2 and panel.traversals[1] is not None
                    and panel.traversals[1].kl is not None, timeout=30_000)
    panel.flush()
    assert panel.traversal is panel.traversals[0]
    for s, grid, t in zip(pair.sessions, panel.grids, panel.traversals, strict=True):
        assert np.allclose(t.code, s.cursor_z)  # each model around its own code of the point
        assert grid.row_count() == s.model.config.latent_dim
        assert all(not strip.pixmap().isNull() for strip in grid.strips)
    d = ae.model.config.latent_dim
    assert panel.grids[0].row_titles() == [f"z{j}" for j in range(d)]  # the AE has no KL
    kl = kl_per_dim(vae.model, vae.images)
    assert panel.grids[1].row_titles() == [f"z{j}  KL {kl[j]:.2f}" for j in range(d)]
    assert panel.sort_kl.isEnabled()

    panel.source.setCurrentIndex(panel.source.findData("hovered"))
    vae.set_hover(10)  # hovering one map hovers the same sample on the other
    panel.flush()
    for s, t in zip(pair.sessions, panel.traversals, strict=True):
        assert np.allclose(t.code, s.latent_map.codes[10])

    pair.set([vae])  # one model shown again: one grid, no column titles
    panel.flush()
    assert len(panel.grids) == 1 and panel.columns.column_titles() == []
    assert np.allclose(panel.traversal.code, vae.latent_map.codes[10])


def test_denoise_shows_each_models_reconstruction_of_the_same_noisy_image(qtbot, pair, jobs):
    ae, vae = pair.sessions
    panel = make_panel(qtbot, DenoisePanel, pair, jobs)
    panel.picker.set_mode("number")
    panel.picker.number.setValue(7)
    panel.flush()
    assert set(panel.results) == {ae.name, vae.name}
    assert [b.title.text() for b in panel.recon_boxes] == titles(pair)
    for s, box in zip(pair.sessions, panel.recon_boxes, strict=True):
        r = denoise(s.model, ae.images[7], "gaussian", 0.3, seed=panel.seed)
        assert np.array_equal(panel.results[s.name].noisy, r.noisy)  # one noisy image for both
        assert np.array_equal(box.image, sample_display(r.reconstruction, [0])[0])
        m = r.summary()
        assert box.caption.text() == quality_caption(m["recon_mse"], m["recon_psnr"],
                                                     m["recon_ssim"]).replace(" · ", "\n")
        assert box.caption.text().startswith(error_caption(m["recon_mse"], m["recon_psnr"])
                                             .replace(" · ", "\n"))
    assert not np.array_equal(panel.recon_boxes[0].image, panel.recon_boxes[1].image)
    assert panel.clean.caption.text().startswith("sample #7")


def test_inpaint_fills_the_same_hole_with_each_model(qtbot, pair, jobs):
    ae, vae = pair.sessions
    panel = make_panel(qtbot, InpaintPanel, pair, jobs)
    panel.picker.set_mode("number")
    panel.picker.number.setValue(12)
    panel.flush()
    assert [b.title.text() for b in panel.filled_boxes] == [f"filled by {t}" for t in titles(pair)]
    hole = np.zeros(ae.images.shape[2:], dtype=bool)
    hole[1:5, 2:6] = True
    panel.set_mask(hole)
    fill_done(qtbot, panel)
    assert len(panel.results) == 2 and panel.result is panel.results[0]
    original = ae.images[12]
    for s, r, box in zip(pair.sessions, panel.results, panel.filled_boxes, strict=True):
        assert np.array_equal(r.filled[0], inpaint(s.model, original, hole, steps=10).filled[0])
        assert np.array_equal(r.filled[0][:, ~hole], original[:, ~hole])
        assert np.array_equal(box.image, sample_display(r.filled, [0])[0])
        assert box.caption.text().startswith("error in the hole")
    assert not np.array_equal(panel.results[0].filled, panel.results[1].filled)
    assert "AE " in panel.hint.text() and "VAE " in panel.hint.text()


def test_anomaly_ranks_each_model_and_a_click_selects_the_sample_on_both_maps(qtbot, pair, jobs):
    ae, vae = pair.sessions
    panel = make_panel(qtbot, AnomalyPanel, pair, jobs)
    assert panel.columns.column_titles() == titles(pair)
    panel.worst.setValue(10)
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    assert panel.running() and panel.rank_button.text() == "Cancel"
    qtbot.waitUntil(lambda: len(panel.rankings) == 2 and None not in panel.rankings,
                    timeout=60_000)
    qtbot.waitUntil(lambda: not panel.running(), timeout=60_000)
    assert panel.ranking is panel.rankings[0]
    for s, r, gallery in zip(pair.sessions, panel.rankings, panel.galleries, strict=True):
        errors = reconstruction_errors(s.model, s.images)
        assert np.allclose(r.errors, errors) and np.allclose(s.recon_error, errors)
        assert s.colour_key == "recon_error" and s.colouring().key == "recon_error"
        ids = gallery.sample_indices()
        assert len(ids) == 10 and ids[0] == int(np.argmax(errors))
    assert panel.galleries[0].sample_indices() != panel.galleries[1].sample_indices()

    ids = panel.galleries[1].sample_indices()
    click_gallery(qtbot, panel.galleries[1], 2)  # one of the VAE's worst...
    for s in pair.sessions:  # ...is ringed on both maps
        assert s.hover_index == ids[2] and s.selected_index == ids[2]
    assert np.allclose(ae.cursor_xy, ae.latent_map.positions[ids[2]])
    assert np.allclose(vae.cursor_xy, ae.cursor_xy)  # the VAE decoded the same point at once
    assert vae.cursor_image is not None


def test_retrieval_searches_each_models_latent_space_for_the_same_query(qtbot, pair, jobs):
    ae, vae = pair.sessions
    panel = make_panel(qtbot, RetrievalPanel, pair, jobs)
    panel.k.setValue(9)
    click_map(ae, ae.latent_map.positions[100])
    panel.flush()
    assert panel.columns.column_titles() == titles(pair)
    assert len(panel.all_neighbours) == 2 and panel.neighbours is panel.all_neighbours[0]
    for s, gallery in zip(pair.sessions, panel.galleries, strict=True):
        hits = nearest_codes(s.latent_map.codes, s.cursor_z, 9)
        assert gallery.sample_indices() == list(hits.indices)
    assert 100 in panel.galleries[0].sample_indices()

    panel.query.setCurrentIndex(panel.query.findData("hovered"))
    vae.set_hover(5)
    panel.flush()
    for s, gallery in zip(pair.sessions, panel.galleries, strict=True):
        assert gallery.sample_indices() == list(retrieve_sample(s.latent_map.codes, 5, 9).indices)
    assert panel.galleries[0].sample_indices() != panel.galleries[1].sample_indices()

    pair.set([vae])  # one model shown again: one gallery, no column titles
    panel.flush()
    assert len(panel.galleries) == 1 and panel.columns.column_titles() == []
    assert panel.gallery.sample_indices() == list(retrieve_sample(vae.latent_map.codes, 5,
                                                                  9).indices)


def test_a_deleted_panel_is_never_called_again(qtbot, main, jobs):
    import shiboken6

    panels = [cls(main.shown, jobs) for cls in (TraversalPanel, DenoisePanel, InpaintPanel,
                                               AnomalyPanel, RetrievalPanel)]
    for panel in panels:
        shiboken6.delete(panel)
    e = main.session
    click_map(e, e.latent_map.positions[3])  # no slot of a deleted widget runs
    e.set_hover(4)
    e.place_image("mine.png", e.images[20])
    main.workspace.set_active(0)
    QApplication.processEvents()
    assert all(not shiboken6.isValid(p) for p in panels)
