"""The application panels (traversal, denoising, inpainting, anomaly ranking, retrieval)
bound to their Qt-free models (offscreen): each panel shows what its model says, and a
gesture on it calls the model. What the models compute is tested without a display in
tests/session/test_panel_*.py. The bundled digits models as the main window shows them
(the active session), and a pair of models as the compare window shows them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QDockWidget

from latent_atlas.explorer.qt.dispatch import QtDispatcher
from latent_atlas.explorer.qt.panels import (
    AnomalyPanel,
    DenoisePanel,
    InpaintPanel,
    RetrievalPanel,
    TraversalPanel,
)
from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.loading import DataExtras
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.workspace import ShownSessions, Workspace


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
    from latent_atlas.explorer.session.pair import ComparePair

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
    settle(qtbot, panel, jobs)
    return panel


def settle(qtbot, panel, jobs, timeout: int = 60_000) -> None:
    """Run the panel model's pending update, wait for its jobs and show the outcome."""
    panel.flush()
    qtbot.waitUntil(lambda: not jobs.running() and not panel.model.stale, timeout=timeout)
    QApplication.processEvents()


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
def test_traversal_shows_its_models_grid_and_sends_the_controls_to_it(qtbot, main, jobs):
    e = main.session
    panel = make_panel(qtbot, TraversalPanel, main.shown, jobs, width=560)
    m = panel.model
    assert panel.grid.row_count() == 0 and panel.hint.text() == m.result.hint  # nothing yet
    click_map(e, e.latent_map.positions[42])
    settle(qtbot, panel, jobs)
    col = m.result.columns[0]
    assert col.traversal is not None and col.traversal.kl is not None
    assert panel.grid.row_titles() == col.titles
    assert panel.grid.row_count() == e.model.config.latent_dim
    assert all(not s.pixmap().isNull() for s in panel.grid.strips)
    assert panel.header.text() == m.result.header and panel.hint.text() == m.result.hint
    assert panel.sort_kl.isEnabled() and panel.label.isHidden()  # not a conditional model

    panel.sort_kl.setChecked(True)  # each control calls the model
    panel.steps.setValue(9)
    panel.span.setValue(2.0)
    panel.source.setCurrentIndex(panel.source.findData("hovered"))
    assert (m.sort_kl, m.steps, m.span, m.source) == (True, 9, 2.0, "hovered")
    e.set_hover(10)
    settle(qtbot, panel, jobs)
    assert panel.grid.row_titles() == m.result.columns[0].titles
    assert "sample #10" in panel.header.text()

    titles = [panel.direction_a.itemText(k) for k in range(panel.direction_a.count())]
    assert titles == [title for _, title in m.groups] == [str(k) for k in range(10)]
    panel.direction_a.setCurrentIndex(panel.direction_a.findText("1"))
    panel.direction_b.setCurrentIndex(panel.direction_b.findText("3"))
    panel.strength.setValue(-15)
    panel.add_dir.setChecked(True)
    assert (m.direction_a, m.direction_b) == (panel.direction_a.currentData(),
                                              panel.direction_b.currentData())
    assert m.strength == -1.5 and m.add_direction
    settle(qtbot, panel, jobs)
    assert panel.grid.row_titles()[0] == "1 − 3 ×-1.5" == m.result.columns[0].titles[0]
    assert panel.strength_label.text() == "-1.5"

    main.workspace.set_active(0)  # the AE: no KL to sort by
    settle(qtbot, panel, jobs)
    assert not panel.sort_kl.isEnabled()


def test_traversal_offers_a_cvae_its_labels(qtbot, main, jobs, digits):
    from latent_atlas.explorer.core.inference import Decoder, encode
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    cfg = ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 8, 8), latent_dim=3,
                      hidden=(64, 32), n_classes=10, seed=0)
    model = build_model(cfg).eval()
    extras = DataExtras(data=digits, images=digits.images, labels=digits.labels,
                        label_names=list(digits.label_names))
    meta = {"config": cfg.to_dict(), "data_spec": "digits", "label_names": extras.label_names}
    main.add("digits_cvae", meta, quick_map(encode(model, digits.images)), digits.labels, model,
             Decoder(model), extras)
    panel = make_panel(qtbot, TraversalPanel, main.shown, jobs)
    assert not panel.label.isHidden() and panel.label.count() == 1 + 10
    assert [panel.label.itemText(k) for k in range(panel.label.count())] == [
        title for title, _ in panel.model.label_choices]
    panel.label.setCurrentIndex(panel.label.findData(8))
    assert panel.model.label == 8
    # the progression strip: its check box is shown and drives the model; the grid shows
    # the strip as its top row
    assert not panel.sweep_condition.isHidden() and panel.sweep_condition.isChecked()
    click_map(main.session, main.session.latent_map.positions[3])
    settle(qtbot, panel, jobs)
    assert panel.grid.row_titles()[0] == "condition 0 … 9" == panel.model.result.columns[0].titles[0]
    panel.sweep_condition.setChecked(False)
    assert panel.model.sweep_condition is False
    settle(qtbot, panel, jobs)
    assert panel.grid.row_titles()[0] != "condition 0 … 9"


def test_traversal_shows_a_grid_per_model_with_titles(qtbot, pair, jobs):
    ae, vae = pair.sessions
    panel = make_panel(qtbot, TraversalPanel, pair, jobs)
    assert len(panel.grids) == 2 and panel.columns.column_titles() == titles(pair)
    click_map(ae, ae.latent_map.positions[42])
    settle(qtbot, panel, jobs)
    for grid, col in zip(panel.grids, panel.model.result.columns, strict=True):
        assert grid.row_titles() == col.titles and grid.row_count() == len(col.rows)
        assert all(not strip.pixmap().isNull() for strip in grid.strips)
    pair.set([vae])  # one model shown again: one grid, no column titles
    settle(qtbot, panel, jobs)
    assert len(panel.grids) == 1 and panel.columns.column_titles() == []


# ---- denoising ------------------------------------------------------------------------------
def test_denoise_shows_its_models_images_and_sends_the_controls_to_it(qtbot, main, jobs):
    e = main.session
    shown = ShownSessions()  # every open model, the active one first
    shown.set([e] + [s for s in main.workspace.sessions if s is not e])
    panel = make_panel(qtbot, DenoisePanel, shown, jobs, width=520)
    m = panel.model
    assert panel.hint.text() == m.view.hint and panel.noisy.image is None
    click_map(e, e.latent_map.positions[7])
    settle(qtbot, panel, jobs)
    assert panel.picker.number.value() == 7 == m.pick.number
    v = m.view
    assert len(panel.recon_boxes) == 2 == len(v.models)
    assert np.array_equal(panel.noisy.image, v.noisy.image)
    assert panel.noisy.caption.text() == v.noisy.caption
    assert panel.clean.caption.text() == v.clean.caption
    for box, shown_image in zip(panel.recon_boxes, v.models, strict=True):
        assert box.title.text() == shown_image.title
        assert np.array_equal(box.image, shown_image.image)
        assert box.caption.text() == shown_image.caption
    for name, box in panel.baseline_boxes.items():
        assert box.isVisible() and np.array_equal(box.image, v.classic[name].image)
        assert box.caption.text() == v.classic[name].caption
    assert panel.hint.text() == v.hint

    panel.level.setValue(80)  # each control calls the model
    panel.noise.setCurrentIndex(panel.noise.findData("masking"))
    seed = m.seed
    panel.reseed.click()
    assert (m.level, m.noise, m.seed) == (0.8, "masking", seed + 1)
    settle(qtbot, panel, jobs)
    assert panel.level_label.text() == "80 % of pixels" == m.level_text()
    assert np.array_equal(panel.noisy.image, m.view.noisy.image)
    panel.classic.setChecked(False)
    assert not m.classic
    settle(qtbot, panel, jobs)
    assert not any(box.isVisible() for box in panel.baseline_boxes.values())
    assert panel.recon_boxes[0].isVisible()

    panel.picker.number.setValue(12)  # typing a number picks that sample
    assert (m.pick.mode, m.pick.number) == ("number", 12)
    assert panel.picker.mode.currentData() == "number"
    settle(qtbot, panel, jobs)
    assert panel.clean.caption.text().startswith("sample #12")


def test_denoise_titles_each_models_reconstruction(qtbot, pair, jobs):
    panel = make_panel(qtbot, DenoisePanel, pair, jobs)
    panel.picker.set_mode("number")
    panel.picker.number.setValue(7)
    settle(qtbot, panel, jobs)
    assert [b.title.text() for b in panel.recon_boxes] == titles(pair)
    assert not np.array_equal(panel.recon_boxes[0].image, panel.recon_boxes[1].image)


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
    """Run the pending update, then wait for the background fill it started."""
    panel.flush()
    qtbot.waitUntil(lambda: not panel.filling() and not panel.model.stale, timeout=30_000)
    QApplication.processEvents()  # deliver the job's queued result


def test_inpaint_sends_the_mouse_to_its_model_and_shows_the_fill(qtbot, main, jobs):
    panel = make_panel(qtbot, InpaintPanel, main.shown, jobs)
    m = panel.model
    panel.picker.set_mode("number")
    panel.picker.number.setValue(12)
    fill_done(qtbot, panel)
    assert panel.canvas.image is not None and panel.result is None
    _drag_canvas(panel.canvas, (2.5, 1.5), (5.5, 4.5))  # pixel centres: columns 2-5, rows 1-4
    fill_done(qtbot, panel)
    assert m.hole.sum() == 16 and m.hole[1:5, 2:6].all()  # the drag reached the model
    assert m.result is not None
    assert np.array_equal(panel.filled.image, m.view.filled[0])
    assert panel.filled.caption.text() == m.view.captions[0]
    assert np.array_equal(panel.canvas.image, m.view.canvas)
    assert panel.original.caption.text() == m.view.original_caption
    assert panel.hint.text() == m.view.hint

    panel.iterations.setValue(3)
    panel.tool.setCurrentIndex(panel.tool.findData("eraser"))
    panel.radius.setValue(0.0)
    assert (m.iterations, m.tool, m.radius) == (3, "eraser", 0.0)
    _drag_canvas(panel.canvas, (2.5, 1.5), (5.5, 1.5))  # erase the top row of the hole
    fill_done(qtbot, panel)
    assert m.hole.sum() == 12 and m.result.iterations == 3
    panel.clear_button.click()
    fill_done(qtbot, panel)
    assert not m.hole.any() and panel.filled.image is None


def test_inpaint_titles_each_models_fill(qtbot, pair, jobs):
    ae, _vae = pair.sessions
    panel = make_panel(qtbot, InpaintPanel, pair, jobs)
    panel.picker.set_mode("number")
    panel.picker.number.setValue(12)
    hole = np.zeros(ae.images.shape[2:], dtype=bool)
    hole[1:5, 2:6] = True
    panel.set_mask(hole)
    fill_done(qtbot, panel)
    assert [b.title.text() for b in panel.filled_boxes] == [f"filled by {t}" for t in titles(pair)]
    for box, image in zip(panel.filled_boxes, panel.model.view.filled, strict=True):
        assert np.array_equal(box.image, image)


# ---- anomaly ranking ------------------------------------------------------------------------
def test_anomaly_button_runs_the_model_and_a_click_selects_the_sample(qtbot, main, jobs):
    e = main.session
    panel = make_panel(qtbot, AnomalyPanel, main.shown, jobs)
    m = panel.model
    panel.worst.setValue(10)
    panel.metric_combo.setCurrentIndex(panel.metric_combo.findData("mse"))
    assert m.worst == 10 and m.metric == "mse" and panel.rank_button.isEnabled()
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    assert m.running() and panel.rank_button.text() == "Cancel"
    qtbot.waitUntil(lambda: panel.ranking is not None and not m.running(), timeout=60_000)
    settle(qtbot, panel, jobs)
    assert panel.rank_button.text() != "Cancel" and panel.progress.isHidden()
    ids = panel.gallery.sample_indices()
    assert ids == m.columns[0].indices and len(ids) == 10
    assert panel.gallery.item(0).toolTip() == m.columns[0].captions[0].replace("\n", "  ")
    assert panel.hint.text() == m.hint
    click_gallery(qtbot, panel.gallery, 2)
    assert e.hover_index == ids[2]
    assert np.allclose(e.cursor_xy, e.latent_map.positions[ids[2]])


def test_anomaly_a_click_on_either_gallery_rings_both_maps(qtbot, pair, jobs):
    ae, vae = pair.sessions
    panel = make_panel(qtbot, AnomalyPanel, pair, jobs)
    assert panel.columns.column_titles() == titles(pair)
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: None not in panel.model.rankings and len(panel.model.rankings) == 2
                    and not panel.model.running(), timeout=60_000)
    settle(qtbot, panel, jobs)
    for gallery, col in zip(panel.galleries, panel.model.columns, strict=True):
        assert gallery.sample_indices() == col.indices
    ids = panel.galleries[1].sample_indices()
    click_gallery(qtbot, panel.galleries[1], 2)  # one of the VAE's worst...
    for s in pair.sessions:  # ...is ringed on both maps
        assert s.hover_index == ids[2] and s.selected_index == ids[2]
    assert np.allclose(vae.cursor_xy, ae.cursor_xy) and vae.cursor_image is not None


# ---- retrieval ------------------------------------------------------------------------------
def test_retrieval_shows_its_models_neighbours_and_sends_the_controls_to_it(qtbot, main, jobs):
    e = main.session
    panel = make_panel(qtbot, RetrievalPanel, main.shown, jobs)
    m = panel.model
    assert panel.gallery.count() == 0 and panel.hint.text() == m.result.hint
    panel.k.setValue(9)
    panel.metric_combo.setCurrentIndex(panel.metric_combo.findData("cosine"))
    assert m.k == 9 and m.metric == "cosine"
    click_map(e, e.latent_map.positions[100])
    settle(qtbot, panel, jobs)
    assert panel.gallery.sample_indices() == m.result.columns[0].indices
    assert len(panel.gallery.sample_indices()) == 9 and panel.hint.text() == m.result.hint
    panel.query.setCurrentIndex(panel.query.findData("own"))
    assert m.query == "own"
    settle(qtbot, panel, jobs)
    assert panel.gallery.count() == 0 and "Open image" in panel.hint.text()
    panel.query.setCurrentIndex(panel.query.findData("clicked"))
    settle(qtbot, panel, jobs)
    shown = panel.gallery.sample_indices()
    click_gallery(qtbot, panel.gallery, 3)  # selects that sample on the map...
    assert e.hover_index == shown[3]
    settle(qtbot, panel, jobs)  # ...and the gallery follows the model's new search
    assert shown[3] in panel.gallery.sample_indices()


def test_retrieval_titles_one_gallery_per_model(qtbot, pair, jobs):
    ae, vae = pair.sessions
    panel = make_panel(qtbot, RetrievalPanel, pair, jobs)
    click_map(ae, ae.latent_map.positions[100])
    settle(qtbot, panel, jobs)
    assert panel.columns.column_titles() == titles(pair)
    for gallery, col in zip(panel.galleries, panel.model.result.columns, strict=True):
        assert gallery.sample_indices() == col.indices
    pair.set([vae])  # one model shown again: one gallery, no column titles
    settle(qtbot, panel, jobs)
    assert len(panel.galleries) == 1 and panel.columns.column_titles() == []


# ---- the window ------------------------------------------------------------------------------
def test_window_docks_the_panels_with_a_views_menu(qtbot, boxes, monkeypatch):
    from latent_atlas.explorer.core.bundled import default_model_paths
    from latent_atlas.explorer.qt.main_window import MainWindow

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
            "Compression against JPEG", "Codes as features", "Selection", "Factors"]
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
    QApplication.processEvents()
    window.canvas.flush()  # the canvas redraws when the event loop is next idle
    assert window.colour_combo.currentData() == "recon_error"
    assert window.canvas.colour_bar.isVisible()  # a continuous colouring: its scale
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
