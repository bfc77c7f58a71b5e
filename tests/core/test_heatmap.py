"""The honest heatmap (latent_atlas.explorer.core.analysis.gaps.heatmap): the hull mask, a colour scale over
inside cells only, the hatch rectangles, and the judge as a parameter."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.gaps.heatmap import (
    Heatmap,
    PixelJudge,
    heatmap_iter,
    inside_levels,
    make_judge,
    outside_rectangles,
)
from latent_atlas.explorer.core.analysis.gaps.score import grid_points
from latent_atlas.explorer.core.latent.map import LatentMap
from latent_atlas.explorer.core.progress import drain


def triangle_map(dim: int = 3) -> LatentMap:
    """A PCA-free map whose points are the triangle (0, 0), (4, 0), (0, 4) plus an inner
    point; codes are arbitrary d-D vectors."""
    pos = np.array([[0, 0], [4, 0], [0, 4], [1, 1]], dtype=np.float32)
    codes = np.random.default_rng(0).normal(size=(4, dim)).astype(np.float32)
    return LatentMap("umap", codes, pos)


def test_hull_mask_is_true_inside_the_triangle_and_false_outside():
    m = triangle_map()
    inside = np.array([[0.5, 0.5], [1.0, 2.0], [3.0, 0.5], [0.2, 3.5]])
    outside = np.array([[-0.5, 0.5], [3.0, 3.0], [5.0, 0.0], [0.5, -0.1], [10.0, 10.0]])
    assert m.inside_hull(inside).all()
    assert not m.inside_hull(outside).any()
    assert m.inside_hull(np.array([1.0, 1.0])).tolist() == [True]


def test_an_identity_map_is_honest_everywhere():
    codes = np.array([[0, 0], [1, 0], [0, 1]], dtype=np.float32)
    m = LatentMap("identity", codes, codes)
    assert m.inside_hull(np.array([[5.0, 5.0], [0.2, 0.2]])).all()


def test_a_degenerate_layout_has_no_inside():
    pos = np.array([[0, 0], [1, 1], [2, 2]], dtype=np.float32)
    m = LatentMap("umap", np.ones((3, 2), np.float32) * pos, pos)
    assert not m.inside_hull(np.array([[1.0, 1.0], [0.5, 0.5]])).any()


class SumDecoder:
    """Decodes a code to a 1 x 2 x 2 'image' filled with the mean of the code (in [0, 1])."""

    def decode_float(self, z):
        z = np.asarray(z, dtype=np.float32)
        v = 1 / (1 + np.exp(-z.mean(axis=1)))
        return np.repeat(v[:, None], 4, axis=1).reshape(-1, 1, 2, 2)


def test_heatmap_judges_inside_cells_only_and_marks_the_rest():
    m = triangle_map()
    calls = []

    def judge(images):
        calls.append(len(images))
        return images.reshape(len(images), -1).mean(axis=1) * 10

    rect = (-2.0, 6.0, -2.0, 6.0)
    heat = drain(heatmap_iter(SumDecoder(), m, judge, rect, resolution=16))
    assert heat.scores.shape == heat.inside.shape == (16, 16)
    pts = grid_points(rect, 16)
    assert np.array_equal(heat.inside.ravel(), m.inside_hull(pts))
    assert sum(calls) == int(heat.inside.sum()) > 0  # outside cells are never decoded
    assert np.isfinite(heat.scores[heat.inside]).all()
    assert np.isnan(heat.scores[~heat.inside]).all()
    assert np.isnan(heat.masked()[~heat.inside]).all()
    # cell (iy, ix) is the grid point iy * nx + ix: its score is the judge of its decode
    k = int(np.flatnonzero(heat.inside.ravel())[3])
    expected = judge(SumDecoder().decode_float(m.inverse(pts[k:k + 1])))[0]
    assert heat.scores.ravel()[k] == pytest.approx(expected, rel=1e-5)


def test_a_judge_returning_the_wrong_count_is_an_error():
    with pytest.raises(ValueError, match="scores"):
        drain(heatmap_iter(SumDecoder(), triangle_map(), lambda im: np.zeros(1),
                           (0, 4, 0, 4), resolution=8))


def test_colour_range_ignores_masked_cells():
    scores = np.array([[0.1, 0.2], [0.3, 50.0]], dtype=np.float32)
    inside = np.array([[True, True], [True, False]])
    a = Heatmap(scores, inside, (0, 1, 0, 1))
    lo, hi = inside_levels(a, upper_percentile=100)
    assert lo == 0.0 and hi == pytest.approx(0.3)
    # everything inside: the bright cell sets the scale
    assert inside_levels(Heatmap(scores, np.ones((2, 2), bool), (0, 1, 0, 1)),
                         upper_percentile=100)[1] == pytest.approx(50.0)
    # shared over two heatmaps, NaN ignored, nothing inside -> (0, 1)
    b = Heatmap(np.array([[np.nan, 0.6]], np.float32), np.array([[True, True]]), (0, 1, 0, 1))
    assert inside_levels(a, b, upper_percentile=100)[1] == pytest.approx(0.6)
    assert inside_levels(Heatmap(scores, np.zeros((2, 2), bool), (0, 1, 0, 1))) == (0.0, 1.0)


def test_outside_rectangles_cover_exactly_the_outside_cells():
    inside = np.array([[True, False, False, True],
                       [False, True, True, True]])
    rects = outside_rectangles(inside, (0.0, 4.0, 0.0, 1.0))
    assert rects == [(1.0, 0.0, 2.0, 0.5), (0.0, 0.5, 1.0, 0.5)]
    assert outside_rectangles(np.ones((3, 3), bool), (0, 1, 0, 1)) == []


def test_pixel_judge_is_the_nearest_real_distance():
    from latent_atlas.explorer.core.analysis.gaps.score import RealImageIndex

    real = np.zeros((2, 1, 2, 2), np.uint8)
    real[1] = 255
    judge = make_judge("pixel", real)
    assert isinstance(judge, PixelJudge) and judge.name == "pixel"
    q = np.full((3, 1, 2, 2), [[[[0.0]]], [[[1.0]]], [[[0.25]]]], dtype=np.float32)
    assert np.allclose(judge(q), [0.0, 0.0, 0.25], atol=1e-6)
    assert np.allclose(judge(q), RealImageIndex(real).nearest(q)[0])


def test_classifier_judge_hook_and_unknown_judges_say_what_to_do():
    real = np.zeros((2, 1, 2, 2), np.uint8)
    with pytest.raises(ValueError, match="labelled"):
        make_judge("classifier", real, None)
    with pytest.raises(ValueError, match="unknown judge"):
        make_judge("vibes", real)


def test_classifier_heatmap_judge_scores_noise_worse_than_digits():
    from latent_atlas.explorer.core.data import load_data

    data = load_data("digits", limit=500)
    judge = make_judge("classifier", data.images, data.labels)
    assert judge.name == "classifier" and "probability" in judge.unit
    real = judge(data.images[:100].astype(np.float32) / 255.0)
    noise = judge(np.random.default_rng(0).uniform(0, 1, (100, 1, 8, 8)).astype(np.float32))
    assert np.all((real >= 0) & (real <= 1)) and np.median(noise) > np.median(real) + 0.3
