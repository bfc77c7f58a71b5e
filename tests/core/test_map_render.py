"""Colour groups and density rasters of a map at scale (latent_atlas.explorer.core.latent.map_render)."""

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.colouring import categorical
from latent_atlas.explorer.core.latent.map_render import (
    MIN_ALPHA,
    bin_points,
    colour_groups,
    density_rgba,
    premultiplied_argb32,
)
from latent_atlas.explorer.core.latent.point_grid import PointGrid

RED_BLUE = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)


def test_colour_groups_keep_order_within_a_group():
    g = colour_groups(np.array([2, 0, 2, 1, 0]), 4)
    assert g.group(0).tolist() == [1, 4]
    assert g.group(1).tolist() == [3]
    assert g.group(2).tolist() == [0, 2]
    assert g.group(3).tolist() == []
    with pytest.raises(ValueError):
        colour_groups(np.array([0, 5]), 3)


def test_binning_puts_points_in_their_pixels():
    xy = np.array([[0.1, 0.1], [0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [5.0, 5.0]], np.float32)
    grid = PointGrid(xy)
    bins = bin_points(grid, xy, (0.0, 1.0, 0.0, 1.0), (2, 2))  # rows: y 0-0.5, 0.5-1
    assert bins.points is not None and sorted(bins.points.tolist()) == [0, 1, 2, 3]
    assert bins.counts.tolist() == [1, 2, 1, 0]
    every = bin_points(grid, xy, (-1.0, 6.0, -1.0, 6.0), (7, 7))
    assert every.points is None and every.counts.sum() == 5


def test_raster_colours_mix_categories_and_fade_with_count():
    xy = np.array([[0.1, 0.1], [0.9, 0.1], [0.9, 0.1], [0.1, 0.9]], np.float32)
    grid = PointGrid(xy)
    bins = bin_points(grid, xy, (0.0, 1.0, 0.0, 1.0), (2, 2))
    rgba = density_rgba(bins, np.array([0, 0, 1, 1]), RED_BLUE, "categorical", spread=1)
    assert rgba.shape == (2, 2, 4)
    assert rgba[0, 0].tolist()[:3] == [255, 0, 0]  # one red point
    assert rgba[0, 1].tolist()[:3] == [128, 0, 128]  # red and blue: their mean
    assert rgba[1, 0].tolist()[:3] == [0, 0, 255]
    assert rgba[1, 1, 3] == 0  # empty: transparent
    assert rgba[0, 0, 3] == round(MIN_ALPHA * 255)
    assert rgba[0, 1, 3] == 255  # the densest pixel is opaque
    spread = density_rgba(bins, np.array([0, 0, 1, 1]), RED_BLUE, "categorical", spread=2)
    assert spread[1, 1, 3] > 0  # a point covers 2 x 2 pixels


def test_continuous_raster_takes_the_colour_of_the_mean_value():
    xy = np.array([[0.2, 0.5], [0.3, 0.5]], np.float32)
    palette = np.array([[0, 0, 0], [10, 10, 10], [20, 20, 20]], np.uint8)
    bins = bin_points(PointGrid(xy), xy, (0.0, 1.0, 0.0, 1.0), (1, 1))
    rgba = density_rgba(bins, np.array([0, 2]), palette, "continuous", spread=1)
    assert rgba[0, 0, :3].tolist() == [10, 10, 10]


def test_premultiplied_pixels():
    rgba = np.array([[[255, 128, 0, 128], [10, 20, 30, 0]]], np.uint8)
    argb = premultiplied_argb32(rgba)
    assert argb[0, 0] == (128 << 24) | (128 << 16) | (64 << 8) | 0
    assert argb[0, 1] == 0


def test_integer_labels_are_counted_not_sorted():
    labels = np.array([7, 3, 3, 9, 7])
    c = categorical("label", "Label", labels, [str(i) for i in range(10)])
    assert c.names == ["3", "7", "9"]
    assert c.index.tolist() == [1, 0, 0, 2, 1]
    # large or negative values take the general path and agree with it
    for values in (np.array([-1, 5, -1]), np.array([70000, 3, 70000])):
        cats, inv = np.unique(values, return_inverse=True)
        c = categorical("label", "Label", values)
        assert c.names == [str(v) for v in cats] and c.index.tolist() == inv.tolist()
