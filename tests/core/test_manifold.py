"""The manifold grid of a 2-D latent (latent_atlas.explorer.core.analysis.claims.manifold): order, squares,
the shared frame."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.claims.manifold import (
    ManifoldGrid,
    frame_rect,
    grid_centres,
    is_latent_map,
    latent_square,
    manifold_grid,
    shared_rect,
)
from latent_atlas.explorer.core.latent.map import LatentMap


class CodeDecoder:
    """A fake decoder whose 2 x 3 'image' spells out the code it was given: pixel row 0
    holds round(10 * x), row 1 round(10 * y) (so order and position can be read back)."""

    def decode(self, z):
        z = np.asarray(z, dtype=np.float64)
        img = np.empty((len(z), 2, 3), dtype=np.uint8)
        img[:, 0, :] = np.rint(100 + 10 * z[:, :1])
        img[:, 1, :] = np.rint(100 + 10 * z[:, 1:2])
        return img


def read_codes(images):
    return (images[..., 0, 0].astype(float) - 100) / 10, (images[..., 1, 0].astype(float) - 100) / 10


def test_grid_is_n_by_n_with_top_left_at_xmin_ymax():
    rect = (-2.0, 2.0, -1.0, 3.0)
    grid = manifold_grid(CodeDecoder(), None, rect, n=4)
    assert grid.images.shape == (4, 4, 2, 3) and grid.n == 4
    xs, ys = read_codes(grid.images)
    # cell centres: x = -1.5, -0.5, 0.5, 1.5 left to right; y = 2.5, 1.5, 0.5, -0.5 top down
    assert np.allclose(xs, np.tile([-1.5, -0.5, 0.5, 1.5], (4, 1)))
    assert np.allclose(ys, np.tile([[2.5], [1.5], [0.5], [-0.5]], (1, 4)))
    assert xs[0, 0] < xs[0, -1] and ys[0, 0] > ys[-1, 0]  # top-left is (xmin, ymax)


def test_grid_goes_through_the_maps_inverse():
    # An identity map moved by a similarity transform: the grid is laid out in the map's
    # frame and decoded at the latent codes under each cell.
    from latent_atlas.explorer.core.analysis.comparison.align import (
        SimilarityTransform,
        aligned_map,
    )

    codes = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    base = LatentMap("identity", codes, codes)
    shifted = aligned_map(base, SimilarityTransform(np.eye(2), 2.0, np.array([10.0, 0.0])))
    grid = manifold_grid(CodeDecoder(), shifted, (8.0, 12.0, -2.0, 2.0), n=2)
    xs, ys = read_codes(grid.images)
    # map x 9 -> latent (9 - 10) / 2 = -0.5; map y 1 -> latent 0.5
    assert np.allclose(xs, [[-0.5, 0.5], [-0.5, 0.5]]) and np.allclose(ys, [[0.5, 0.5], [-0.5, -0.5]])


def test_mosaic_tiles_without_gaps_top_row_first():
    grid = manifold_grid(CodeDecoder(), None, (0.0, 1.0, 0.0, 1.0), n=3)
    mosaic = grid.mosaic()
    assert mosaic.shape == (3 * 2, 3 * 3)
    for r in range(3):
        for c in range(3):
            assert np.array_equal(mosaic[2 * r:2 * r + 2, 3 * c:3 * c + 3], grid.images[r, c])
    rgb = ManifoldGrid(np.zeros((2, 2, 4, 5, 3), np.uint8), (0, 1, 0, 1))
    assert rgb.mosaic().shape == (8, 10, 3)


def test_squares_vae_prior_and_ae_codes_range():
    assert latent_square(True) == (-3.0, 3.0, -3.0, 3.0)
    codes = np.array([[-5.0, 1.0], [7.0, 2.0], [0.0, 4.0]])
    assert latent_square(False, codes) == (-5.0, 7.0, 1.0, 4.0)
    flat = latent_square(False, np.array([[1.0, 2.0], [1.0, 2.0]]))
    assert flat[1] > flat[0] and flat[3] > flat[2]
    with pytest.raises(ValueError, match="codes"):
        latent_square(False)
    with pytest.raises(ValueError, match="N x 2"):
        latent_square(False, np.zeros((4, 3)))
    assert shared_rect((0, 1, 0, 1), (-1, 0.5, 0.5, 2)) == (-1.0, 1.0, 0.0, 2.0)


def test_frame_rect_moves_a_latent_square_into_the_aligned_frame():
    from latent_atlas.explorer.core.analysis.comparison.align import (
        SimilarityTransform,
        aligned_map,
    )

    codes = np.random.default_rng(1).normal(size=(30, 2)).astype(np.float32)
    base = LatentMap("identity", codes, codes)
    assert np.allclose(frame_rect(base, (-3, 3, -3, 3)), (-3, 3, -3, 3))
    quarter = np.array([[0.0, -1.0], [1.0, 0.0]])
    moved = aligned_map(base, SimilarityTransform(quarter, 0.5, np.array([1.0, 2.0])))
    assert np.allclose(frame_rect(moved, (-2, 2, -1, 1)), (0.5, 1.5, 1.0, 3.0), atol=1e-5)


def test_only_identity_maps_of_2d_latents_get_the_grid():
    codes = np.random.default_rng(2).normal(size=(20, 2)).astype(np.float32)
    assert is_latent_map(LatentMap("identity", codes, codes))
    assert not is_latent_map(None)
    from latent_atlas.explorer.core.latent.map import quick_map

    assert not is_latent_map(quick_map(codes))


def test_bad_sizes_and_rects_are_refused():
    with pytest.raises(ValueError, match="1 to 64"):
        manifold_grid(CodeDecoder(), None, (0, 1, 0, 1), n=0)
    with pytest.raises(ValueError, match="min < max"):
        grid_centres((1, 0, 0, 1), 3)
