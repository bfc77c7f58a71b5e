"""Large image sets stay uint8 and on disk where the format allows (issue 12).

Raw IDX files and .npy files are memory-mapped; gzip cannot be; encoding converts one
batch at a time, so no float copy of the whole set is ever made.
"""

from __future__ import annotations

import mmap
import threading
import tracemalloc

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.colouring import reconstruction_error
from latent_atlas.explorer.core.data import load_data
from latent_atlas.explorer.core.inference import encode_iter
from latent_atlas.explorer.core.progress import Cancelled, drain
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model
from tests.core.test_data_idx import make_set
from tests.fixture_scope import shared


def mapped(arr: np.ndarray) -> bool:
    """True when `arr` is a view of a memory map (its memory is the file's pages)."""
    base = arr
    while base is not None:
        if isinstance(base, np.memmap | mmap.mmap):
            return True
        base = getattr(base, "base", None)
    return False


@pytest.fixture(scope=shared)
def model():
    cfg = ModelConfig(kind="vae", arch="conv", input_shape=(1, 16, 16), latent_dim=3,
                      hidden=(8, 16))
    return build_model(cfg).eval()


def test_raw_idx_images_are_memory_mapped_uint8(tmp_path):
    images, labels = make_set(tmp_path, n=300, gz=False, side=16)
    s = load_data(f"idx:{tmp_path}")
    assert mapped(s.images) and not s.images.flags.writeable
    assert s.images.dtype == np.uint8 and s.images.shape == (300, 1, 16, 16)
    assert np.array_equal(s.images[:, 0], images)
    assert np.array_equal(s.labels, labels)
    part = load_data(f"idx:{tmp_path}?limit=40")  # the first 40: still a view of the file
    assert mapped(part.images) and np.array_equal(part.images[:, 0], images[:40])


def test_gzip_idx_is_read_into_memory(tmp_path):
    images, _ = make_set(tmp_path, n=50, gz=True, side=16)
    s = load_data(f"idx:{tmp_path}")
    assert not mapped(s.images)
    assert np.array_equal(s.images[:, 0], images)


def test_a_truncated_raw_idx_file_still_says_so(tmp_path):
    make_set(tmp_path, n=20, gz=False, side=16)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ValueError, match="truncated"):
        load_data(f"idx:{tmp_path}")


@pytest.mark.parametrize("layout", ["nhw", "nchw"])
def test_npy_uint8_images_stay_memory_mapped(tmp_path, layout):
    rng = np.random.default_rng(1)
    arr = rng.integers(0, 256, (200, 16, 16), dtype=np.uint8)
    path = tmp_path / "x.npy"
    np.save(path, arr if layout == "nhw" else arr[:, None])
    s = load_data(f"npy:{path}")
    assert mapped(s.images) and s.images.dtype == np.uint8
    assert np.array_equal(s.images[:, 0], arr)
    assert mapped(load_data(f"npy:{path}?limit=10").images)


def test_encoding_a_mapped_set_makes_no_float_copy(tmp_path, model):
    n = 6000
    rng = np.random.default_rng(2)
    np.save(tmp_path / "x.npy", rng.integers(0, 256, (n, 1, 16, 16), dtype=np.uint8))
    s = load_data(f"npy:{tmp_path / 'x.npy'}")
    assert mapped(s.images)
    tracemalloc.start()
    try:
        codes = drain(encode_iter(model, s.images, batch_size=512))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert codes.shape == (n, 3) and np.isfinite(codes).all()
    # float32 copy of the set: 6 MB; numpy only ever holds one uint8 batch (128 KB) plus
    # the codes (72 KB)
    assert peak < n * 256 * 4 / 8


def test_encoding_a_mapped_set_can_be_cancelled(tmp_path, model):
    make_set(tmp_path, n=3000, gz=False, side=16)
    s = load_data(f"idx:{tmp_path}")
    cancel = threading.Event()
    gen = encode_iter(model, s.images, batch_size=256, cancel=cancel)
    next(gen), next(gen)
    cancel.set()
    with pytest.raises(Cancelled):
        drain(gen)


def test_reconstruction_error_in_blocks_matches_the_formula():
    rng = np.random.default_rng(3)
    orig = rng.integers(0, 256, (9000, 1, 4, 4), dtype=np.uint8)
    rec = rng.integers(0, 256, (9000, 4, 4), dtype=np.uint8)
    err = reconstruction_error(orig, rec)
    want = (((orig[:, 0].astype(np.float64) - rec) / 255) ** 2).mean(axis=(1, 2))
    assert err.dtype == np.float32
    np.testing.assert_allclose(err, want, rtol=1e-5)
