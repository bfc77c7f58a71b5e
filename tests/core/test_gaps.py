"""The gap score: nearest-real-image distance of what the map decodes, on a grid."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from latent_atlas.explorer.core.analysis.gaps.score import (
    RealImageIndex,
    gap_grid,
    gap_grid_iter,
    grid_points,
    normalise,
    score_codes,
    shared_levels,
)
from latent_atlas.explorer.core.inference import Decoder
from latent_atlas.explorer.core.latent.map import LatentMap, quick_map
from latent_atlas.explorer.core.progress import Cancelled, drain


def _images(n=200, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 1, size, size), dtype=np.uint8)


class _LookupDecoder(nn.Module):
    """A 'model' whose decoder returns real image k for the code (k, anything):
    its decoded images are real images, so their gap score must be 0."""

    def __init__(self, images: np.ndarray):
        super().__init__()
        from latent_atlas.models.config import ModelConfig

        self.config = ModelConfig(kind="ae", input_shape=images.shape[1:], latent_dim=2)
        self.register_buffer("table", torch.from_numpy(images.astype(np.float32) / 255.0))
        self.dummy = nn.Parameter(torch.zeros(1))

    @property
    def latent_dim(self) -> int:
        return 2

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        k = z[:, 0].round().long().clamp(0, len(self.table) - 1)
        return self.table[k]


def test_nearest_matches_brute_force():
    real = _images()
    index = RealImageIndex(real, block=7)  # several blocks
    q = np.random.default_rng(1).uniform(0, 1, size=(50, 1, 8, 8)).astype(np.float32)
    dist, idx = index.nearest(q)
    flat_r = real.reshape(len(real), -1) / 255.0
    brute = np.sqrt(((q.reshape(50, 1, -1) - flat_r[None]) ** 2).mean(axis=2))
    # blocked and brute-force distances round differently: the index found is a nearest one
    rows = np.arange(len(q))
    np.testing.assert_allclose(brute[rows, idx], brute.min(axis=1), rtol=1e-5)
    np.testing.assert_allclose(dist, brute.min(axis=1), rtol=1e-5)
    # a real image is at distance 0 from itself
    d0, i0 = index.nearest(real[[3, 77]])
    np.testing.assert_allclose(d0, 0.0, atol=1e-6)
    np.testing.assert_array_equal(i0, [3, 77])


def test_capped_index_reports_original_indices():
    real = _images(500)
    index = RealImageIndex(real, max_images=100, seed=3)
    assert len(index) == 100
    k = index.indices[10]
    d, i = index.nearest(real[[k]])
    assert i[0] == k and d[0] == pytest.approx(0.0, abs=1e-6)


def test_grid_points_order_and_cell_centres():
    pts = grid_points((0.0, 4.0, 10.0, 12.0), (4, 2))
    assert pts.shape == (8, 2)
    np.testing.assert_allclose(pts[:4, 0], [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(pts[:4, 1], 10.5)
    np.testing.assert_allclose(pts[4:, 1], 11.5)
    with pytest.raises(ValueError, match="min <= max"):
        grid_points((1.0, 0.0, 0.0, 1.0), 4)
    with pytest.raises(ValueError, match="at least 1"):
        grid_points((0, 1, 0, 1), 0)


def test_decoded_real_images_score_zero_and_blends_score_more():
    real = _images(20)
    model = _LookupDecoder(real)
    index = RealImageIndex(real)
    dec = Decoder(model)
    scores, nearest = drain(score_codes(dec, np.c_[np.arange(20.0), np.zeros(20)], index))
    np.testing.assert_allclose(scores, 0.0, atol=1e-6)
    np.testing.assert_array_equal(nearest, np.arange(20))
    # a flat grey image is far from random-noise images
    grey = RealImageIndex(np.full((1, 1, 8, 8), 128, np.uint8))
    s, _ = drain(score_codes(dec, np.array([[0.0, 0.0]]), grey))
    expected = np.sqrt(((real[0] / 255.0 - 128 / 255.0) ** 2).mean())
    assert s[0] == pytest.approx(expected, rel=1e-5)


def test_gap_grid_over_a_real_model_is_in_range(digits):
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    model = build_model(ModelConfig(kind="ae", input_shape=digits.shape, latent_dim=4,
                                    hidden=(8, 16)))
    codes = encode(model, digits.images[:300])
    m = quick_map(codes)
    index = RealImageIndex(digits.images)
    x0, x1, y0, y1 = m.bounds()
    rect = (x0 - 1, x1 + 1, y0 - 1, y1 + 1)  # some cells outside the data
    events = []
    gen = gap_grid_iter(Decoder(model), m, index, rect, resolution=(24, 16))
    grid = drain(gen, events.append)
    assert grid.scores.shape == (16, 24) and grid.nearest.shape == (16, 24)
    assert grid.scores.dtype == np.float32 and np.isfinite(grid.scores).all()
    assert grid.scores.min() >= 0.0 and grid.scores.max() <= 1.0
    assert grid.scores.std() > 0  # the score varies over the map
    assert events[-1].done == events[-1].total == 16 * 24
    # the cell (iy, ix) holds the score of the point grid_points lists for it
    pts = grid_points(rect, (24, 16))
    img = Decoder(model).decode_float(m.inverse(pts[[24 * 5 + 7]]))
    assert grid.scores[5, 7] == pytest.approx(index.nearest(img)[0][0], rel=1e-5)
    assert grid_points(grid.rect, (24, 16)).shape == (384, 2)
    default = gap_grid(Decoder(model), m, index, resolution=8)
    assert default.rect == pytest.approx(m.bounds())


def test_gap_grid_cancel():
    real = _images(20)
    model = _LookupDecoder(real)
    m = LatentMap(method="identity", codes=np.c_[np.arange(20.0), np.zeros(20)].astype(np.float32),
                  positions=np.c_[np.arange(20.0), np.zeros(20)])
    with pytest.raises(Cancelled):
        drain(gap_grid_iter(Decoder(model), m, RealImageIndex(real), resolution=64,
                            cancel=lambda: True))


def test_shared_levels_give_one_scale_for_two_models():
    a = np.linspace(0.0, 0.2, 100)
    b = np.linspace(0.0, 0.6, 100)
    lo, hi = shared_levels(a, b, upper_percentile=100)
    assert (lo, hi) == (0.0, pytest.approx(0.6))
    na, nb = normalise(a, (lo, hi)), normalise(b, (lo, hi))
    assert na.max() == pytest.approx(1 / 3) and nb.max() == pytest.approx(1.0)
    assert na.min() >= 0 and nb.max() <= 1
    # the same score gets the same colour in both
    assert normalise(np.array([0.1]), (lo, hi)) == pytest.approx(normalise(b[[0]] + 0.1, (lo, hi)))
    assert shared_levels(np.zeros(5)) == (0.0, 1.0)  # all-zero scores still give a scale
    assert shared_levels() == (0.0, 1.0)
    assert normalise(np.array([5.0, -1.0]), (0.0, 2.0)).tolist() == [1.0, 0.0]


def test_mismatched_images_are_a_readable_error():
    index = RealImageIndex(_images(10))
    with pytest.raises(ValueError, match="cannot be compared"):
        index.nearest(np.zeros((2, 1, 4, 4), np.float32))
    with pytest.raises(ValueError, match="uint8"):
        RealImageIndex(np.zeros((3, 1, 8, 8), np.float32))
