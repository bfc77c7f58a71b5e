"""`MapLike.unaligned()`: the map as fitted, typed, where code used to guess at `.base`."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.comparison.align import SimilarityTransform, aligned_map
from latent_atlas.explorer.core.latent.map import quick_map


def test_a_fitted_map_is_its_own_unaligned_map_and_an_aligned_one_returns_its_base():
    codes = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    fitted = quick_map(codes)
    assert fitted.unaligned() is fitted
    turn = SimilarityTransform(np.array([[0.0, -1.0], [1.0, 0.0]]), 2.0, np.array([3.0, -1.0]))
    moved = aligned_map(fitted, turn)
    assert moved.unaligned() is fitted
    assert not np.allclose(moved.positions, fitted.positions)
    # aligning an aligned map re-bases it: still one step from what was fitted
    again = aligned_map(moved, turn)
    assert again.unaligned() is fitted
    np.testing.assert_allclose(again.unaligned().codes, codes)
