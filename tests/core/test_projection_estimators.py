"""One estimator per map method: the same fitted object fits, places and inverts, and a
stored map rebuilds it without fitting (latent_atlas.explorer.core.latent.projection)."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.map import LatentMap, build_map
from latent_atlas.explorer.core.latent.methods import fitted
from latent_atlas.explorer.core.latent.projection import (
    FIT_INDEX,
    IdentityProjection,
    PCAProjection,
)
from latent_atlas.explorer.core.progress import drain


def _codes(n=80, d=5, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def test_pca_places_linearly_and_inverts_exactly_at_every_data_point():
    codes = _codes()
    proj = PCAProjection().fit(codes)
    assert proj.codes_ is not None and proj.embedding_.shape == (80, 2)
    assert proj.components_.shape == (2, 5) and proj.mean_.shape == (5,)
    # transform is the linear projection
    expected = (codes.astype(np.float64) - proj.mean_) @ proj.components_.T
    np.testing.assert_allclose(proj.transform(codes), expected, atol=1e-5)
    # the inverse is the triangulation: exact at the data (a linear back-projection is not)
    np.testing.assert_allclose(proj.inverse_transform(proj.embedding_), codes, atol=1e-4)
    linear = proj.embedding_.astype(np.float64) @ proj.components_ + proj.mean_
    assert np.abs(linear - codes).max() > 0.1


def test_identity_is_exact_both_ways_and_refuses_other_latents():
    codes = _codes(d=2)
    proj = IdentityProjection().fit(codes)
    xy = np.array([[10.0, -3.0], [0.5, 0.25]])
    np.testing.assert_allclose(proj.inverse_transform(xy), xy)
    np.testing.assert_allclose(proj.transform(xy), xy)
    assert proj.inside_hull(xy).all()
    with pytest.raises(ValueError, match="needs a 2-D latent"):
        IdentityProjection().fit(_codes(d=3))


@pytest.mark.parametrize("method", ["pca", "identity"])
def test_a_stored_map_rebuilds_the_same_estimator_without_fitting(method):
    codes = _codes(d=2 if method == "identity" else 5)
    m = drain(build_map(codes, method))
    meta, arrays = m.to_file_parts()
    again = LatentMap.from_file_parts(meta, arrays)
    assert type(again.projection) is type(m.projection)
    pts = np.array([[0.1, 0.2], [1.5, -0.5]], dtype=np.float32)
    np.testing.assert_allclose(again.inverse(pts), m.inverse(pts), atol=1e-6)
    np.testing.assert_allclose(again.place(codes[:4]), m.place(codes[:4]), atol=1e-6)
    # the map's inverse and placement are its estimator's
    np.testing.assert_allclose(m.inverse(pts), m.projection.inverse_transform(pts), atol=0)


def test_a_subsampled_fit_inverts_and_places_from_its_fitted_rows_only():
    codes = _codes(n=40)
    positions = np.random.default_rng(1).normal(size=(40, 2)).astype(np.float32)
    fit = np.arange(0, 40, 2)
    proj = fitted("umap", codes, positions, {FIT_INDEX: fit})
    anchors_codes, anchors_xy = proj._anchors()
    assert len(anchors_codes) == 20 and np.array_equal(anchors_xy, positions[fit])
    assert len(proj.triangulation().points) == 20
    np.testing.assert_allclose(proj.inverse_transform(positions[fit]), codes[fit], atol=1e-4)
    # a fitted code is placed at (or very near) its own position
    np.testing.assert_allclose(proj.transform(codes[fit[:3]]), positions[fit[:3]], atol=1e-3)


def test_a_pca_map_without_its_components_is_refused():
    with pytest.raises(ValueError, match="mean and two components"):
        LatentMap(method="pca", codes=_codes(), positions=np.zeros((80, 2), np.float32))
