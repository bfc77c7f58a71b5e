"""Layout faithfulness: neighbourhood kept per point and the sampled trustworthiness."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.faithfulness import faithfulness_iter
from latent_atlas.explorer.core.progress import drain


def test_a_faithful_map_keeps_every_neighbourhood_a_shuffled_one_none():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(600, 2))
    same = drain(faithfulness_iter(codes, codes * 3.0 + 1.0, sample=200), lambda _e: None)
    assert np.allclose(same.kept, 1.0) and same.trustworthiness > 0.999
    shuffled = drain(faithfulness_iter(codes, codes[rng.permutation(600)], sample=200),
                     lambda _e: None)
    assert shuffled.kept.mean() < 0.1 and shuffled.trustworthiness < 0.6
    assert "trustworthiness" in same.sentence()


def test_a_torn_map_marks_the_points_at_the_tear():
    rng = np.random.default_rng(1)
    codes = rng.uniform(size=(800, 2))
    torn = codes.copy()
    right = torn[:, 0] > 0.5
    torn[right, 1] = (torn[right, 1] + 0.5) % 1.0  # the right half cut and slid
    out = drain(faithfulness_iter(codes, torn, sample=200), lambda _e: None)
    seam = right & (np.abs(torn[:, 1] - 0.5) < 0.05)
    calm = (codes[:, 0] < 0.3) & (np.abs(codes[:, 1] - 0.5) < 0.2)
    assert out.kept[seam].mean() < out.kept[calm].mean() - 0.2
