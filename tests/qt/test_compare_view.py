"""The AE-vs-VAE compare view: both maps, alignment, linked gestures, the three-row
strip, the gap heatmap, prior samples and the metrics panel (issue 6)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import close_window
from PySide6.QtCore import Qt
from qt_helpers import click, drag, empty_spot


@pytest.fixture()
def cmp(qtbot, model_files, boxes):
    """A shown compare window on the tiny digits pair, models and data loaded."""
    from explorer.core.analysis.metrics import MetricSettings
    from explorer.qt.compare import CompareWindow

    w = CompareWindow()
    # Files given VAE first: the view still puts the plain AE on the left.
    assert w.open_pair(list(reversed(model_files)))
    w.metric_settings = MetricSettings(n_prior=200, n_pairs=10, steps=5, n_path=50)
    w.show()
    qtbot.waitExposed(w)
    w.start_loading()
    qtbot.waitUntil(w.is_ready, timeout=60_000)
    yield w
    close_window(w)


def pane_positions(pane) -> np.ndarray:
    x, y = pane.scatter.getData()
    return np.stack([x, y], axis=1)


def as_window(pane):
    """The mouse helpers drive `window.map_view`; a compare pane has the same parts."""
    return SimpleNamespace(map_view=pane)


def test_opens_on_the_pair_and_shows_both_maps(cmp):
    from explorer.core.analysis.compare import AlignedMap

    left, right = cmp.state.sides
    assert (left.kind, right.kind) == ("ae", "vae")
    assert isinstance(right.latent_map, AlignedMap)
    n = left.n_points
    assert n == right.n_points > 100
    for pane, side in zip(cmp.panes, cmp.state.sides, strict=True):
        assert len(pane_positions(pane)) == n
        assert np.allclose(pane_positions(pane), side.latent_map.positions, atol=1e-5)
    assert cmp.panes[0].title.text().startswith("AE")
    assert cmp.panes[1].title.text().startswith("VAE")


def test_the_right_map_is_aligned_onto_the_left(cmp):
    from explorer.core.analysis.compare import alignment_error

    left = pane_positions(cmp.panes[0])
    shown = pane_positions(cmp.panes[1])
    raw = np.asarray(cmp.state.unaligned_map.positions)
    assert alignment_error(shown, left) < 0.9 * alignment_error(raw, left)
    # Aligned maps share one frame, so the two views show the same area.
    assert np.allclose(cmp.panes[0].vb.viewRange(), cmp.panes[1].vb.viewRange())


def test_selecting_a_sample_in_one_map_marks_it_in_both(cmp, qtbot):
    st = cmp.state
    right = st.sides[1].latent_map
    i = int(np.argmax(right.positions[:, 0]))  # an outer sample: no neighbour on top of it
    click(as_window(cmp.panes[1]), right.positions[i])
    assert st.selected_index == i
    for pane, side in zip(cmp.panes, st.sides, strict=True):
        x, y = pane.select_ring.getData()
        assert len(x) == 1
        assert np.allclose([x[0], y[0]], side.latent_map.positions[i], atol=1e-4)
    # The click also decoded that spot in both models.
    for box, side in zip(cmp.click_boxes, st.sides, strict=True):
        assert side.click_image is not None and box.image is not None
    # A click on empty space selects nothing but still decodes in both.
    spot = empty_spot(st.sides[0].latent_map)
    click(as_window(cmp.panes[0]), spot)
    assert st.selected_index is None
    assert np.allclose(st.cursor_xy, spot, atol=1e-3)
    st.set_hover(3)
    for pane, side in zip(cmp.panes, st.sides, strict=True):
        x, y = pane.hover_ring.getData()
        assert np.allclose([x[0], y[0]], side.latent_map.positions[3], atol=1e-4)


def test_an_arrow_in_either_map_shows_in_both_and_fills_three_rows(cmp, qtbot):
    st = cmp.state
    cmp.strip.steps.setValue(5)
    assert st.steps == 5
    left = st.sides[0].latent_map
    a, b = int(np.argmin(left.positions[:, 0])), int(np.argmax(left.positions[:, 0]))
    drag(as_window(cmp.panes[0]), left.positions[a], left.positions[b],
         modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert st.arrow is not None and (st.arrow.index0, st.arrow.index1) == (a, b)
    for pane, side in zip(cmp.panes, st.sides, strict=True):
        x, _y = pane.trace.getData()
        assert len(x) == 5
        # Snapped ends are the same samples in both maps.
        lx, ly = pane.line.getData()
        assert np.allclose([lx[0], ly[0]], side.latent_map.positions[a], atol=1e-4)
        assert np.allclose([lx[1], ly[1]], side.latent_map.positions[b], atol=1e-4)
    rows = cmp.strip.row_images()
    h, w = st.sides[0].frames.shape[1:3]
    for frames, box in zip(rows, cmp.strip.rows, strict=True):
        assert frames is not None and len(frames) == 5
        assert box.image.shape[:2] == (h, 5 * w + 4)
    # The cross-fade starts and ends on the AE's end images; the models' rows differ.
    assert np.array_equal(rows[2][0], rows[0][0]) and np.array_equal(rows[2][-1], rows[0][-1])
    assert not np.array_equal(rows[0], rows[1])
    # Drawn in the right map, it replaces the first one in both.
    right = st.sides[1].latent_map
    drag(as_window(cmp.panes[1]), right.positions[b], right.positions[a],
         modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert (st.arrow.index0, st.arrow.index1) == (b, a)
    st.clear_arrow()
    assert all(box.image is None for box in cmp.strip.rows)


def test_gap_heatmap_has_one_scale_for_both_maps(cmp, qtbot):
    cmp.heat_check.setChecked(True)
    qtbot.waitUntil(lambda: all(s.gap is not None for s in cmp.state.sides), timeout=60_000)
    levels = cmp.state.gap_levels
    assert levels is not None and 0.0 <= levels[0] < levels[1] <= 1.0
    for pane, side in zip(cmp.panes, cmp.state.sides, strict=True):
        scores = side.gap.scores
        assert scores.shape == (64, 64)
        assert np.isfinite(scores).all() and scores.min() >= 0.0 and scores.max() <= 1.0
        assert pane.heat.isVisible()
        assert np.allclose(pane.heat.getLevels(), levels)
        # The grid covers the visible area.
        (x0, x1), (y0, y1) = cmp.panes[0].vb.viewRange()
        assert np.allclose(side.gap.rect, (x0, x1, y0, y1), rtol=1e-3, atol=1e-3)
    cmp.heat_check.setChecked(False)
    assert not any(p.heat.isVisible() for p in cmp.panes)


def test_metrics_panel_fills_with_numbers(cmp, qtbot):
    qtbot.mouseClick(cmp.metrics_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cmp.state.metrics is not None, timeout=120_000)
    table = cmp.metrics_panel.table
    assert table.columnCount() == 2 and table.rowCount() == len(cmp.metrics_panel.columns)
    for i in range(table.rowCount()):
        for j in range(2):
            text = table.item(i, j).text().rstrip("%")
            assert np.isfinite(float(text))
    names = [m.name for m in cmp.state.metrics.models]
    assert names == [s.name for s in cmp.state.sides]


def test_sample_places_prior_samples_on_both_maps(cmp):
    cmp.sample_count.setValue(9)
    cmp.sample_button.click()
    for pane, box, side in zip(cmp.panes, cmp.sample_boxes, cmp.state.sides, strict=True):
        assert side.samples is not None and len(side.samples.codes) == 9
        x, _y = pane.samples.getData()
        assert len(x) == 9
        h, w = side.samples.images.shape[1:3]
        assert box.image.shape[:2] == (3 * h + 2, 3 * w + 2)
    assert "N(0, I)" in cmp.sample_boxes[1].caption.text()


def test_open_pair_rejects_a_single_file(qtbot, model_files, boxes):
    from explorer.qt.compare import CompareWindow

    w = CompareWindow()
    try:
        assert not w.open_pair(model_files[:1])
        assert boxes.calls and "two model files" in boxes.calls[-1][1]
        assert not w.state.sides
    finally:
        close_window(w)


def test_decoded_grid_follows_the_visible_area(cmp, qtbot):
    cmp.grid_count.setValue(4)
    cmp.tabs.setCurrentIndex(1)  # the "Decoded grid" tab
    qtbot.waitUntil(lambda: all(s.grid_image is not None for s in cmp.state.sides),
                    timeout=10_000)
    left = cmp.state.sides[0]
    h, w = left.decoder.decode(left.latent_map.codes[0]).shape[:2]
    for box, side in zip(cmp.grid_boxes, cmp.state.sides, strict=True):
        assert box.image is side.grid_image
        assert box.image.shape[:2] == (4 * h + 3, 4 * w + 3)
    assert not np.array_equal(cmp.grid_boxes[0].image, cmp.grid_boxes[1].image)
    first = cmp.state.grid_rect
    (x0, x1), (y0, y1) = cmp.panes[0].vb.viewRange()
    cmp.panes[0].vb.setRange(xRange=(x0, (x0 + x1) / 2), yRange=(y0, (y0 + y1) / 2), padding=0)
    qtbot.waitUntil(lambda: cmp.state.grid_rect != first, timeout=10_000)
    assert np.allclose(cmp.state.grid_rect, (x0, (x0 + x1) / 2, y0, (y0 + y1) / 2), atol=1e-3)


def test_main_window_opens_the_compare_view_on_its_pair(window, qtbot):
    window.act_compare.trigger()
    cw = window.compare_window
    assert cw is not None and cw.isVisible()
    assert [s.path for s in cw.state.sides] == [e.path for e in window.state.entries]
    qtbot.waitUntil(cw.is_ready, timeout=60_000)


def test_train_comparison_pair_trains_saves_and_opens_both(cmp, qtbot, tmp_path):
    from explorer.qt.compare.train_dialog import PairRequest

    cmp.state.select(2)
    cmp.train_pair(PairRequest(data_spec="digits", arch="conv", latent_dim=3, epochs=1, seed=5,
                               folder=str(tmp_path)))
    qtbot.waitUntil(lambda: bool(cmp.state.sides) and cmp.state.sides[0].path is not None
                    and cmp.state.sides[0].path.parent == tmp_path, timeout=120_000)
    qtbot.waitUntil(cmp.is_ready, timeout=60_000)
    left, right = cmp.state.sides
    assert (left.kind, right.kind) == ("ae", "vae")
    assert left.path.exists() and right.path.exists()
    assert cmp.state.selected_index is None  # the old pair's selection is gone
    for s in (left, right):
        cfg = s.model_file.meta["config"]
        assert (cfg["latent_dim"], cfg["seed"], cfg["epochs"]) == (3, 5, 1)
        assert s.latent_map.codes.shape[1] == 3


def test_training_a_pair_can_be_cancelled_and_keeps_the_open_pair(cmp, qtbot, tmp_path):
    from explorer.qt.compare.train_dialog import PairRequest

    before = [s.path for s in cmp.state.sides]
    cmp.train_pair(PairRequest(data_spec="digits", latent_dim=3, epochs=200,
                               folder=str(tmp_path)))
    assert cmp.train_button.text() == "Cancel training"
    cmp.train_button.click()  # cancels instead of opening the dialog
    qtbot.waitUntil(lambda: not cmp.jobs.running("train"), timeout=60_000)
    assert cmp.status_label.text() == "training cancelled"
    assert cmp.train_button.text().startswith("Train comparison pair")
    assert [s.path for s in cmp.state.sides] == before
    assert not list(tmp_path.glob("*.safetensors"))
