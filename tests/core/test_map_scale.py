"""Maps at scale (issue 12): UMAP on a seeded subsample, the rest placed by k-NN, the
placement's quality measured, the inverse built on the fitted points, cuML optional."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.data import load_data
from latent_atlas.explorer.core.latent.map import FIT_INDEX, LatentMap, build_map
from latent_atlas.explorer.core.latent.placement import (
    NeighbourPlacer,
    place_codes,
    trustworthiness_sample,
)
from latent_atlas.explorer.core.latent.umap_projection import UMAPProjection
from latent_atlas.explorer.core.latent.umap_runtime import cuml_available, cuml_umap_class
from latent_atlas.explorer.core.progress import drain

slow = pytest.mark.slow  # UMAP fits (numba compiles on a cold cache)
N, SUB = 5000, 1000


@pytest.fixture(scope="module")
def codes():
    """8-D codes of shapes:5000: the images' first principal components (no model needed)."""
    images = load_data(f"shapes:{N}").images.reshape(N, -1).astype(np.float32) / 255
    centred = images - images.mean(axis=0)
    _, _, vt = np.linalg.svd(centred[:2000], full_matrices=False)
    return (centred @ vt[:8].T).astype(np.float32)


@pytest.fixture(scope="module")
def sub_map(codes):
    events = []
    m = drain(build_map(codes, "umap", subsample=SUB, seed=3, reproducible=True),
              events.append)
    return m, events


@pytest.fixture(scope="module")
def full_map(codes):
    return drain(build_map(codes, "umap", subsample=None, seed=3, reproducible=True))


@slow
def test_a_subsample_fit_places_every_point(sub_map):
    m, events = sub_map
    assert m.positions.shape == (N, 2) and np.isfinite(m.positions).all()
    fit = m.extra[FIT_INDEX]
    assert len(fit) == SUB and (np.diff(fit) > 0).all()
    assert m.params["subsample"] == SUB and m.params["backend"] == "umap-learn"
    stages = [e.stage for e in events]
    assert "place" in stages and stages.index("place") > stages.index("neighbours")
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions)
    # the placed points do not pile up: they spread over the fitted map's extent
    placed = np.setdiff1d(np.arange(N), fit)
    lo, hi = m.positions[fit].min(axis=0), m.positions[fit].max(axis=0)
    inside = ((m.positions[placed] >= lo - 1) & (m.positions[placed] <= hi + 1)).all(axis=1)
    assert inside.mean() > 0.99
    assert len(np.unique(m.positions[placed].round(3), axis=0)) > 0.9 * len(placed)


@slow
def test_placement_quality_is_reported_and_close_to_the_fitted_points(sub_map):
    m, _ = sub_map
    assert 0.85 < m.params["trust_placed"] <= 1.0
    assert m.params["trust_placed"] > m.params["trust_fitted"] - 0.05


@slow
def test_placed_points_sit_where_a_full_fit_puts_their_neighbours(codes, sub_map, full_map):
    m, _ = sub_map
    placed = np.setdiff1d(np.arange(N), m.extra[FIT_INDEX])
    pick = np.random.default_rng(0).choice(placed, 1500, replace=False)
    t_sub = trustworthiness_sample(codes, m.positions, pick)
    t_full = trustworthiness_sample(codes, full_map.positions, pick)
    assert t_sub > 0.85
    assert t_sub > t_full - 0.05  # the placement keeps neighbourhoods about as well


@slow
def test_the_same_seed_gives_the_same_map(codes, sub_map):
    m, _ = sub_map
    again = drain(build_map(codes, "umap", subsample=SUB, seed=3, reproducible=True))
    np.testing.assert_array_equal(again.extra[FIT_INDEX], m.extra[FIT_INDEX])
    np.testing.assert_allclose(again.positions, m.positions, atol=1e-4)
    other = UMAPProjection(subsample=SUB, seed=4, reproducible=True)
    rng_pick = np.sort(np.random.default_rng(4).choice(N, SUB, replace=False))
    assert not np.array_equal(rng_pick, m.extra[FIT_INDEX])
    assert other.subsample == SUB


@slow
def test_inverse_and_placement_use_the_fitted_points(sub_map, tmp_path):
    m, _ = sub_map
    fit = m.extra[FIT_INDEX]
    z = m.inverse(m.positions[fit[:200]])
    np.testing.assert_allclose(z, m.codes[fit[:200]], rtol=1e-4, atol=1e-4)
    m.prepare()
    assert len(m.projection.triangulation().points) <= SUB
    np.testing.assert_allclose(m.place(m.codes[fit[:50]]), m.positions[fit[:50]], atol=1e-5)
    # stored and read back with its fit index
    meta, arrays = m.to_file_parts()
    back = LatentMap.from_file_parts(meta, arrays)
    np.testing.assert_array_equal(back.extra[FIT_INDEX], fit)


def test_a_damaged_fit_index_is_refused():
    rng = np.random.default_rng(0)
    codes, pos = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    for bad in (np.array([3, 2]), np.array([0, 25]), np.array([0.5, 1.0])):
        with pytest.raises(ValueError, match="fit index"):
            LatentMap("umap", codes, pos, extra={FIT_INDEX: bad})


def test_exact_bulk_placement_matches_the_click_placement():
    rng = np.random.default_rng(1)
    data, pos = rng.normal(size=(500, 6)), rng.normal(size=(500, 2))
    queries = rng.normal(size=(3000, 6))
    got = drain(place_codes(data, pos, queries, exact=True))
    np.testing.assert_allclose(got, NeighbourPlacer(data, pos)(queries), atol=1e-5)
    np.testing.assert_array_equal(drain(place_codes(data, pos, data[:5])), pos[:5].astype(np.float32))


@slow
def test_approximate_placement_lands_near_the_exact_one():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(10, 8)) * 5
    data = centres[rng.integers(0, 10, 4000)] + rng.normal(size=(4000, 8))
    pos = data[:, :2] * 3  # positions that follow the codes
    queries = centres[rng.integers(0, 10, 2000)] + rng.normal(size=(2000, 8))
    exact = drain(place_codes(data, pos, queries, exact=True))
    approx = drain(place_codes(data, pos, queries, exact=False, seed=0))
    err = np.linalg.norm(approx - exact, axis=1)
    assert np.isfinite(approx).all()
    assert np.median(err) < 0.05 * np.ptp(pos, axis=0).max()


def test_cuml_is_detected_at_run_time_and_absent_here():
    assert cuml_umap_class() is None
    assert cuml_available() is False


def test_a_required_gpu_without_cuml_is_a_readable_error(codes):
    proj = UMAPProjection(gpu=True, subsample=None)
    with pytest.raises(ValueError, match="cuML"):
        proj.fit(codes[:50])


def test_subsample_below_the_umap_minimum_is_refused():
    with pytest.raises(ValueError, match="subsample"):
        UMAPProjection(subsample=3)
