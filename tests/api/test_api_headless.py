"""The public Python API, headless (no display): `latent_atlas.open` and what a session gives."""

from __future__ import annotations

import numpy as np
import pytest

import latent_atlas as la
from latent_atlas.explorer.core.inference import decode_float, encode
from latent_atlas.explorer.session.opening import OpenError


@pytest.fixture(scope="module")
def vae():
    return la.open(la.bundled_models()[1])


def test_open_takes_the_files_own_data_and_stored_map(vae):
    assert vae.kind == "vae" and len(vae) == 1797
    assert vae.codes.shape == (1797, vae.opened.config.latent_dim)
    # the file's stored map is the one used when it fits the data (no refit)
    assert vae.map() is vae.opened.latent_map
    table = vae.map_table()
    assert set(table) == {"x", "y", "label", "error"}
    assert all(len(v) == 1797 for v in table.values())
    assert np.array_equal(table["label"], vae.labels)
    assert np.all(table["error"] >= 0) and np.all(table["error"] < 0.2)


def test_codes_are_what_the_encoder_gives(vae):
    direct = encode(vae.model, vae.data.images[:50])
    np.testing.assert_allclose(vae.codes[:50], direct, atol=1e-5)


def test_decode_at_a_sample_gives_its_decode_as_a_click_does(vae):
    m = vae.map()
    xy = m.positions[:3]
    got = vae.decode(xy)
    want = decode_float(vae.model, m.inverse(xy))
    assert got.shape == (3, 1, 8, 8) and got.dtype == np.float32
    assert got.min() >= 0 and got.max() <= 1
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert vae.decode([0.0, 0.0]).shape == (1, 1, 8, 8)  # one pair is one position


def test_interpolate_runs_from_one_samples_code_to_the_others(vae):
    path = vae.interpolate(0, 10, steps=5)
    assert path.shape == (5, 1, 8, 8)
    ends = vae.decode_codes(vae.codes[[0, 10]])
    np.testing.assert_allclose(path[[0, -1]], ends, atol=1e-5)
    assert vae.interpolate(0, 10, steps=5, mode="slerp").shape == (5, 1, 8, 8)


@pytest.mark.parametrize("call, words", [
    (lambda s: s.decode([[np.nan, 0.0]]), "finite map positions"),
    (lambda s: s.decode(np.zeros((2, 3))), "M x 2"),
    (lambda s: s.interpolate(0, 5000), "sample 5000 is not in the data"),
    (lambda s: s.interpolate(0, 1, steps=1), "steps must be between 2"),
    (lambda s: s.interpolate(0, 1, mode="cubic"), "mode must be one of lerp, slerp"),
    (lambda s: s.map("tsne"), "map method must be one of"),
])
def test_bad_requests_say_what_is_wrong(vae, call, words):
    with pytest.raises(OpenError, match=words):
        call(vae)


def test_the_selection_is_sample_indices_checked_against_the_data(vae):
    vae.selection = [5, 2, 5]
    assert vae.selection == [2, 5]
    mask = np.zeros(len(vae), bool)
    mask[[7, 9]] = True
    vae.selection = mask
    assert vae.selection == [7, 9]
    vae.selection = []
    assert vae.selection == []
    with pytest.raises(ValueError, match="sample 1797 is not on the map"):
        vae.selection = [1797]
    with pytest.raises(ValueError, match="integers"):
        vae.selection = [0.5]


def test_arrays_are_data_too(vae):
    images = vae.data.images[:40].astype(np.float32) / 255.0  # floats in [0, 1], N x C x H x W
    s = la.open(vae.path, data=(images[:, 0], vae.labels[:40]))  # N x H x W with labels
    assert len(s) == 40 and s.data.spec == "array"
    np.testing.assert_allclose(s.codes, vae.codes[:40], atol=1e-4)
    assert s.map("pca").n_points == 40  # the stored map is of other data: a new one is made
    with pytest.raises(OpenError, match="16×16×1 images but"):
        la.open(vae.path, data=np.zeros((3, 16, 16), np.float32))
    with pytest.raises(Exception, match=r"must lie in \[0, 1\]"):
        la.open(vae.path, data=np.full((3, 8, 8), 7.0, np.float32))


def test_compare_gives_what_compare_json_gives():
    ae = la.open(la.bundled_models()[0], data="digits", limit=300)
    vae = la.open(la.bundled_models()[1], data="digits", limit=300)
    doc = ae.compare(vae, samples=200, pairs=40, classifier=False)
    assert set(doc["files"]) == {"AE", "VAE"}
    assert doc["files"]["AE"].endswith("digits_ae.safetensors")
    for key in ("judges", "explanation", "settings", "data"):
        assert key in doc
    import copy

    claims = copy.copy(vae.opened)
    claims.model = _ShapeOf(vae.opened.model, (1, 6, 6))
    with pytest.raises(OpenError, match="different shapes"):
        ae.compare(la.AtlasSession(claims))


class _ShapeOf:
    """A model that claims another image shape (the rest is the wrapped model's)."""

    def __init__(self, model, shape):
        self._model, self.image_shape = model, shape

    def __getattr__(self, name):
        return getattr(self._model, name)


def test_a_model_object_opens_like_a_file():
    import torch

    from tests.user_models import PlainAE  # subclasses nothing of Latent Atlas

    torch.manual_seed(0)
    images = np.random.default_rng(0).random((30, 8, 8)).astype(np.float32)
    s = la.open(PlainAE(3), data=images)
    assert s.kind == "user-ae" and s.codes.shape == (30, 3)
    assert s.map().n_points == 30 and s.decode([[0.0, 0.0]]).shape == (1, 1, 8, 8)
    assert s.path is None
