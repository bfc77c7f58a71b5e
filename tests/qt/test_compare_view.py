"""The AE-vs-VAE compare view: both maps, alignment, linked gestures, the three-row
strip, the gap heatmap, prior samples and the metrics panel (issue 6)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import close_window
from PySide6.QtCore import Qt
from qt_helpers import click, drag, empty_spot


@pytest.fixture()
def cmp(qtbot, model_files, boxes):
    """A shown compare window on the tiny digits pair, models and data loaded."""
    from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings
    from latent_atlas.explorer.qt.compare import CompareWindow

    w = CompareWindow()
    # Files given VAE first: the view still puts the plain AE on the left.
    assert w.open_pair(list(reversed(model_files)))
    w.metric_settings = MetricSettings(n_prior=200, n_pairs=10, steps=5, n_path=50, n_between=50)
    w.show()
    qtbot.waitExposed(w)
    w.start_loading()
    qtbot.waitUntil(w.is_ready, timeout=60_000)
    yield w
    close_window(w)


def pane_positions(pane) -> np.ndarray:
    pane.flush()
    return np.asarray(pane.points.positions)


def selected_items(pane):
    """The (line, trace, head) items the canvas draws for its session's selected arrow."""
    return pane.arrow_items[pane.session.selected_arrow]


def as_window(pane):
    """The mouse helpers drive `window.canvas`: give them one compare canvas."""
    return SimpleNamespace(canvas=pane)


def test_opens_on_the_pair_and_shows_both_maps(cmp):
    from latent_atlas.explorer.core.analysis.comparison.align import AlignedMap

    left, right = cmp.pair.sessions
    assert (left.kind, right.kind) == ("ae", "vae")
    assert isinstance(right.latent_map, AlignedMap)
    n = left.n_points
    assert n == right.n_points > 100
    for pane, side in zip(cmp.canvases, cmp.pair.sessions, strict=True):
        assert len(pane_positions(pane)) == n
        assert np.allclose(pane_positions(pane), side.latent_map.positions, atol=1e-5)
        # Both canvases colour by label from the session's colouring, with a legend.
        assert [item[1].text for item in pane.legend.items] == [str(i) for i in range(10)]
    assert cmp.canvases[0].title.text().startswith("AE")
    assert cmp.canvases[1].title.text().startswith("VAE")


def test_the_right_map_is_aligned_onto_the_left(cmp):
    from latent_atlas.explorer.core.analysis.comparison.align import alignment_error

    left = pane_positions(cmp.canvases[0])
    shown = pane_positions(cmp.canvases[1])
    raw = np.asarray(cmp.pair.right_base.positions)
    assert alignment_error(shown, left) < 0.9 * alignment_error(raw, left)
    # Aligned maps share one frame, so the two views show the same area.
    assert np.allclose(cmp.canvases[0].vb.viewRange(), cmp.canvases[1].vb.viewRange())


def test_laying_out_the_right_map_is_a_menu_choice(cmp, monkeypatch):
    """Issue 24: no UMAP refit starts by itself; Map ▸ Fit both maps together asks for
    one, and says why not when it cannot run (these maps are not UMAP maps)."""
    assert not cmp.pair.jobs.running("align") and cmp.pair.is_aligned()
    act = cmp.act_fit_together
    assert act in cmp.map_menu.actions()
    cmp.map_menu.aboutToShow.emit()
    why = cmp.pair.can_fit_together()
    assert why is not None and not act.isEnabled() and why in act.statusTip()
    asked: list[bool] = []
    monkeypatch.setattr(cmp.pair, "can_fit_together", lambda: None)
    monkeypatch.setattr(cmp.pair, "fit_maps_together", lambda: asked.append(True))
    cmp.map_menu.aboutToShow.emit()
    assert act.isEnabled() and "AlignedUMAP" in act.statusTip()
    act.trigger()
    assert asked == [True]


def test_selecting_a_sample_in_one_map_marks_it_in_both(cmp, qtbot):
    pair = cmp.pair
    right = pair.right.latent_map
    i = int(np.argmax(right.positions[:, 0]))  # an outer sample: no neighbour on top of it
    click(as_window(cmp.canvases[1]), right.positions[i])
    pair.right.flush_decode()
    pair.left.flush_decode()
    assert pair.left.selected_index == i and pair.right.selected_index == i
    for pane, side in zip(cmp.canvases, pair.sessions, strict=True):
        x, y = pane.select_ring.getData()
        assert len(x) == 1
        assert np.allclose([x[0], y[0]], side.latent_map.positions[i], atol=1e-4)
    # The click also decoded that spot in both models.
    for box, side in zip(cmp.click_boxes, pair.sessions, strict=True):
        assert side.cursor_image is not None and box.image is side.cursor_image
    # A click on empty space selects nothing but still decodes in both.
    spot = empty_spot(pair.left.latent_map)
    click(as_window(cmp.canvases[0]), spot)
    for side in pair.sessions:
        side.flush_decode()
        assert side.selected_index is None
        assert np.allclose(side.cursor_xy, spot, atol=1e-3)
    pair.left.set_hover(3)
    for pane, side in zip(cmp.canvases, pair.sessions, strict=True):
        x, y = pane.hover_ring.getData()
        assert np.allclose([x[0], y[0]], side.latent_map.positions[3], atol=1e-4)


def test_decode_requests_are_coalesced_in_both_models(cmp):
    from PySide6.QtWidgets import QApplication

    left, right = cmp.pair.sessions
    before = [left.decode_count, right.decode_count]
    for xy in left.latent_map.positions[:50]:
        left.request_decode(xy)
    QApplication.processEvents()
    assert [left.decode_count - before[0], right.decode_count - before[1]] == [1, 1]
    assert np.allclose(right.cursor_xy, left.latent_map.positions[49])


def test_an_arrow_in_either_map_shows_in_both_and_fills_three_rows(cmp, qtbot):
    left_s, right_s = cmp.pair.sessions
    cmp.strip.steps.setValue(5)
    assert left_s.steps == 5 and right_s.steps == 5
    left = left_s.latent_map
    a, b = int(np.argmin(left.positions[:, 0])), int(np.argmax(left.positions[:, 0]))
    drag(as_window(cmp.canvases[0]), left.positions[a], left.positions[b],
         modifiers=Qt.KeyboardModifier.ShiftModifier)
    for side in cmp.pair.sessions:
        assert len(side.arrows) == 1
        assert (side.selected().index0, side.selected().index1) == (a, b)
    for pane, side in zip(cmp.canvases, cmp.pair.sessions, strict=True):
        line, trace, _head = selected_items(pane)
        x, _y = trace.getData()
        assert len(x) == 5
        # Snapped ends are the same samples in both maps.
        lx, ly = line.getData()
        assert np.allclose([lx[0], ly[0]], side.latent_map.positions[a], atol=1e-4)
        assert np.allclose([lx[1], ly[1]], side.latent_map.positions[b], atol=1e-4)
    rows = cmp.strip.row_images()
    h, w = left_s.selected().frames.shape[1:3]
    for frames, box in zip(rows, cmp.strip.rows, strict=True):
        assert frames is not None and len(frames) == 5
        assert box.image.shape[:2] == (h, 5 * w + 4)
    # The cross-fade starts and ends on the AE's end images; the models' rows differ.
    assert np.array_equal(rows[2][0], rows[0][0]) and np.array_equal(rows[2][-1], rows[0][-1])
    assert not np.array_equal(rows[0], rows[1])
    # Slerp applies to both models, and changes the path between non-collinear ends.
    lerp_rows = [np.array(r) for r in rows[:2]]
    cmp.strip.mode.setCurrentIndex(1)
    assert left_s.mode == right_s.mode == "slerp"
    slerp_rows = cmp.strip.row_images()[:2]
    assert any(not np.array_equal(x, y) for x, y in zip(lerp_rows, slerp_rows, strict=True))
    # Drawn in the right map, a second arrow appears (and is selected) in both.
    right = right_s.latent_map
    drag(as_window(cmp.canvases[1]), right.positions[b], right.positions[a],
         modifiers=Qt.KeyboardModifier.ShiftModifier)
    for side in cmp.pair.sessions:
        assert len(side.arrows) == 2
        assert (side.selected().index0, side.selected().index1) == (b, a)
    cmp.strip.clear_button.click()
    assert left_s.arrows == [] and right_s.arrows == []
    assert all(box.image is None for box in cmp.strip.rows)


def test_gap_heatmap_has_one_scale_for_both_maps(cmp, qtbot):
    pair = cmp.pair
    cmp.heat_check.setChecked(True)
    qtbot.waitUntil(lambda: all(g is not None for g in pair.gaps), timeout=60_000)
    levels = pair.gap_levels
    assert levels is not None and 0.0 <= levels[0] < levels[1] <= 1.0
    for pane, gap in zip(cmp.canvases, pair.gaps, strict=True):
        scores = gap.scores[gap.inside]  # outside the data's hull: not scored (NaN)
        assert gap.scores.shape == gap.inside.shape == (64, 64)
        assert 0 < gap.inside.sum() < 64 * 64 and np.isnan(gap.scores[~gap.inside]).all()
        assert np.isfinite(scores).all() and scores.min() >= 0.0 and scores.max() <= 1.0
        assert pane.heat.isVisible()
        assert np.allclose(pane.heat.getLevels(), levels)
        # The grid covers the visible area.
        (x0, x1), (y0, y1) = cmp.canvases[0].vb.viewRange()
        assert np.allclose(gap.rect, (x0, x1, y0, y1), rtol=1e-3, atol=1e-3)
    cmp.heat_check.setChecked(False)
    assert not any(p.heat.isVisible() for p in cmp.canvases)


def test_metrics_panel_fills_with_numbers(cmp, qtbot):
    assert cmp.bottom_tabs.currentWidget() is cmp.strip  # interpolation rows first
    shown: list[tuple[bool, str, str]] = []  # the table as each streamed part arrived
    rows = cmp.metrics_panel.columns

    def note() -> None:
        t = cmp.metrics_panel.table
        shown.append((cmp.pair.metrics.complete, t.item(rows.index("recon MSE"), 0).text(),
                      t.item(rows.index("interp dist"), 0).text()))

    cmp.pair.metrics_changed.connect(note)
    qtbot.mouseClick(cmp.metrics_panel.run_button, Qt.MouseButton.LeftButton)
    assert cmp.bottom_tabs.currentWidget() is cmp.metrics_panel  # computing shows the table
    qtbot.waitUntil(lambda: cmp.pair.metrics is not None and cmp.pair.metrics.complete,
                    timeout=300_000)
    cmp.pair.metrics_changed.disconnect(note)
    # Issue 24: the cheap rows came first, the rest marked as still being measured, and
    # a number once shown stayed as it was.
    from latent_atlas.explorer.session.panels.compare_views import PENDING

    assert len(shown) >= 3 and [c for c, _, _ in shown] == [False] * (len(shown) - 1) + [True]
    assert shown[0][2] == PENDING and shown[-1][2] != PENDING
    assert len({recon for _, recon, _ in shown}) == 1
    table = cmp.metrics_panel.table
    n_metrics = len(cmp.metrics_panel.columns)
    from latent_atlas.explorer.core.analysis.comparison.table import judged_rows, probe_rows

    judged = judged_rows(cmp.pair.metrics)
    probe = probe_rows(cmp.pair.metrics)
    # codes as features (2 label shares x 2 classifiers, and k-NN on standardised codes
    # where that changes the verdict), then every sampler and between-code kind under the
    # judges, plus the reconstruction floor and the judges' floors on real images
    assert 4 <= len(probe) <= 6
    from latent_atlas.explorer.core.analysis.disentangle.per_model import latent_rows

    # then each model's per-latent diagnostics (digits has no factors: no disentanglement)
    extra = latent_rows(cmp.pair.metrics.latents, [m.name for m in cmp.pair.metrics.models])
    assert [t for t, _ in extra] == [table.verticalHeaderItem(table.rowCount() - len(extra) + k)
                                     .text() for k in range(len(extra))]
    assert len(extra) == 3 and extra[0][0].startswith("active units")
    assert (table.rowCount() == n_metrics + len(probe) + len(judged) + len(extra)
            >= n_metrics + 18)
    assert table.columnCount() == 3  # two models and "differs"
    for i in range(n_metrics):
        for j in range(2):
            text = table.item(i, j).text().rstrip("%")
            assert np.isfinite(float(text))
    from latent_atlas.explorer.core.analysis.comparison.table import SAME_DRAWS

    for i in range(n_metrics, table.rowCount() - len(extra)):
        for j in range(2):
            if table.item(i, j).text() == SAME_DRAWS:  # shown once, under the own prior
                continue
            value, low, high = (float(v) for v in
                                re.findall(r"([\d.]+)%", table.item(i, j).text())[:3])
            assert low <= value <= high
        title = table.verticalHeaderItem(i).text()
        differs = table.item(i, 2).text()
        if "judge floor" in title:
            assert differs == ""  # one value, the same for both models
        else:  # verdict, difference [95 % interval] and the Holm-adjusted p
            assert re.match(r"(yes|n\.s\.|same ±[\d.]+) [+-][\d.]+ \[[+-][\d.]+, [+-][\d.]+\] "
                            r"p=", differs), differs
    assert table.verticalHeaderItem(n_metrics).text().startswith("probe accuracy")
    assert table.verticalHeaderItem(n_metrics + len(probe)).text().startswith("reconstruction")
    # the probe reads the labels off the codes far better than chance (10 classes)
    accuracy = float(table.item(n_metrics + 2, 0).text().split("%")[0])
    assert accuracy > 30
    # the sentences under the table are core's explanation
    assert cmp.metrics_panel.explanation.text() == cmp.pair.metrics.explanation
    assert "own prior" in cmp.metrics_panel.explanation.text()
    names = [m.name for m in cmp.pair.metrics.models]
    assert names == [s.name for s in cmp.pair.sessions]


def test_sample_places_prior_samples_on_both_maps(cmp):
    cmp.sample_count.setValue(9)
    cmp.sample_button.click()
    for pane, box, smp in zip(cmp.canvases, cmp.sample_boxes, cmp.pair.samples, strict=True):
        assert smp is not None and len(smp.codes) == 9
        x, _y = pane.samples.getData()
        assert len(x) == 9
        h, w = smp.images.shape[1:3]
        assert box.image.shape[:2] == (3 * h + 2, 3 * w + 2)
    assert "N(0, I)" in cmp.sample_boxes[1].caption.text()


def test_open_pair_rejects_a_single_file(qtbot, model_files, boxes):
    from latent_atlas.explorer.qt.compare import CompareWindow

    w = CompareWindow()
    try:
        assert not w.open_pair(model_files[:1])
        assert boxes.calls and "two model files" in boxes.calls[-1][1]
        assert w.pair is None
    finally:
        close_window(w)


def test_incompatible_pair_says_what_differs_and_keeps_the_open_pair(cmp, boxes, tmp_path):
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    model = build_model(ModelConfig(kind="vae", arch="mlp", input_shape=(1, 12, 12),
                                    latent_dim=2, hidden=(8,)))
    images = np.random.default_rng(0).integers(0, 255, (30, 1, 12, 12), dtype=np.uint8)
    other = tmp_path / "other.safetensors"
    save_explorable(other, model, latent_map=quick_map(encode(model, images)),
                    data_spec="npz:elsewhere.npz")
    before = cmp.pair
    assert not cmp.open_pair([str(before.left.path), str(other)])
    assert "12×12" in boxes.calls[-1][1] and "8×8" in boxes.calls[-1][1]
    assert cmp.pair is before and cmp.isVisible()
    click(as_window(cmp.canvases[0]), before.left.latent_map.positions[4])
    before.left.flush_decode()
    assert before.left.cursor_image is not None


def test_decoded_grid_follows_the_visible_area(cmp, qtbot):
    pair = cmp.pair
    cmp.grid_count.setValue(4)
    cmp.tabs.setCurrentIndex(1)  # the "Decoded grid" tab
    qtbot.waitUntil(lambda: all(g is not None for g in pair.grid_images), timeout=60_000)
    left = pair.left
    h, w = left.decoder.decode(left.latent_map.codes[0]).shape[:2]
    for box, image in zip(cmp.grid_boxes, pair.grid_images, strict=True):
        assert box.image is image
        assert box.image.shape[:2] == (4 * h + 3, 4 * w + 3)
    assert not np.array_equal(cmp.grid_boxes[0].image, cmp.grid_boxes[1].image)
    first = pair.grid_rect
    (x0, x1), (y0, y1) = cmp.canvases[0].vb.viewRange()
    cmp.canvases[0].vb.setRange(xRange=(x0, (x0 + x1) / 2), yRange=(y0, (y0 + y1) / 2), padding=0)
    qtbot.waitUntil(lambda: pair.grid_rect != first, timeout=60_000)
    assert np.allclose(pair.grid_rect, (x0, (x0 + x1) / 2, y0, (y0 + y1) / 2), atol=1e-3)


def test_main_window_opens_the_compare_view_on_its_pair(window, qtbot):
    window.act_compare.trigger()
    cw = window.compare_window
    assert cw is not None and cw.isVisible()
    assert [s.path for s in cw.pair.sessions] == [s.path for s in window.workspace.sessions]
    qtbot.waitUntil(cw.is_ready, timeout=60_000)


def test_files_without_a_map_are_mapped_and_aligned(qtbot, boxes, digits, tmp_path,
                                                    monkeypatch):
    """A pair fresh from training stores no map: the view maps both (PCA at once, as the
    main window does) instead of refusing them, and the metrics can start while UMAP
    refines the maps (issue 24)."""
    import threading

    from latent_atlas.explorer.core.analysis.comparison.align import AlignedMap
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.qt.compare import CompareWindow
    from latent_atlas.explorer.session import map_part
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    release = threading.Event()

    def held_umap(codes, method, cancel):  # the refinement, held until released
        while not (release.is_set() or cancel.is_set()):
            release.wait(0.02)
        yield from ()
        return None

    monkeypatch.setattr(map_part, "map_task", held_umap)

    paths = []
    for kind in ("ae", "vae"):
        cfg = ModelConfig(kind=kind, arch="mlp", input_shape=(1, 8, 8), latent_dim=3,
                          hidden=(16,), epochs=1, seed=2)
        model = run_training(build_model(cfg), digits.images, device="cpu").model
        path = tmp_path / f"bare_{kind}.safetensors"
        save_explorable(path, model, data_spec="digits", label_names=list(digits.label_names))
        paths.append(str(path))
    w = CompareWindow()
    try:
        w.show()
        assert w.open_pair(paths, load=True)
        assert all(s.latent_map is None for s in w.pair.sessions)
        qtbot.waitUntil(lambda: all(s.latent_map is not None for s in w.pair.sessions),
                        timeout=60_000)
        qtbot.waitUntil(w.can_measure, timeout=60_000)
        assert all(s.jobs.running("map") for s in w.pair.sessions) and not w.is_ready()
        for s in w.pair.sessions:
            for j in s.jobs.running("map"):
                j.cancel()  # the PCA map is enough here
        assert isinstance(w.pair.right.latent_map, AlignedMap)
        assert boxes.calls == []
        for pane in w.canvases:
            assert len(pane_positions(pane)) == len(digits.images)
    finally:
        release.set()
        close_window(w)


def test_train_comparison_pair_trains_saves_and_opens_both(cmp, qtbot, tmp_path):
    from latent_atlas.explorer.session.training import PairRequest

    cmp.pair.left.select(2)
    cmp.train_pair(PairRequest(data_spec="digits", arch="conv", latent_dim=3, epochs=1, seed=5,
                               folder=str(tmp_path), upsample="bed-of-nails", downsample="avg"))
    qtbot.waitUntil(lambda: cmp.pair.left.path is not None
                    and cmp.pair.left.path.parent == tmp_path, timeout=120_000)
    qtbot.waitUntil(cmp.is_ready, timeout=60_000)
    left, right = cmp.pair.sessions
    assert (left.kind, right.kind) == ("ae", "vae")
    assert left.path.exists() and right.path.exists()
    assert left.selected_index is None  # the old pair's selection is gone
    for s in (left, right):
        cfg = s.model_file.meta["config"]
        assert (cfg["latent_dim"], cfg["seed"], cfg["epochs"]) == (3, 5, 1)
        assert (cfg["upsample"], cfg["downsample"]) == ("bed-of-nails", "avg")
        assert s.latent_map.codes.shape[1] == 3


def test_training_a_pair_can_be_cancelled_and_keeps_the_open_pair(cmp, qtbot, tmp_path):
    from latent_atlas.explorer.session.training import PairRequest

    before = [s.path for s in cmp.pair.sessions]
    cmp.train_pair(PairRequest(data_spec="digits", latent_dim=3, epochs=200,
                               folder=str(tmp_path)))
    assert cmp.train_button.text() == "Cancel training"
    cmp.train_button.click()  # cancels instead of opening the dialog
    qtbot.waitUntil(lambda: not cmp.jobs.running("train"), timeout=60_000)
    assert cmp.status_label.text() == "training cancelled"
    assert cmp.train_button.text().startswith("Train comparison pair")
    assert [s.path for s in cmp.pair.sessions] == before
    assert not list(tmp_path.glob("*.safetensors"))


def test_two_dropped_files_open_as_a_pair_and_join_the_recent_pairs(qtbot, model_files, boxes):
    from PySide6.QtCore import QMimeData, QPoint, QUrl
    from PySide6.QtGui import QDropEvent

    from latent_atlas.explorer.qt.compare import CompareWindow

    w = CompareWindow()
    try:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(p) for p in model_files])
        w.dropEvent(QDropEvent(QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime,
                               Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
        assert w.pair is not None and boxes.calls == []
        assert [str(s.path) for s in w.pair.sessions] == model_files
        entries = [a.text() for a in w.recent_menu.actions()]
        assert entries and "digits_ae" in entries[0] and "digits_vae" in entries[0]
        qtbot.waitUntil(w.is_ready, timeout=60_000)
    finally:
        close_window(w)


def test_pair_dialog_offers_the_sampling_choices_the_models_can_be_built_with(qtbot):
    from latent_atlas.explorer.qt.compare.train_dialog import TrainPairDialog
    from latent_atlas.explorer.session.training import PairRequest

    dlg = TrainPairDialog(PairRequest(upsample="max-unpool", downsample="max"))
    qtbot.addWidget(dlg)
    req = dlg.request()
    assert (req.upsample, req.downsample) == ("max-unpool", "max")
    assert not dlg.sampling.downsample.isEnabled()  # max-unpooling needs max pooling
    dlg.sampling.upsample.setCurrentIndex(dlg.sampling.upsample.findData("nearest"))
    dlg.sampling.downsample.setCurrentIndex(dlg.sampling.downsample.findData("avg"))
    assert (dlg.request().upsample, dlg.request().downsample) == ("nearest", "avg")
    dlg.arch.setCurrentText("mlp")  # an MLP has neither
    assert not dlg.sampling.upsample.isEnabled() and not dlg.sampling.downsample.isEnabled()
    assert (dlg.request().upsample, dlg.request().downsample) == ("transpose", "stride")
