"""The application panels (traversal, denoising, inpainting, anomaly ranking, retrieval),
driven through the window's state object with the bundled digits models (offscreen)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QDockWidget

from explorer.core.analysis.applications import (
    denoise,
    inpaint,
    kl_per_dim,
    nearest_codes,
    reconstruction_errors,
    retrieve_sample,
)
from explorer.core.analysis.applications.denoise import error_caption
from explorer.core.io.images import sample_display
from explorer.qt.app import RESOURCES
from explorer.qt.panels import (
    AnomalyPanel,
    DenoisePanel,
    InpaintPanel,
    RetrievalPanel,
    TraversalPanel,
)
from explorer.qt.state import AtlasState, ModelEntry
from explorer.qt.workers import JobManager

BUNDLED = {kind: RESOURCES / "models" / f"digits_{kind}.safetensors" for kind in ("ae", "vae")}


@pytest.fixture(scope="module")
def runtime():
    """Each bundled model read, built and given its data once for the whole module."""
    from explorer.qt.tasks import build_runtime, dataset_extras, read_entry_parts

    if not all(p.exists() for p in BUNDLED.values()):
        pytest.skip("the bundled digits models are missing (resources/models/make_bundled.sh)")
    out = {}
    for kind, path in BUNDLED.items():
        mf, latent_map, labels = read_entry_parts(path)
        model, decoder = build_runtime(mf)
        extras = dataset_extras(decoder, mf.meta["data_spec"], latent_map.n_points)
        out[kind] = (path, mf, latent_map, labels, model, decoder, extras)
    return out


def add_entry(state: AtlasState, name: str, meta, latent_map, labels, model, decoder, extras,
              path=None) -> ModelEntry:
    """What the window does when it opens a model and its background loading finishes."""
    entry = ModelEntry(name=name, meta=meta, path=path, latent_map=latent_map, labels=labels,
                       label_names=list(meta.get("label_names") or []))
    state.add_entry(entry)
    state.set_model(entry, model, decoder)
    state.set_data(entry, extras["images"], extras["labels"], extras["label_names"],
                   extras["factors"], extras["reconstructions"], extras["recon_error"])
    return entry


@pytest.fixture()
def state(qtbot, runtime):
    """A window state with the bundled AE and VAE open; the VAE (opened last) is active."""
    s = AtlasState()
    for kind in ("ae", "vae"):
        path, mf, latent_map, labels, model, decoder, extras = runtime[kind]
        add_entry(s, path.stem, mf.meta, latent_map, labels, model, decoder, extras, path)
    return s


@pytest.fixture()
def jobs():
    manager = JobManager()
    yield manager
    manager.shutdown()


def make_panel(qtbot, cls, state, jobs):
    panel = cls(state, jobs)
    qtbot.addWidget(panel)
    panel.resize(460, 620)
    panel.show()
    qtbot.waitExposed(panel)
    panel.flush()
    return panel


def click_map(state: AtlasState, xy) -> None:
    """What a click on the map does (MapView._on_click in the Explore tool)."""
    state.request_decode(np.asarray(xy, np.float32))
    state.flush_decode()


def click_gallery(qtbot, gallery, row: int) -> None:
    rect = gallery.visualItemRect(gallery.item(row))
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# ---- latent traversal ------------------------------------------------------------------------
def test_traversal_rows_per_dimension_with_kl_for_the_vae(qtbot, state, jobs):
    e = state.active
    assert e.kind == "vae"
    panel = make_panel(qtbot, TraversalPanel, state, jobs)
    assert panel.grid.row_count() == 0  # nothing clicked yet: a hint, no grid
    click_map(state, e.latent_map.positions[42])
    qtbot.waitUntil(lambda: panel.traversal is not None and panel.traversal.kl is not None,
                    timeout=30_000)
    panel.flush()
    d = e.model.config.latent_dim
    assert panel.grid.row_count() == d
    assert all(not s.pixmap().isNull() for s in panel.grid.strips)
    kl = kl_per_dim(e.model, e.images)  # all 1,797 digits: below the panel's sample limit
    assert panel.grid.row_titles() == [f"z{j}  KL {kl[j]:.2f}" for j in range(d)]
    t = panel.traversal
    assert np.allclose(t.code, state.cursor_z)  # swept around the clicked point
    assert t.images.shape[:2] == (d, 7)
    # The most informative dimension changes its decoded images along the row far more
    # than the least informative one (which the VAE switched off).
    change = [np.abs(row.astype(int) - row[3].astype(int)).mean() for row in t.images]
    assert change[int(np.argmax(kl))] > 3 * change[int(np.argmin(kl))]

    panel.sort_kl.setChecked(True)
    panel.flush()
    shown = [float(title.split("KL ")[1]) for title in panel.grid.row_titles()]
    assert len(shown) == d and shown == sorted(shown, reverse=True)

    state.set_active(0)  # the AE: no KL, a data-scaled sweep
    panel.flush()
    assert panel.grid.row_count() == 0 and "Click" in panel.hint.text()
    click_map(state, state.active.latent_map.positions[42])
    panel.flush()
    assert panel.grid.row_titles() == [f"z{j}" for j in range(d)]
    assert panel.traversal.scale == "data" and not panel.sort_kl.isEnabled()


def test_traversal_follows_the_hovered_sample_and_a_cvae_label(qtbot, state, jobs, digits):
    from explorer.core.inference import Decoder, encode
    from explorer.core.latent.map import quick_map
    from models.config import ModelConfig
    from models.networks import build_model

    # Untrained is enough here: its decoder already takes the label as an input.
    cfg = ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 8, 8), latent_dim=3,
                      hidden=(64, 32), n_classes=10, seed=0)
    model = build_model(cfg).eval()
    extras = {"images": digits.images, "labels": digits.labels,
              "label_names": list(digits.label_names), "factors": {}, "reconstructions": None,
              "recon_error": None}
    meta = {"config": cfg.to_dict(), "data_spec": "digits", "label_names": extras["label_names"]}
    add_entry(state, "digits_cvae", meta, quick_map(encode(model, digits.images)),
              digits.labels, model, Decoder(model), extras)
    e = state.active
    panel = make_panel(qtbot, TraversalPanel, state, jobs)
    panel.source.setCurrentIndex(panel.source.findData("hovered"))
    state.set_hover(10)
    panel.flush()
    assert not panel.label.isHidden() and panel.label.count() == 1 + 10
    t = panel.traversal
    assert panel.grid.row_count() == 3
    assert np.allclose(t.code, e.latent_map.codes[10])
    assert t.label == int(digits.labels[10])  # "sample's label" by default
    state.set_hover(None)  # leaving the map keeps the last sample
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
def test_denoise_slider_changes_noisy_image_and_errors_for_every_model(qtbot, state, jobs):
    e = state.active
    panel = make_panel(qtbot, DenoisePanel, state, jobs)
    assert panel.results == {}
    click_map(state, e.latent_map.positions[7])
    panel.flush()
    assert panel.picker.number.value() == 7
    assert set(panel.results) == {x.name for x in state.entries}  # every open model
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
    assert panel.noisy.caption.text() == error_caption(s["noisy_mse"], s["noisy_psnr"]).replace(
        " · ", "\n")
    assert panel.recon_boxes[0].caption.text() == error_caption(
        s["recon_mse"], s["recon_psnr"]).replace(" · ", "\n")
    assert np.array_equal(panel.recon_boxes[0].image, sample_display(r.reconstruction, [0])[0])

    panel.noise.setCurrentIndex(panel.noise.findData("masking"))
    panel.flush()
    assert panel.level_label.text() == "80 % of pixels"
    noisy = panel.results[e.name].noisy
    assert (noisy == 0).mean() > 0.6


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


def test_inpaint_a_dragged_rectangle_is_filled_and_known_pixels_stay(qtbot, state, jobs):
    e = state.active
    panel = make_panel(qtbot, InpaintPanel, state, jobs)
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
def test_anomaly_colours_the_map_and_lists_the_worst_first(qtbot, state, jobs):
    e = state.active
    panel = make_panel(qtbot, AnomalyPanel, state, jobs)
    panel.worst.setValue(10)
    assert state.colour_key != "recon_error"
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.ranking is not None, timeout=60_000)
    errors = reconstruction_errors(e.model, e.images)
    assert np.allclose(panel.ranking.errors, errors)
    assert np.allclose(e.recon_error, errors)
    assert state.colour_key == "recon_error"
    col = state.colouring()
    assert col.key == "recon_error" and col.kind == "continuous" and len(col.index) == e.n_points
    assert col.index[int(np.argmax(errors))] == col.n_colours - 1
    assert col.index[int(np.argmin(errors))] == 0
    ids = panel.gallery.sample_indices()
    assert len(ids) == 10 and ids[0] == int(np.argmax(errors))
    assert np.all(np.diff(errors[ids]) <= 0)

    click_gallery(qtbot, panel.gallery, 2)
    assert state.hover_index == ids[2]
    assert np.allclose(state.cursor_xy, e.latent_map.positions[ids[2]])
    assert np.allclose(state.cursor_z, e.latent_map.codes[ids[2]], atol=1e-5)


# ---- retrieval ------------------------------------------------------------------------------
def test_retrieval_shows_the_k_nearest_to_the_clicked_point(qtbot, state, jobs):
    e = state.active
    m = e.latent_map
    panel = make_panel(qtbot, RetrievalPanel, state, jobs)
    assert panel.gallery.count() == 0
    panel.k.setValue(9)
    click_map(state, m.positions[100])
    panel.flush()
    hits = nearest_codes(m.codes, m.inverse(m.positions[100]), 9)
    ids = panel.gallery.sample_indices()
    assert ids == list(hits.indices) and 100 in ids and hits.distances[0] < 1e-4
    # Somewhere else on the map, other neighbours.
    far = int(np.argmax(np.linalg.norm(m.positions - m.positions[100], axis=1)))
    click_map(state, m.positions[far])
    panel.flush()
    assert panel.gallery.sample_indices() == list(nearest_codes(m.codes, m.codes[far], 9).indices)
    assert set(panel.gallery.sample_indices()).isdisjoint(ids)

    panel.query.setCurrentIndex(panel.query.findData("hovered"))
    state.set_hover(5)
    panel.flush()
    assert panel.gallery.sample_indices() == list(retrieve_sample(m.codes, 5, 9).indices)

    panel.query.setCurrentIndex(panel.query.findData("own"))
    panel.flush()
    assert panel.gallery.count() == 0 and "Open image" in panel.hint.text()
    placed = state.place_image("mine.png", e.images[20])  # what File ▸ Open image… does
    panel.flush()
    assert panel.gallery.sample_indices() == list(nearest_codes(m.codes, placed.z, 9).indices)
    assert 20 in panel.gallery.sample_indices() and panel.neighbours.distances[0] < 1e-4

    panel.query.setCurrentIndex(panel.query.findData("clicked"))
    panel.flush()
    shown = panel.gallery.sample_indices()
    click_gallery(qtbot, panel.gallery, 3)  # selects that sample on the map...
    assert state.hover_index == shown[3]
    assert np.allclose(state.cursor_xy, m.positions[shown[3]])
    panel.flush()  # ...and searches around it
    assert shown[3] in panel.gallery.sample_indices() and panel.neighbours.distances[0] < 1e-4


# ---- the window ------------------------------------------------------------------------------
def test_window_docks_the_panels_with_a_views_menu(qtbot, boxes, monkeypatch):
    from explorer.qt.app import default_model_paths
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
            "Latent traversal", "Denoising", "Inpainting", "Anomaly ranking", "Retrieval"]
        assert docks["panel-retrieval"].isVisible() and docks["panel-retrieval"].widget().live
        assert not docks["panel-traversal"].isVisible()
        assert not docks["panel-traversal"].widget().live  # hidden panels do no work
        menus["Views"].actions()[0].trigger()
        qtbot.waitUntil(lambda: docks["panel-traversal"].widget().live)
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
    qtbot.waitUntil(lambda: panel.live and panel.rank_button.isEnabled(), timeout=10_000)
    brushes_before = list(window.map_view.scatter.data["brush"])
    qtbot.mouseClick(panel.rank_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.ranking is not None, timeout=60_000)
    assert window.colour_combo.currentData() == "recon_error"
    assert window.map_view.legend.isVisible()
    e = window.state.active
    errors = panel.ranking.errors
    brushes = window.map_view.scatter.data["brush"]
    worst, best = int(np.argmax(errors)), int(np.argmin(errors))
    assert brushes[worst].color() != brushes[best].color()
    assert list(brushes) != brushes_before
    ids = panel.gallery.sample_indices()
    click_gallery(qtbot, panel.gallery, 0)
    assert window.state.hover_index == ids[0] == worst
    xy = (window.map_view.hover_ring.data["x"][0], window.map_view.hover_ring.data["y"][0])
    assert np.allclose(xy, e.latent_map.positions[worst])
