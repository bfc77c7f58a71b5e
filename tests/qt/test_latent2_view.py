"""2-D latent pairs in the compare view (the manifold grid behind the points), the hull
mask of the gap heatmap, and the Model menu's bundled 2-D digits pair (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import close_window


@pytest.fixture(scope="module")
def latent2_files(tmp_path_factory, digits):
    """A tiny AE and VAE with a 2-D latent, each storing its identity map."""
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.training import latent_identity_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    folder = tmp_path_factory.mktemp("latent2")
    paths = []
    for kind in ("ae", "vae"):
        cfg = ModelConfig(kind=kind, arch="mlp", input_shape=(1, 8, 8), latent_dim=2,
                          hidden=(16,), epochs=2, seed=3)
        model = run_training(build_model(cfg), digits.images, device="cpu").model.eval()
        path = folder / f"d2_{kind}.safetensors"
        save_explorable(path, model, latent_map=latent_identity_map(model, digits),
                        data_spec="digits", label_names=list(digits.label_names),
                        labels=digits.labels)
        paths.append(str(path))
    return paths


def open_compare(qtbot, paths):
    from latent_atlas.explorer.qt.compare import CompareWindow

    w = CompareWindow()
    assert w.open_pair(paths)
    w.show()
    qtbot.waitExposed(w)
    w.start_loading()
    qtbot.waitUntil(w.is_ready, timeout=60_000)
    return w


def test_a_2d_pair_opens_with_the_manifold_grid_behind_the_points(qtbot, boxes,
                                                                   latent2_files):
    from latent_atlas.explorer.core.analysis.claims.manifold import grid_centres

    w = open_compare(qtbot, latent2_files)
    try:
        pair = w.pair
        assert pair.is_latent_pair()
        assert w.manifold_check.isEnabled() and w.manifold_check.isChecked()
        qtbot.waitUntil(lambda: all(g is not None for g in pair.manifold), timeout=30_000)
        n = pair.manifold_n
        rect = pair.manifold_rect
        ae_grid, vae_grid = pair.manifold
        # each model over its own square: the AE's codes' range, the VAE's +-3 square,
        # both in the shared (aligned) frame; the view's box covers both
        ae_codes = pair.left.latent_map.codes
        assert np.allclose(ae_grid.rect, (ae_codes[:, 0].min(), ae_codes[:, 0].max(),
                                          ae_codes[:, 1].min(), ae_codes[:, 1].max()), atol=1e-5)
        corners = np.array([[x, y] for x in (-3, 3) for y in (-3, 3)], np.float32)
        placed = pair.right.latent_map.place(corners)
        assert np.allclose(vae_grid.rect, (placed[:, 0].min(), placed[:, 0].max(),
                                           placed[:, 1].min(), placed[:, 1].max()), atol=1e-4)
        assert rect == (min(ae_grid.rect[0], vae_grid.rect[0]), max(ae_grid.rect[1], vae_grid.rect[1]),
                        min(ae_grid.rect[2], vae_grid.rect[2]), max(ae_grid.rect[3], vae_grid.rect[3]))
        for canvas, grid, s in zip(w.canvases, pair.manifold, pair.sessions, strict=True):
            assert grid.images.shape == (n, n, 8, 8)
            # tile (0, 0) is the decode at the top-left cell's centre, through this map
            top_left = s.decoder.decode(s.latent_map.inverse(grid_centres(grid.rect, n)[:1]))[0]
            assert np.array_equal(grid.images[0, 0], top_left)
            assert canvas.manifold.isVisible()
            assert canvas.manifold.zValue() < canvas.points.zValue()  # behind the points
            shown = canvas.manifold.image
            assert shown.shape == (n * 8, n * 8)
            assert np.array_equal(shown[::-1], grid.mosaic())  # drawn y-up
            r = canvas.manifold.mapRectToParent(canvas.manifold.boundingRect())
            assert np.allclose([r.left(), r.right(), r.top(), r.bottom()], grid.rect, atol=1e-4)
        # the AE and the VAE decode differently over the same square
        assert not np.array_equal(pair.manifold[0].images, pair.manifold[1].images)
        # the view frames the whole figure
        (x0, x1), (y0, y1) = w.canvases[0].vb.viewRange()
        assert x0 <= rect[0] and x1 >= rect[1] and y0 <= rect[2] and y1 >= rect[3]
        w.manifold_check.setChecked(False)
        assert not any(c.manifold.isVisible() for c in w.canvases)
        w.manifold_check.setChecked(True)
        assert all(c.manifold.isVisible() for c in w.canvases)
    finally:
        close_window(w)


def test_a_wider_latent_pair_has_no_manifold_grid(qtbot, boxes, model_files):
    w = open_compare(qtbot, model_files)
    try:
        assert not w.pair.is_latent_pair()
        assert not w.manifold_check.isEnabled() and not w.manifold_check.isChecked()
        assert w.pair.manifold == [None, None]
        assert not any(c.manifold.isVisible() for c in w.canvases)
    finally:
        close_window(w)


def test_heatmap_hatches_outside_the_hull_and_scales_over_the_inside(qtbot, boxes,
                                                                      model_files):
    from latent_atlas.explorer.core.analysis.gaps.heatmap import inside_levels

    w = open_compare(qtbot, model_files)
    try:
        pair = w.pair
        # zoom out: much of the view lies outside the data's hull
        (x0, x1), (y0, y1) = w.canvases[0].vb.viewRange()
        cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0), (y1 - y0)
        w.canvases[0].vb.setRange(xRange=(cx - hw, cx + hw), yRange=(cy - hh, cy + hh),
                                  padding=0)
        w.heat_check.setChecked(True)
        qtbot.waitUntil(lambda: all(g is not None for g in pair.gaps)
                        and not pair.jobs.running("gaps"), timeout=60_000)
        heats = pair.gaps
        assert all(h.judge == "pixel" and 0 < h.inside.sum() < 0.8 * h.inside.size
                   for h in heats)
        assert pair.gap_levels == inside_levels(*heats)
        for canvas, h in zip(w.canvases, heats, strict=True):
            assert canvas.heat.isVisible() and canvas.heat_outside.isVisible()
            assert not canvas.heat_outside.path().isEmpty()
            assert np.isnan(canvas.heat.image[~h.inside]).all()
        assert "hatched" in w.overlays.heat_note.text() and "hull" in w.overlays.heat_note.text()
        assert "pixel judge" in w.overlays.heat_note.text() and w.overlays.heat_note.isVisible()
        # the classifier judge is a choice; until it is wired it says so and keeps the map
        w.set_heat_judge("classifier")
        assert pair.gap_judge == "classifier"
        w.heat_check.setChecked(False)
        assert not any(c.heat_outside.isVisible() for c in w.canvases)
    finally:
        close_window(w)


def test_model_menu_opens_the_bundled_2d_pair(window, qtbot):
    from latent_atlas.explorer.core.bundled import latent2_model_paths

    paths = latent2_model_paths()
    assert len(paths) == 2, "the bundled 2-D digits pair is missing from resources/models"
    menu = [a for a in window.menuBar().actions() if a.text() == "&Model"][0].menu()
    entry = [a for a in menu.actions() if a.text().replace("&", "") == "Open the 2-D digits pair"]
    assert entry == [window.act_compare_2d]
    entry[0].trigger()
    cw = window.compare_window
    assert cw is not None and cw.isVisible()
    assert sorted(str(s.path) for s in cw.pair.sessions) == sorted(paths)
    assert cw.pair.is_latent_pair()
    qtbot.waitUntil(cw.is_ready, timeout=60_000)
    qtbot.waitUntil(lambda: all(g is not None for g in cw.pair.manifold), timeout=30_000)
