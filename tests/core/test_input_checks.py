"""Input checks that silently misread data when they slip: IDX labels and headers, trailing
bytes after a model file's tensors, and the mean that inpainting starts from."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.applications.inpaint import mean_fill, rectangle_mask
from latent_atlas.explorer.core.data import DataError, load_data
from latent_atlas.explorer.core.data.idx import read_idx
from latent_atlas.models.checkpoint import load_model, save_model
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.modelfile import NotAModelFileError, read_metadata, read_model_file
from latent_atlas.models.networks import build_model


def _idx_bytes(arr: np.ndarray) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    return (struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
            + arr.tobytes())


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data, 1) if path.suffix == ".gz" else data)
    return path


def _idx_set(folder: Path, n_images: int, n_labels: int, gz: bool = True) -> None:
    rng = np.random.default_rng(0)
    ext = ".gz" if gz else ""
    _write(folder / f"train-images-idx3-ubyte{ext}",
           _idx_bytes(rng.integers(0, 256, (n_images, 5, 5))))
    _write(folder / f"train-labels-idx1-ubyte{ext}", _idx_bytes(rng.integers(0, 10, n_labels)))


# ---- IDX ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n_labels", [11, 13, 24])
@pytest.mark.parametrize("gz", [True, False])
def test_idx_label_count_must_match_the_images(tmp_path, n_labels, gz):
    _idx_set(tmp_path, 12, n_labels, gz)
    with pytest.raises(DataError, match=f"holds 12 images but .* holds {n_labels} labels"):
        load_data(f"idx:{tmp_path}")


def test_idx_matching_labels_load(tmp_path):
    _idx_set(tmp_path, 12, 12)
    s = load_data(f"idx:{tmp_path}")
    assert s.images.shape == (12, 1, 5, 5) and len(s.labels) == 12


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
@pytest.mark.parametrize("missing", [4, 1])
def test_idx_header_short_of_its_dimensions_is_refused(tmp_path, name, missing):
    # the magic number promises 3 dimensions; the header stops `missing` bytes short
    full = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">3I", 2, 5, 5)
    path = _write(tmp_path / name, full[:-missing])
    with pytest.raises(DataError, match="header is incomplete"):
        read_idx(path)


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_idx_complete_header_with_exact_data_reads(tmp_path, name):
    arr = np.arange(50, dtype=np.uint8).reshape(2, 5, 5)
    np.testing.assert_array_equal(read_idx(_write(tmp_path / name, _idx_bytes(arr))), arr)


# ---- model files ----------------------------------------------------------------------------
@pytest.fixture()
def model_path(tmp_path):
    cfg = ModelConfig(kind="vae", arch="mlp", input_shape=(1, 8, 8), latent_dim=2, hidden=(8,))
    path = tmp_path / "m.safetensors"
    save_model(path, build_model(cfg).eval(), data_spec="digits")
    return path


@pytest.mark.parametrize("extra", [1, 7, 4096])
def test_model_file_with_trailing_bytes_is_refused(model_path, extra):
    read_model_file(model_path)  # intact: reads
    with open(model_path, "ab") as fh:
        fh.write(b"\0" * extra)
    for reader in (read_metadata, read_model_file, load_model):
        with pytest.raises(NotAModelFileError, match=f"{extra} unexpected trailing bytes"):
            reader(model_path)


# ---- inpainting's mean fill -----------------------------------------------------------------
def test_mean_fill_uses_only_the_known_pixels():
    img = np.zeros((1, 1, 4, 4), np.uint8)
    img[0, 0, :2, :2] = 255  # the hole: bright, must not count
    img[0, 0, 2:, :] = 102  # known: eight pixels at 0.4 and four at 0
    mask = rectangle_mask((4, 4), 0, 0, 2, 2)
    filled = mean_fill(img, mask)
    np.testing.assert_allclose(filled[0, 0, :2, :2], 8 * 0.4 / 12, rtol=1e-6)
    np.testing.assert_allclose(filled[0, 0, 2:], 0.4, rtol=1e-6)


def test_mean_fill_is_per_image_and_per_channel():
    rng = np.random.default_rng(4)
    imgs = rng.integers(0, 256, (3, 3, 5, 5)).astype(np.uint8)
    mask = rectangle_mask((5, 5), 1, 1, 3, 2)
    filled = mean_fill(imgs, mask)
    x = imgs.astype(np.float64) / 255.0
    for i in range(3):
        for c in range(3):
            known = x[i, c][~mask]
            np.testing.assert_allclose(filled[i, c][mask], known.mean(), rtol=1e-5)
            np.testing.assert_allclose(filled[i, c][~mask], known, rtol=1e-6)


def test_mean_fill_channel_without_known_pixels_borrows_mid_grey():
    img = np.full((1, 2, 4, 4), 200, np.uint8)
    mask = np.zeros((2, 4, 4), bool)
    mask[0] = True  # channel 0 entirely unknown
    mask[1, :2] = True
    filled = mean_fill(img, mask)
    np.testing.assert_allclose(filled[0, 0], 0.5)
    np.testing.assert_allclose(filled[0, 1], 200 / 255, rtol=1e-6)
