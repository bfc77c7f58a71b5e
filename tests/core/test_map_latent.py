"""LatentMap without UMAP: PCA / identity maps, placement, lookup and persistence."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from latent_atlas.explorer.core.latent.map import (
    LatentMap,
    MapProgress,
    build_map,
    load_map,
    quick_map,
    save_map,
)
from latent_atlas.explorer.core.progress import Cancelled, drain
from latent_atlas.models.checkpoint import save_model
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.modelfile import ModelFileError, read_model_file, update_model_file
from latent_atlas.models.networks import build_model

ROOT = Path(__file__).resolve().parents[2]


def _codes(n=300, d=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, d)) * 4
    return (centres[rng.integers(0, 4, n)] + rng.normal(size=(n, d))).astype(np.float32)


def test_quick_map_is_pca_and_exact_at_its_points():
    codes = _codes()
    m = quick_map(codes)
    assert m.method == "pca" and m.positions.shape == (300, 2)
    centred = codes - codes.mean(0)
    # the first axis carries the most variance, as PCA should
    assert m.positions[:, 0].var() >= m.positions[:, 1].var()
    assert m.positions[:, 0].var() == pytest.approx(np.linalg.svd(centred)[1][0] ** 2 / 300,
                                                    rel=1e-3)
    np.testing.assert_allclose(m.inverse(m.positions), codes, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m.place(codes), m.positions, atol=1e-4)
    ev = []
    drain(build_map(codes, "pca"), ev.append)
    assert all(isinstance(e, MapProgress) for e in ev) and ev[-1].stage == "done"
    assert ev[-1].fraction == 1.0


def test_auto_picks_identity_for_2d_latents():
    codes = _codes(d=2)
    m = drain(build_map(codes))
    assert m.method == "identity"
    np.testing.assert_array_equal(m.positions, codes)
    np.testing.assert_allclose(m.inverse((123.0, -4.0)), [123.0, -4.0])
    np.testing.assert_allclose(m.place(codes[:3]), codes[:3])
    with pytest.raises(ValueError, match="2-D latent"):
        drain(build_map(_codes(d=3), "identity"))
    assert drain(build_map(_codes(n=5), "auto")).method == "pca"  # too few for UMAP


@pytest.mark.parametrize("bad, words", [
    (np.zeros((0, 3)), "N x d"),
    (np.zeros(5), "N x d"),
    (np.array([[0.0, np.nan, 1]]), "NaN"),
])
def test_bad_codes_raise_readable_errors(bad, words):
    with pytest.raises(ValueError, match=words):
        drain(build_map(bad, "pca"))
    with pytest.raises(ValueError, match="unknown map method"):
        drain(build_map(_codes(), "tsne"))


def test_build_map_honours_cancel():
    ev = threading.Event()
    ev.set()
    with pytest.raises(Cancelled):
        drain(build_map(_codes(), "pca", cancel=ev))
    with pytest.raises(Cancelled):
        drain(build_map(_codes(), "pca", cancel=lambda: True))


def _umap_like_map(n=400, d=6):
    """A map with arbitrary 'learned' positions, as a UMAP fit would give."""
    rng = np.random.default_rng(3)
    codes = _codes(n, d)
    return LatentMap("umap", codes, rng.normal(size=(n, 2)).astype(np.float32) * 5,
                     params={"n_neighbors": 15})


def test_place_is_consistent_with_nearest_neighbours():
    m = _umap_like_map()
    np.testing.assert_array_equal(m.place(m.codes), m.positions)  # data codes sit on themselves
    i = 7
    z = m.codes[i] + 1e-4
    assert np.linalg.norm(m.place(z) - m.positions[i]) < 0.05
    # a new code lands inside the hull of its nearest neighbours' positions
    z = m.codes[i] * 0.5 + m.codes[8] * 0.5
    nn = np.argsort(np.linalg.norm(m.codes - z, axis=1))[:8]
    xy = m.place(z)
    assert xy.shape == (2,)
    lo, hi = m.positions[nn].min(0), m.positions[nn].max(0)
    assert np.all(xy >= lo - 1e-5) and np.all(xy <= hi + 1e-5)
    # continuous in the code
    zs = z + np.linspace(0, 1e-6, 5)[:, None]
    assert np.ptp(m.place(zs), axis=0).max() < 1e-3
    with pytest.raises(ValueError):
        m.place(np.zeros(5))


def test_bounds_and_nearest_sample():
    m = _umap_like_map()
    x0, x1, y0, y1 = m.bounds()
    assert x0 == m.positions[:, 0].min() and y1 == m.positions[:, 1].max()
    idx, dist = m.nearest_sample(m.positions[42])
    assert idx == 42 and dist == 0.0
    idx, dist = m.nearest_sample(m.positions[42] + np.array([1e-3, 0]))
    assert idx == 42 and dist == pytest.approx(1e-3, rel=1e-2)
    idxs, dists = m.nearest_sample(m.positions[:300])
    np.testing.assert_array_equal(idxs, np.arange(300))
    assert dists.max() == 0.0


def test_inverse_on_a_umap_like_map_is_exact_and_total():
    m = _umap_like_map()
    z = m.inverse(m.positions)
    rel = np.linalg.norm(z - m.codes, axis=1) / np.linalg.norm(m.codes, axis=1)
    assert rel.max() <= 1e-4
    x0, x1, y0, y1 = m.bounds()
    grid = np.stack(np.meshgrid(np.linspace(x0 - 10, x1 + 10, 30),
                                np.linspace(y0 - 10, y1 + 10, 30)), -1).reshape(-1, 2)
    out = m.inverse(grid)
    assert out.shape == (900, 6) and np.isfinite(out).all()
    # outside the data, codes stay within the range of the data's codes
    assert out.min() >= m.codes.min() - 1e-5 and out.max() <= m.codes.max() + 1e-5


@pytest.fixture()
def model_file(tmp_path):
    cfg = ModelConfig(kind="ae", arch="mlp", input_shape=(1, 8, 8), latent_dim=6, hidden=(16,))
    path = tmp_path / "m.safetensors"
    save_model(path, build_model(cfg), data_spec="digits")
    return path


def test_persistence_round_trip(model_file):
    assert load_map(model_file) is None
    m = _umap_like_map()
    save_map(model_file, m)
    back = load_map(model_file)
    assert back.method == "umap" and back.params == {"n_neighbors": 15}
    np.testing.assert_array_equal(back.codes, m.codes)
    np.testing.assert_array_equal(back.positions, m.positions)
    p = np.random.default_rng(4).uniform(-10, 10, size=(50, 2))
    np.testing.assert_array_equal(back.inverse(p), m.inverse(p))
    mf = read_model_file(model_file)
    assert mf.meta["map"]["n_points"] == 400 and mf.meta["data_spec"] == "digits"
    assert "model.encoder.net.1.weight" in mf.arrays  # the weights survive
    # a refit replaces the map and leaves no stale arrays
    q = quick_map(m.codes[:100])
    save_map(model_file, q)
    mf = read_model_file(model_file)
    assert mf.group("map")["codes"].shape == (100, 6)
    assert set(mf.group("map")) == {"codes", "positions", "pca_mean", "pca_components"}
    back = load_map(mf)
    np.testing.assert_allclose(back.place(q.codes), q.positions, atol=1e-5)


def test_damaged_map_gives_a_model_file_error(model_file):
    save_map(model_file, _umap_like_map())
    update_model_file(model_file, arrays={"map.positions": np.zeros((3, 2), np.float32)})
    with pytest.raises(ModelFileError, match="damaged map"):
        load_map(model_file)
    update_model_file(model_file, {"map": {"method": "tsne"}})
    with pytest.raises(ModelFileError, match="damaged map"):
        load_map(model_file)


def test_load_map_imports_neither_torch_nor_umap(model_file):
    save_map(model_file, _umap_like_map())
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "from latent_atlas.explorer.core.latent.map import load_map\n"
        f"m = load_map({str(model_file)!r})\n"
        "m.inverse((0.1, 0.2)); m.place(m.codes[0]); m.nearest_sample((0, 0))\n"
        "bad = sorted({k.split('.')[0] for k in sys.modules} & {'torch', 'umap', 'numba', 'pynndescent'})\n"
        "print(m.method, m.n_points, ','.join(bad) or 'clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["umap", "400", "clean"]
