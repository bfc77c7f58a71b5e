"""Procrustes alignment of one latent map onto another."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.comparison.align import (
    AlignedMap,
    SimilarityTransform,
    align_maps,
    aligned_map,
    alignment_error,
    fit_similarity,
)
from latent_atlas.explorer.core.latent.map import LatentMap, quick_map


def _rotation(angle: float, mirror: bool = False) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    r = np.array([[c, s], [-s, c]])
    return r @ np.diag([1.0, -1.0]) if mirror else r


def _codes(n=300, d=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, d)) * 4
    return (centres[rng.integers(0, 5, n)] + rng.normal(size=(n, d))).astype(np.float32)


def _fake_umap(codes: np.ndarray, positions: np.ndarray) -> LatentMap:
    return LatentMap(method="umap", codes=codes, positions=positions)


@pytest.mark.parametrize("mirror", [False, True])
def test_fit_recovers_a_known_similarity(mirror):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 2))
    true = SimilarityTransform(_rotation(0.7, mirror), 2.5, np.array([3.0, -1.0]))
    fit = fit_similarity(a, true.apply(a))
    np.testing.assert_allclose(fit.rotation, true.rotation, atol=1e-9)
    assert fit.scale == pytest.approx(2.5)
    np.testing.assert_allclose(fit.translation, true.translation, atol=1e-9)
    assert fit.reflects == mirror


def test_transform_maps_new_points_and_inverts():
    t = SimilarityTransform(_rotation(-1.2, True), 0.3, np.array([10.0, 4.0]))
    p = np.random.default_rng(2).normal(size=(20, 2)) * 5
    np.testing.assert_allclose(t.inverse().apply(t.apply(p)), p, atol=1e-12)
    np.testing.assert_allclose(t.inverse_apply(t.apply(p)), p, atol=1e-12)
    assert t.apply(p[0]).shape == (2,)
    again = SimilarityTransform.from_dict(t.to_dict())
    np.testing.assert_allclose(again.apply(p), t.apply(p))


def test_no_reflection_gives_a_proper_rotation():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(40, 2))
    b = a @ _rotation(0.3, mirror=True)
    assert fit_similarity(a, b).reflects
    proper = fit_similarity(a, b, allow_reflection=False)
    assert np.linalg.det(proper.rotation) == pytest.approx(1.0)
    # the mirrored target cannot be matched by a rotation: the residual stays large
    assert alignment_error(proper.apply(a), b) > 0.5


def test_shared_samples_agree_better_after_alignment():
    codes = _codes()
    rng = np.random.default_rng(4)
    # The second model's codes: the same structure in another basis, with its own noise,
    # so its PCA map is the first one rotated / mirrored / rescaled, plus disagreement.
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    other = (codes @ q * 0.2 + rng.normal(size=codes.shape) * 0.05 + 3).astype(np.float32)
    ref, moving = quick_map(codes), quick_map(other)
    before = np.linalg.norm(moving.positions - ref.positions, axis=1)
    aligned = align_maps(moving, ref)
    after = np.linalg.norm(aligned.positions - ref.positions, axis=1)
    assert np.median(after) < 0.2 * np.median(before)
    assert (after < before).mean() > 0.9  # nearly every shared sample moved closer
    assert aligned.params["alignment_error"] < 0.2
    assert alignment_error(moving.positions, ref.positions) > 0.5


@pytest.mark.parametrize("method", ["pca", "umap"])
def test_aligned_map_is_exact_at_its_data_points_and_places_consistently(method):
    codes = _codes(seed=5)
    base = quick_map(codes)
    if method == "umap":  # a non-linear layout; the map machinery is the same
        p = base.positions.astype(np.float64)
        base = _fake_umap(codes, np.c_[p[:, 0] + 0.1 * p[:, 1] ** 2, np.tanh(p[:, 1] / 4) * 9])
    t = SimilarityTransform(_rotation(2.0, True), 7.0, np.array([-40.0, 12.0]))
    m = aligned_map(base, t)
    assert isinstance(m, AlignedMap) and m.method == method
    np.testing.assert_allclose(m.positions, t.apply(base.positions), rtol=1e-5, atol=1e-4)
    z = m.inverse(m.positions)
    rel = np.linalg.norm(z - codes, axis=1) / np.linalg.norm(codes, axis=1)
    assert rel.max() <= 1e-4
    # a click on the aligned map decodes what the same spot of the base map decodes
    xy = np.random.default_rng(6).uniform(*m.bounds()[:2], size=(100, 2))
    np.testing.assert_allclose(m.inverse(xy), base.inverse(t.inverse_apply(xy)), atol=1e-4)
    # placing a data code lands on its aligned sample; new codes follow the transform
    np.testing.assert_allclose(m.place(codes[:20]), m.positions[:20], atol=1e-3)
    new = codes[:5] + 0.3
    np.testing.assert_allclose(m.place(new), t.apply(base.place(new)), rtol=1e-5, atol=1e-4)
    assert m.place(new[0]).shape == (2,)
    # stored files keep the base map
    meta, arrays = m.to_file_parts()
    np.testing.assert_array_equal(arrays["map.positions"], base.positions)


def test_identity_map_aligned_inverts_to_its_codes():
    codes = _codes(d=2, seed=7)
    base = LatentMap(method="identity", codes=codes, positions=codes)
    t = SimilarityTransform(_rotation(0.4), 3.0, np.array([1.0, 2.0]))
    m = aligned_map(base, t)
    np.testing.assert_allclose(m.inverse(m.positions), codes, rtol=1e-5, atol=1e-5)
    far = np.array([[1e6, -1e6]])  # defined everywhere, no NaN
    assert np.isfinite(m.inverse(far)).all()
    np.testing.assert_allclose(m.place(codes), m.positions, atol=1e-4)


def test_realigning_an_aligned_map_composes_the_transforms():
    codes = _codes(seed=8)
    base = quick_map(codes)
    t1 = SimilarityTransform(_rotation(0.5), 2.0, np.array([1.0, 0.0]))
    t2 = SimilarityTransform(_rotation(-1.1, True), 0.5, np.array([0.0, 3.0]))
    twice = aligned_map(aligned_map(base, t1), t2)
    assert twice.base is base
    np.testing.assert_allclose(twice.positions, t2.apply(t1.apply(base.positions)), atol=1e-4)


def test_align_with_explicit_shared_samples():
    codes = _codes(seed=9)
    ref = quick_map(codes)
    t = SimilarityTransform(_rotation(1.0), 0.5, np.array([5.0, 5.0]))
    moved = aligned_map(ref, t)
    part = LatentMap(method="umap", codes=codes[100:], positions=moved.positions[100:])
    idx = np.arange(200)
    back = align_maps(part, ref, shared=(idx, idx + 100))
    np.testing.assert_allclose(back.positions, ref.positions[100:], atol=1e-3)


def test_bad_alignment_input_is_a_readable_error():
    codes = _codes(seed=10)
    a, b = quick_map(codes), quick_map(codes[:100])
    with pytest.raises(ValueError, match="shared samples"):
        align_maps(a, b)
    with pytest.raises(ValueError, match="outside"):
        align_maps(a, b, shared=([0, 1, 500], [0, 1, 2]))
    with pytest.raises(ValueError, match="one point"):
        fit_similarity(np.ones((5, 2)), np.random.default_rng(0).normal(size=(5, 2)))
    with pytest.raises(ValueError, match="orthogonal"):
        SimilarityTransform(np.ones((2, 2)), 1.0, np.zeros(2))
    with pytest.raises(ValueError, match="needs the map"):
        AlignedMap(method="pca", codes=a.codes, positions=a.positions, extra=a.extra)


def test_build_aligned_map_for_a_pca_reference():
    from latent_atlas.explorer.core.analysis.comparison.align import build_aligned_map
    from latent_atlas.explorer.core.progress import drain

    codes = _codes(seed=11)
    rng = np.random.default_rng(12)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    other = (codes @ q * 3 + rng.normal(size=codes.shape) * 0.05).astype(np.float32)
    ref = quick_map(codes)
    m = drain(build_aligned_map(other, ref))
    assert isinstance(m, AlignedMap) and m.method == "pca"
    assert m.params["alignment_error"] < 0.2
    np.testing.assert_allclose(m.inverse(m.positions), other, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="same data"):
        drain(build_aligned_map(other[:50], ref))


@pytest.mark.slow
def test_build_aligned_map_lays_umap_out_like_the_reference():
    from latent_atlas.explorer.core.analysis.comparison.align import build_aligned_map
    from latent_atlas.explorer.core.latent.map import build_map
    from latent_atlas.explorer.core.progress import drain

    codes = _codes(n=600, d=8, seed=13)
    rng = np.random.default_rng(14)
    q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    other = (np.tanh(codes @ q / 4) + rng.normal(size=codes.shape) * 0.02).astype(np.float32)
    ref = drain(build_map(codes, "umap", seed=0, reproducible=True))
    events = []
    m = drain(build_aligned_map(other, ref, seed=0, reproducible=True), events.append)
    assert m.method == "umap" and m.params["init"] == "reference map"
    assert events[-1].stage == "done"
    independent = align_maps(drain(build_map(other, "umap", seed=0, reproducible=True)), ref)
    assert m.params["alignment_error"] < 0.5
    assert m.params["alignment_error"] < independent.params["alignment_error"]
    z = m.inverse(m.positions)
    assert (np.linalg.norm(z - other, axis=1) / np.linalg.norm(other, axis=1)).max() <= 1e-4
