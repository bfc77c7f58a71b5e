"""IDX reading and the `idx:DIR` source, with tiny IDX files written by the tests."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from latent_atlas.explorer.core.data import DataError, load_data
from latent_atlas.explorer.core.data import idx as idx_module
from latent_atlas.explorer.core.data.idx import find_idx_sets, read_idx

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i4"): 0x0C}


def write_idx(path: Path, arr: np.ndarray, code: int | None = None) -> Path:
    """Write `arr` as an IDX file (gzipped if the name ends in .gz)."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "i" and arr.dtype.itemsize == 4:
        arr = arr.astype(">i4")
    code = code if code is not None else _CODES[arr.dtype]
    data = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    data += arr.tobytes()
    path.write_bytes(gzip.compress(data, 1) if path.suffix == ".gz" else data)
    return path


def make_set(folder: Path, prefix: str = "", n: int = 12, split: str = "train",
             gz: bool = True, seed: int = 0, side: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, side, side), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    ext = ".gz" if gz else ""
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{prefix}{split}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}{split}-labels-idx1-ubyte{ext}", labels)
    return images, labels


def test_raw_and_gzip_read_the_same(tmp_path):
    arr = np.arange(60, dtype=np.uint8).reshape(5, 3, 4)
    a = read_idx(write_idx(tmp_path / "a-idx3-ubyte", arr))
    b = read_idx(write_idx(tmp_path / "b-idx3-ubyte.gz", arr))
    assert np.array_equal(a, arr) and np.array_equal(b, arr)
    assert a.flags.writeable and b.flags.writeable
    big = read_idx(write_idx(tmp_path / "c-idx1-ubyte", np.array([1, 70000, 3], np.int32)))
    assert big.tolist() == [1, 70000, 3] and big.dtype.byteorder in "=|"


def test_idx_folder_with_both_splits(tmp_path):
    tr_x, tr_y = make_set(tmp_path, split="train", n=12)
    te_x, te_y = make_set(tmp_path, split="t10k", n=5, gz=False, seed=1)
    s = load_data(f"idx:{tmp_path}")
    assert s.images.shape == (17, 1, 6, 6)
    assert np.array_equal(s.images[:12, 0], tr_x) and np.array_equal(s.images[12:, 0], te_x)
    assert np.array_equal(s.labels, np.concatenate([tr_y, te_y]))
    assert s.spec == f"idx:{tmp_path}" and not s.notes
    test = load_data(f"idx:{tmp_path}?split=test")
    assert np.array_equal(test.images[:, 0], te_x)


def test_lone_split_is_used_and_noted(tmp_path):
    make_set(tmp_path, split="t10k", n=5)
    s = load_data(f"idx:{tmp_path}")
    assert len(s) == 5
    assert any("only the test split" in n for n in s.notes)
    assert s.spec == f"idx:{tmp_path}?split=test"
    with pytest.raises(DataError, match="has no train split"):
        load_data(f"idx:{tmp_path}?split=train")


def test_images_without_labels_load_unlabelled(tmp_path):
    write_idx(tmp_path / "letters-images-idx3-ubyte", np.zeros((3, 4, 4), np.uint8))
    s = load_data(f"idx:{tmp_path}")
    assert len(s) == 3 and s.labels is None


def test_emnist_style_sets_mapping_and_transpose(tmp_path):
    img = np.zeros((2, 5, 5), np.uint8)
    img[:, 0, :] = 255  # a bright first row; EMNIST stores images transposed
    write_idx(tmp_path / "emnist-letters-train-images-idx3-ubyte.gz", img)
    write_idx(tmp_path / "emnist-letters-train-labels-idx1-ubyte.gz", np.array([1, 2], np.uint8))
    (tmp_path / "emnist-letters-mapping.txt").write_text("1 65 97\n2 66 98\n")
    make_set(tmp_path, prefix="emnist-digits-", n=3)
    with pytest.raises(DataError, match=r"several IDX sets .*\?set=NAME"):
        load_data(f"idx:{tmp_path}")
    s = load_data(f"idx:{tmp_path}?set=emnist-letters")
    assert (s.images[:, 0, :, 0] == 255).all()  # transposed upright by default
    assert [s.label_name(int(k)) for k in s.labels] == ["A", "B"]
    raw = load_data(f"idx:{tmp_path}?set=emnist-letters&transpose=0")
    assert (raw.images[:, 0, 0, :] == 255).all()
    assert raw.spec.endswith("set=emnist-letters&split=train&transpose=0")
    with pytest.raises(DataError, match="no IDX set 'nope'"):
        load_data(f"idx:{tmp_path}?set=nope")


def test_find_idx_sets_prefers_raw_twins(tmp_path):
    make_set(tmp_path, gz=True)
    make_set(tmp_path, gz=False)
    files = find_idx_sets(tmp_path)[""].splits["train"]
    assert files.images.suffix != ".gz" and files.labels.suffix != ".gz"


# -- bad input -------------------------------------------------------------------------

def test_wrong_magic_number(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 3, 3), np.uint8))
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x12\x34" + path.read_bytes()[2:])
    with pytest.raises(DataError, match=r"not an IDX file \(magic number 0x12340803"):
        load_data(f"idx:{tmp_path}")


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_idx(tmp_path, gz):
    path = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((20, 8, 8), np.uint8))
    data = path.read_bytes()[:-100]
    if gz:
        path.unlink()
        path = tmp_path / "train-images-idx3-ubyte.gz"
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    with pytest.raises(DataError, match="truncated: its header promises 20x8x8 values"):
        load_data(f"idx:{tmp_path}")


def test_truncated_and_damaged_gzip(tmp_path):
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((50, 8, 8), np.uint8))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="truncated"):
        load_data(f"idx:{tmp_path}")
    path.write_bytes(whole[:10] + b"\xff" * 40 + whole[50:])
    with pytest.raises(DataError, match="damaged gzip file"):
        load_data(f"idx:{tmp_path}")


def test_extra_bytes_are_refused(tmp_path):
    path = write_idx(tmp_path / "x-idx3-ubyte", np.zeros((2, 3, 3), np.uint8))
    path.write_bytes(path.read_bytes() + b"junk")
    with pytest.raises(DataError, match="4 bytes more than its header"):
        read_idx(path)


def test_image_and_label_counts_differ(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((10, 4, 4), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(9, np.uint8))
    with pytest.raises(DataError, match="holds 10 images but .* holds 9 labels"):
        load_data(f"idx:{tmp_path}")


def test_bad_payloads(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 3, 3), np.int32))
    with pytest.raises(DataError, match="only unsigned bytes"):
        load_data(f"idx:{tmp_path}")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 3, 3), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, -1], np.int8))
    with pytest.raises(DataError, match="negative labels"):
        load_data(f"idx:{tmp_path}")


def test_missing_empty_and_file_paths(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_data(f"idx:{tmp_path / 'nope'}")
    with pytest.raises(DataError, match="no IDX files in"):
        load_data(f"idx:{tmp_path}")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(DataError, match="is a file, not a folder"):
        load_data(f"idx:{tmp_path / 'f.txt'}")
    with pytest.raises(DataError, match="needs a path"):
        load_data("idx")


def test_permission_denied(tmp_path, monkeypatch):
    make_set(tmp_path)
    image_file = tmp_path / "train-images-idx3-ubyte.gz"

    def deny(file, *args, **kwargs):
        if Path(file) == image_file:
            raise PermissionError(13, "Permission denied", str(file))
        return open(file, *args, **kwargs)

    monkeypatch.setattr(idx_module, "open", deny, raising=False)
    with pytest.raises(DataError, match="cannot read .*: permission denied"):
        load_data(f"idx:{tmp_path}")


def test_permission_denied_for_real(unprivileged):
    # runs as an unprivileged user (a forked child drops root), so it runs as root too
    folder = unprivileged.folder
    make_set(folder)
    unprivileged.share()
    assert unprivileged.run(lambda: len(load_data(f"idx:{folder}"))) == 12  # readable first
    locked = folder / "train-images-idx3-ubyte.gz"
    locked.chmod(0)
    with pytest.raises(DataError, match="permission denied"):
        unprivileged.run(lambda: load_data(f"idx:{folder}"))


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_absurd_header_is_refused_before_allocating(tmp_path, name):
    head = struct.pack(">BBBB", 0, 0, 8, 3) + struct.pack(">3I", 4_000_000_000, 28, 28)
    data = head + bytes(100)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(DataError, match="file is too small to hold them"):
        read_idx(path)
