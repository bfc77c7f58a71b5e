"""Gap scoring contracts: dtypes, defaults, reproducible subsets, progress, the grid's
cells for any rectangle, and the colour scale's edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from latent_atlas.explorer.core.analysis.gaps.score import (
    GapProgress,
    RealImageIndex,
    flatten_float,
    gap_grid,
    gap_grid_iter,
    grid_points,
    normalise,
    score_codes,
    shared_levels,
)
from latent_atlas.explorer.core.inference import Decoder
from latent_atlas.explorer.core.latent.map import LatentMap
from latent_atlas.explorer.core.progress import Cancelled, drain


def _images(n=60, size=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 1, size, size), dtype=np.uint8)


class _Grey(nn.Module):
    """Decodes code (a, b) to a flat image of grey level sigmoid(a + b / 3)."""

    def __init__(self):
        super().__init__()
        from latent_atlas.models.config import ModelConfig

        self.config = ModelConfig(kind="ae", input_shape=(1, 4, 4), latent_dim=2)
        self.dummy = nn.Parameter(torch.zeros(1))

    @property
    def latent_dim(self) -> int:
        return 2

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z[:, :1] + z[:, 1:] / 3)[:, :, None, None].expand(-1, 1, 4, 4)


def test_flatten_float_dtypes_and_errors():
    u8 = _images(3)
    f = flatten_float(u8)
    assert f.dtype == np.float32 and f.shape == (3, 16) and f.flags.c_contiguous
    np.testing.assert_array_equal(f, u8.reshape(3, 16).astype(np.float32) / np.float32(255))
    f64 = np.random.default_rng(0).random((2, 1, 4, 4))
    g = flatten_float(f64[:, :, ::-1])
    assert g.dtype == np.float32 and g.flags.c_contiguous
    np.testing.assert_allclose(g, f64[:, :, ::-1].reshape(2, 16), rtol=1e-6)
    with pytest.raises(ValueError, match=r"expected a batch of images, not shape \(3,\)"):
        flatten_float(np.zeros(3))


@pytest.mark.parametrize("bad", [np.zeros((3, 4, 4), np.uint8), np.zeros((0, 1, 4, 4), np.uint8),
                                 np.zeros((3, 1, 4, 4), np.float32)])
def test_real_images_must_be_a_nonempty_uint8_batch(bad):
    with pytest.raises(ValueError, match="the real images must be uint8 N x C x H x W with N >= 1"):
        RealImageIndex(bad)


def test_capped_index_is_a_reproducible_subset_without_repeats():
    imgs = _images(50)
    a = RealImageIndex(imgs, max_images=20)
    b = RealImageIndex(imgs, max_images=20, seed=0)
    c = RealImageIndex(imgs, max_images=20, seed=1)
    assert len(a) == 20 and len(set(a.indices.tolist())) == 20
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)
    assert np.all(np.diff(a.indices) > 0)
    np.testing.assert_array_equal(RealImageIndex(imgs, max_images=50).indices, np.arange(50))


def test_nearest_dtypes_blocks_and_shape_error():
    imgs = _images(40)
    index = RealImageIndex(imgs, block=7)
    q = np.random.default_rng(1).random((23, 1, 4, 4)).astype(np.float32)
    dist, idx = index.nearest(q)
    assert dist.dtype == np.float32 and idx.dtype == np.int64
    ref = imgs.reshape(40, -1).astype(np.float64) / 255
    d2 = ((q.reshape(23, 1, -1) - ref[None]) ** 2).mean(axis=2)
    np.testing.assert_array_equal(idx, d2.argmin(axis=1))
    np.testing.assert_allclose(dist, np.sqrt(d2.min(axis=1)), rtol=1e-5)
    with pytest.raises(ValueError, match=r"images of 9 values cannot be compared with real "
                                         r"images of shape \(1, 4, 4\)"):
        index.nearest(np.zeros((2, 1, 3, 3), np.float32))


def test_grid_points_any_rectangle_and_sizes():
    pts = grid_points((2.0, 6.0, -3.0, -1.0), (4, 2))
    np.testing.assert_allclose(pts[:4, 0], [2.5, 3.5, 4.5, 5.5])
    np.testing.assert_allclose(pts[::4, 1], [-2.5, -1.5])
    np.testing.assert_allclose(grid_points((1.0, 3.0, 5.0, 9.0), 1), [[2.0, 7.0]])
    assert grid_points((0, 1, 0, 1), (1, 3)).shape == (3, 2)
    assert grid_points((0, 1, 0, 1), (3, 1)).shape == (3, 2)
    np.testing.assert_allclose(grid_points((2.0, 2.0, 0.0, 0.0), 2), [[2, 0]] * 4)  # a point
    for res in ((0, 4), (4, 0), 0):
        with pytest.raises(ValueError, match="at least 1 x 1 cells"):
            grid_points((0, 1, 0, 1), res)
    for rect in ((1.0, 0.0, 0.0, 1.0), (0.0, 1.0, 1.0, 0.0), (0.0, np.nan, 0.0, 1.0)):
        with pytest.raises(ValueError, match="finite with min <= max"):
            grid_points(rect, 2)


def test_score_codes_progress_batches_and_dtypes():
    real = _images(30)
    dec = Decoder(_Grey())
    codes = np.random.default_rng(2).normal(size=(10, 2))
    events = []
    scores, nearest = drain(score_codes(dec, codes, RealImageIndex(real), batch_size=4),
                            events.append)
    assert [(e.done, e.total) for e in events] == [(0, 10), (4, 10), (8, 10), (10, 10)]
    assert isinstance(events[0], GapProgress) and events[0].fraction == 0.0
    assert scores.dtype == np.float32 and nearest.dtype == np.int64
    d, i = RealImageIndex(real).nearest(dec.decode_float(codes.astype(np.float32)))
    np.testing.assert_allclose(scores, d, rtol=1e-6)
    np.testing.assert_array_equal(nearest, i)
    with pytest.raises(Cancelled, match="gap scoring cancelled"):
        drain(score_codes(dec, codes, RealImageIndex(real), cancel=lambda: True))
    assert GapProgress(0, 0).fraction == 1.0


def test_gap_grid_default_resolution_and_explicit_rectangle():
    real = _images(30)
    dec = Decoder(_Grey())
    codes = np.random.default_rng(3).normal(size=(25, 2)).astype(np.float32)
    m = LatentMap("identity", codes, codes)
    index = RealImageIndex(real)
    default = gap_grid(dec, m, index)
    assert default.shape == (64, 64)
    assert default.rect == pytest.approx(m.bounds())
    rect = (-1.0, 0.5, 2.0, 4.0)
    grid = gap_grid(dec, m, index, rect, (3, 2))
    assert grid.rect == rect and grid.shape == (2, 3)
    want, _ = index.nearest(dec.decode_float(grid_points(rect, (3, 2)).astype(np.float32)))
    np.testing.assert_allclose(grid.scores.ravel(), want, rtol=1e-6)
    it = drain(gap_grid_iter(dec, m, index, rect))
    assert it.shape == (64, 64) and it.rect == rect


def test_shared_levels_default_percentile_and_empty_inputs():
    a = np.linspace(0.0, 1.0, 101, dtype=np.float32)
    b = np.array([[2.0, np.nan], [np.inf, 0.5]])
    lo, hi = shared_levels(a, b)
    finite = np.r_[a.astype(np.float64), 2.0, 0.5]
    assert lo == 0.0 and hi == pytest.approx(float(np.percentile(finite, 99)), rel=1e-12)
    assert shared_levels(np.array([]), a, upper_percentile=50) == (0.0, pytest.approx(0.5))
    assert shared_levels(np.array([np.nan])) == (0.0, 1.0)


def test_normalise_offsets_scales_and_degenerate_levels():
    s = np.array([0.1, 0.3, 0.5, 0.9], np.float64)
    out = normalise(s, (0.2, 0.7))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.0, 0.2, 0.6, 1.0], rtol=1e-6, atol=1e-7)
    # equal or inverted levels: span 1 from lo
    np.testing.assert_allclose(normalise(s, (0.2, 0.2)), [0.0, 0.1, 0.3, 0.7], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(normalise(s, (0.3, 0.1)), [0.0, 0.0, 0.2, 0.6], rtol=1e-6, atol=1e-7)
