"""The start-up preview's picture: the stored map read with numpy only (issue 24)."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.palette import CATEGORY_COLOURS, OTHER_COLOUR, hex_rgb
from latent_atlas.explorer.session import preview as pv
from latent_atlas.explorer.session.preview import MapPreview, map_preview


class _Map:
    def __init__(self, positions):
        self.positions = positions


class _Stored:
    def __init__(self, positions, labels=None):
        self.latent_map = None if positions is None else _Map(np.asarray(positions))
        self.labels = None if labels is None else np.asarray(labels)


def _with(monkeypatch, stored):
    from latent_atlas.explorer.session import opening

    monkeypatch.setattr(opening, "read_model", lambda path: stored)


def test_a_bundled_model_previews_its_stored_map_in_the_canvas_colours():
    from latent_atlas.explorer.core.bundled import default_model_paths
    from latent_atlas.explorer.session.opening import read_model

    paths = default_model_paths()
    shown = map_preview(paths)
    assert shown is not None and shown.name == "digits_vae"  # the last opened is shown
    stored = read_model(paths[-1])
    np.testing.assert_allclose(shown.positions, stored.latent_map.positions[:, :2])
    table = hex_rgb(list(CATEGORY_COLOURS)).astype(np.uint8)
    # digits' labels 0..9 are the palette's first ten colours, as on the canvas
    np.testing.assert_array_equal(shown.colours, table[stored.labels])


def test_files_without_a_readable_map_give_no_preview(tmp_path, monkeypatch):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    assert map_preview([str(bad), str(tmp_path / "missing.safetensors"), "view.json",
                        object(), "factory.py:make"]) is None
    _with(monkeypatch, _Stored(None))
    assert map_preview(["nomap.safetensors"]) is None
    _with(monkeypatch, _Stored(np.full((4, 2), np.nan)))
    assert map_preview(["nan.safetensors"]) is None


def test_points_that_are_not_finite_are_left_out_and_wrong_labels_give_one_colour(monkeypatch):
    pos = np.array([[0.0, 0.0], [np.nan, 1.0], [1.0, 1.0], [2.0, np.inf]])
    _with(monkeypatch, _Stored(pos, labels=[0, 1, 2]))  # 3 labels for 4 points
    shown = map_preview(["m.safetensors"])
    np.testing.assert_array_equal(shown.positions, [[0.0, 0.0], [1.0, 1.0]])
    first = hex_rgb([CATEGORY_COLOURS[0]]).astype(np.uint8)
    np.testing.assert_array_equal(shown.colours, np.repeat(first, 2, axis=0))


def test_more_categories_than_colours_lump_the_smallest_in_grey(monkeypatch):
    n_cat = len(CATEGORY_COLOURS) + 3
    labels = np.concatenate([np.full(10, c) for c in range(n_cat - 3)] + [[n_cat - 3],
                                                                         [n_cat - 2],
                                                                         [n_cat - 1]])
    pos = np.column_stack([np.arange(len(labels)), np.zeros(len(labels))]).astype(float)
    _with(monkeypatch, _Stored(pos, labels=labels))
    shown = map_preview(["m.safetensors"])
    grey = hex_rgb([OTHER_COLOUR]).astype(np.uint8)[0]
    is_grey = (shown.colours == grey).all(axis=1)
    assert is_grey[-3:].all() and is_grey.sum() >= 3


def test_a_large_map_is_thinned_evenly(monkeypatch):
    n = pv.MAX_POINTS * 3 + 7
    pos = np.column_stack([np.arange(n), np.arange(n)]).astype(float)
    _with(monkeypatch, _Stored(pos))
    shown = map_preview(["big.safetensors"])
    assert len(shown.positions) == pv.MAX_POINTS
    assert shown.positions[0, 0] == 0 and shown.positions[-1, 0] == n - 1  # the whole extent
    steps = np.diff(shown.positions[:, 0])
    assert steps.min() >= 2 and steps.max() <= 4


def test_fitted_fills_the_area_less_the_margin_with_y_up():
    shown = MapPreview("m", np.array([[-1.0, 5.0], [3.0, 9.0], [1.0, 7.0]]),
                       np.zeros((3, 3), np.uint8))
    xy = shown.fitted(200, 100, margin=10)
    np.testing.assert_allclose(xy, [[10, 90], [190, 10], [100, 50]])
    flat = MapPreview("m", np.array([[2.0, 2.0], [2.0, 2.0]]), np.zeros((2, 3), np.uint8))
    assert np.isfinite(flat.fitted(50, 50)).all()


def test_by_colour_groups_every_point_once():
    colours = np.array([[1, 2, 3], [9, 9, 9], [1, 2, 3], [0, 0, 0]], np.uint8)
    groups = dict(MapPreview("m", np.zeros((4, 2)), colours).by_colour())
    assert {k: v.tolist() for k, v in groups.items()} == {(0, 0, 0): [3], (1, 2, 3): [0, 2],
                                                          (9, 9, 9): [1]}
