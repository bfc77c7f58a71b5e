"""`npz:FILE` / `npy:FILE`: layouts, dtypes, labels, factors and every bad array."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.data import DataError, load_data


def rng_images(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_npz_gray_with_labels_and_names(tmp_path):
    x = rng_images((10, 6, 6))
    y = np.arange(10) % 3
    path = tmp_path / "a.npz"
    np.savez(path, x=x, y=y, label_names=np.array(["cat", "dog", "owl"]))
    s = load_data(f"npz:{path}")
    assert s.images.shape == (10, 1, 6, 6) and np.array_equal(s.images[:, 0], x)
    assert s.labels.tolist() == y.tolist() and s.label_names == ["cat", "dog", "owl"]
    assert s.spec == f"npz:{path}" and s.images.flags.writeable


@pytest.mark.parametrize("layout", ["nhwc", "nchw"])
def test_rgb_layouts_and_float_in_unit_range(tmp_path, layout):
    nchw = rng_images((5, 3, 8, 8))
    arr = nchw if layout == "nchw" else nchw.transpose(0, 2, 3, 1)
    path = tmp_path / "rgb.npz"
    np.savez(path, images=arr.astype(np.float32) / 255, labels=np.zeros(5, np.int32))
    s = load_data(f"npz:{path}")
    assert s.images.dtype == np.uint8 and np.array_equal(s.images, nchw)


def test_npy_memory_mapped_with_limit_and_seed(tmp_path):
    x = rng_images((50, 4, 4, 1))
    path = tmp_path / "a.npy"
    np.save(path, x)
    s = load_data(f"npy:{path}?limit=7&seed=2")
    assert s.images.shape == (7, 1, 4, 4) and s.labels is None and s.images.flags.writeable
    idx = np.random.default_rng(2).permutation(50)[:7]
    assert np.array_equal(s.images[:, 0], x[idx, :, :, 0])
    assert np.array_equal(load_data(s.spec).images, s.images)
    assert len(load_data(f"npz:{path}")) == 50  # the content decides, not the spec name


def test_bool_int_and_factor_columns(tmp_path):
    path = tmp_path / "f.npz"
    np.savez(path, x=np.ones((4, 5, 5), bool), scale=np.linspace(0, 1, 4),
             grid=np.zeros((4, 2)))
    s = load_data(f"npz:{path}")
    assert s.images.max() == 255
    assert np.allclose(s.factors["scale"], np.linspace(0, 1, 4))
    assert s.notes == [f"ignored arrays in {path.name}: grid"]
    np.savez(path, x=np.full((2, 4, 4), 200, np.int64))
    assert load_data(f"npz:{path}").images.max() == 200


def test_size_and_channels_options(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=rng_images((3, 10, 20)))
    s = load_data(f"npz:{path}?size=8&channels=3")
    assert s.images.shape == (3, 3, 8, 8)
    assert s.spec == f"npz:{path}?channels=3&size=8"


# -- bad arrays ------------------------------------------------------------------------

def _npz(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return f"npz:{path}"


@pytest.mark.parametrize("arrays, words", [
    ({"pixels": np.zeros((2, 4, 4)), "target": np.zeros(2)},
     "has no images: it holds pixels, target; store them under 'images' or 'x'"),
    ({"x": np.zeros((4, 4))}, "must be N x H x W, N x H x W x C or N x C x H x W, not 2-D"),
    ({"x": np.zeros((2, 4, 4, 4, 1))}, "not 5-D"),
    ({"x": np.zeros((2, 5, 4, 4))}, r"the channel axis must hold 1 \(gray\) or 3 \(RGB\)"),
    ({"x": np.full((2, 4, 4), np.nan)}, "contain NaN or infinite values"),
    ({"x": np.full((2, 4, 4), 1.5)}, r"must lie in \[0, 1\], but values run from 1.5 to 1.5; divide by 255"),
    ({"x": np.full((2, 4, 4), -3.0)}, r"must lie in \[0, 1\]"),
    ({"x": np.full((2, 4, 4), 300)}, "must lie in 0..255"),
    ({"x": np.zeros((3, 4, 4)), "y": np.zeros(2)}, "holds 3 images but 2 labels"),
    ({"x": np.zeros((2, 4, 4)), "y": np.array([0.5, 1])}, "labels in .* must be whole numbers"),
    ({"x": np.zeros((2, 4, 4)), "y": np.array([-1, 1])}, "must not be negative"),
    ({"x": np.zeros((0, 4, 4))}, "holds no images"),
    ({"x": np.array([["a"] * 4] * 4 * 2).reshape(2, 4, 4)}, "they must be numbers"),
])
def test_bad_arrays(tmp_path, arrays, words):
    with pytest.raises(DataError, match=words) as info:
        load_data(_npz(tmp_path, **arrays))
    assert "\n" not in str(info.value)


def test_pickled_objects_are_never_loaded(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, x=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(DataError, match="holds Python objects, which are never loaded"):
        load_data(f"npz:{path}")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="cannot be read safely"):
        load_data(f"npy:{tmp_path / 'obj.npy'}")


def test_damaged_and_foreign_files(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, x=np.zeros((100, 8, 8)))
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(good.read_bytes()[:300])
    with pytest.raises(DataError, match="damaged.npz"):
        load_data(f"npz:{damaged}")
    text = tmp_path / "a.npz"
    text.write_text("hello")
    with pytest.raises(DataError, match="neither an .npy nor an .npz file"):
        load_data(f"npz:{text}")
    with pytest.raises(DataError, match="no such file"):
        load_data(f"npz:{tmp_path / 'missing.npz'}")
    with pytest.raises(DataError, match="is a folder"):
        load_data(f"npz:{tmp_path}")
