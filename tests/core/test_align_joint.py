"""Two UMAP maps fitted together (`build_joint_maps`, umap-learn's AlignedUMAP): the same
sample lands in nearly the same place in both, and each map keeps its neighbourhoods."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.comparison.align import (
    align_maps,
    alignment_error,
    build_joint_maps,
)
from latent_atlas.explorer.core.latent.map import build_map
from latent_atlas.explorer.core.progress import drain


def _two_models(n: int = 300, seed: int = 0):
    """Codes of 'two models' of one data set: 6 clusters in 6-D, and the same codes
    rotated, rescaled and slightly noisy in 4-D (other units, the same neighbourhoods)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (6, 6))
    a = (centres[rng.integers(0, 6, n)] + rng.normal(0, 1, (n, 6))).astype(np.float32)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    b = (2.5 * a @ q[:, :4] + rng.normal(0, 0.05, (n, 4))).astype(np.float32)
    return a, b


@pytest.mark.slow  # AlignedUMAP: numba compiles it once per machine (about a minute)
def test_fitting_together_puts_each_sample_in_nearly_the_same_place():
    from sklearn.manifold import trustworthiness

    a, b = _two_models()
    left, right = drain(build_joint_maps(a, b, seed=0))
    assert left.method == right.method == "umap" and left.n_points == right.n_points == 300
    assert right.base is not None and left.params["init"].startswith("fitted together")
    joint = alignment_error(right.positions, left.positions)
    assert joint == pytest.approx(right.params["alignment_error"], abs=1e-5)
    # two independent fits, Procrustes-aligned: clusters where each fit put them
    sep_a = drain(build_map(a, "umap", seed=1, reproducible=True))
    sep_b = drain(build_map(b, "umap", seed=2, reproducible=True))
    apart = align_maps(sep_b, sep_a).params["alignment_error"]
    assert joint < 0.5 * apart, (joint, apart)
    for codes, m, sep in ((a, left, sep_a), (b, right, sep_b)):
        assert trustworthiness(codes, m.positions, n_neighbors=10) > \
            trustworthiness(codes, sep.positions, n_neighbors=10) - 0.05
    # each is a map like any other: exact inverse at its data points
    np.testing.assert_allclose(left.inverse(left.positions[:5]), a[:5], atol=1e-4)
    np.testing.assert_allclose(right.inverse(right.positions[:5]), b[:5], atol=1e-4)


@pytest.mark.parametrize("a, b, kwargs, needle", [
    (np.zeros((20, 3)), np.zeros((19, 3)), {}, "same samples"),
    (np.zeros((5, 3)), np.zeros((5, 3)), {}, "too few"),
    (np.zeros((20, 3)), np.zeros((20, 3)), {"regularisation": 0.0}, "above 0"),
    (np.full((20, 3), np.nan), np.zeros((20, 3)), {}, "finite"),
])
def test_fitting_together_refuses_what_it_cannot_fit(a, b, kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        drain(build_joint_maps(a, b, **kwargs))
