"""Retrieval: k nearest codes to a code, a sample, a map point and a user image."""

from __future__ import annotations

import numpy as np
import pytest
from applications_fixtures import digits_split, trained, untrained

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    nearest_codes,
    retrieve_at_point,
    retrieve_image,
    retrieve_sample,
)
from latent_atlas.explorer.core.inference import encode
from latent_atlas.explorer.core.latent.map import quick_map


@pytest.fixture(scope="module")
def codes():
    return np.random.default_rng(0).normal(size=(500, 5)).astype(np.float32)


def test_nearest_codes_match_brute_force(codes):
    q = np.random.default_rng(1).normal(size=5)
    hits = nearest_codes(codes, q, k=7)
    d = np.linalg.norm(codes.astype(np.float64) - q, axis=1)
    assert hits.indices.tolist() == np.argsort(d)[:7].tolist()
    np.testing.assert_allclose(hits.distances, np.sort(d)[:7], rtol=1e-6)
    cos = nearest_codes(codes, q, k=5, metric="cosine")
    sim = codes @ q / (np.linalg.norm(codes, axis=1) * np.linalg.norm(q))
    assert cos.indices.tolist() == np.argsort(-sim)[:5].tolist()
    np.testing.assert_allclose(cos.distances, 1 - np.sort(sim)[::-1][:5], rtol=1e-5, atol=1e-6)


def test_exclusion_small_sets_and_ties():
    z = np.array([[0.0], [1.0], [1.0], [3.0]], np.float32)
    hits = nearest_codes(z, [1.0], k=10, exclude=[1])
    assert hits.indices.tolist() == [2, 0, 3] and len(hits) == 3
    assert nearest_codes(z, [2.0], k=2).indices.tolist() == [1, 2]  # tie -> lower index first
    with pytest.raises(ApplicationError, match="no samples"):
        nearest_codes(z[:1], [0.0], exclude=[0])


def test_retrieve_sample_excludes_itself(codes):
    hits = retrieve_sample(codes, 42, k=4)
    assert 42 not in hits.indices
    np.testing.assert_array_equal(hits.query, codes[42])
    with pytest.raises(ApplicationError, match="out of range"):
        retrieve_sample(codes, 500)


def test_neighbours_in_a_trained_latent_share_the_label():
    model = trained("ae")
    train, test = digits_split()
    codes = encode(model, train.images)
    agree = [np.mean(train.labels[retrieve_sample(codes, i, k=5).indices] == train.labels[i])
             for i in range(0, 1500, 50)]
    assert np.mean(agree) > 0.7  # chance is 0.1


def test_retrieve_at_a_map_point_uses_the_inverse(codes):
    latent_map = quick_map(codes)
    hits = retrieve_at_point(latent_map, latent_map.positions[17], k=3)
    assert hits.indices[0] == 17 and hits.distances[0] == pytest.approx(0, abs=1e-4)
    xy = np.array([0.3, -0.2])
    np.testing.assert_allclose(retrieve_at_point(latent_map, xy).query, latent_map.inverse(xy))
    for bad in ([1.0], [np.nan, 0.0], "here"):
        with pytest.raises(ApplicationError, match="two finite numbers"):
            retrieve_at_point(latent_map, bad)
    with pytest.raises(ApplicationError, match="no map"):
        retrieve_at_point(None, (0, 0))


def test_retrieve_image_finds_the_same_picture():
    model = trained("ae")
    train, _ = digits_split()
    codes = encode(model, train.images)
    hits = retrieve_image(model, train.images[123], codes, k=3)
    assert hits.indices[0] == 123 and hits.distances[0] == pytest.approx(0, abs=1e-5)
    cvae = trained("cvae")
    hits = retrieve_image(cvae, train.images[5], codes, k=2, label=int(train.labels[5]))
    assert len(hits) == 2
    with pytest.raises(ApplicationError, match="0..9"):
        retrieve_image(cvae, train.images[5], codes, label=10)
    with pytest.raises(ApplicationError, match="one image"):
        retrieve_image(model, train.images[:2], codes)


@pytest.mark.parametrize("args, words", [
    ((np.zeros((0, 5)), np.zeros(5)), "non-empty"),
    ((np.zeros((3, 5)), np.zeros(4)), "4 values"),
    ((np.zeros((3, 5)), np.full(5, np.inf)), "finite"),
    ((np.full((3, 5), np.nan), np.zeros(5)), "NaN"),
])
def test_bad_retrieval_input_is_a_readable_error(args, words):
    with pytest.raises(ApplicationError, match=words):
        nearest_codes(*args)
    with pytest.raises(ApplicationError, match="k must be"):
        nearest_codes(np.zeros((3, 5)), np.zeros(5), k=0)
    with pytest.raises(ApplicationError, match="metric"):
        nearest_codes(np.zeros((3, 5)), np.zeros(5), metric="manhattan")
    with pytest.raises(ApplicationError, match="expects 8x8"):
        retrieve_image(untrained("ae"), np.zeros((1, 9, 9), np.uint8), np.zeros((3, 3)))
