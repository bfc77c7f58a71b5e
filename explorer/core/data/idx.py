"""IDX files (the MNIST format) and the `idx:DIR` source for any folder of them.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values. Files may be gzipped.
Reading is one decompress plus `np.frombuffer`, so 10,000 images load in well under 1 s.

Files are grouped into sets by name: `emnist-letters-train-images-idx3-ubyte.gz` belongs
to set `emnist-letters`, split `train`; plain MNIST names belong to the unnamed set.
Options of `idx:DIR`: split, limit, seed, size, channels, set (which set, when a folder
holds several) and transpose (EMNIST stores images transposed; on by default for
`emnist*` files).
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from latent_atlas.models.files import regular_file

from .base import MAX_IMAGE_BYTES, MAX_LABEL, DataError, DataSpec, ImageSet, check_labels, source
from .options import (
    canonical,
    channels_option,
    effective_limit,
    existing_path,
    finish,
    limit_option,
    normalise_options,
    seed_option,
    size_option,
    split_option,
)

_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_NAME_TOKENS = {"train", "t10k", "test", "images", "labels", "idx1", "idx3", "ubyte", "gz"}
SPLIT_ORDER = ("train", "test", "all")
_READ_CHUNK = 1 << 20


@contextlib.contextmanager
def readable(path: Path) -> Iterator[None]:
    """Turn OS errors while reading `path` into one readable DataError line."""
    try:
        yield
    except PermissionError:
        raise DataError(f"cannot read {path}: permission denied") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not a file") from None
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except EOFError:
        raise DataError(f"{path.name} is truncated (the gzip stream ends early); "
                        "download it again") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path.name} is a damaged gzip file ({exc}); download it again") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_idx(path: Path, *, mmap: bool = False) -> np.ndarray:
    """Read an IDX file (gzip or raw) into a native-endian array.

    The values are streamed straight into the result array, so loading never holds a
    second full-size copy (60,000 MNIST images peak at about their own 47 MB). With
    `mmap`, an uncompressed file of bytes is memory-mapped read-only instead: nothing is
    read until used, and the pages can be dropped by the OS again (a million 28 x 28
    images stay ~750 MB on disk, not in the process). A gzip stream cannot be mapped
    (it has no random access; its bytes only exist once inflated), so .gz files are
    always read into memory.
    """
    regular_file(path, DataError, "IDX file")
    with readable(path):
        with open(path, "rb") as f:
            packed = f.read(2) == b"\x1f\x8b"
        stored = os.path.getsize(path)
        with (gzip.open(path, "rb") if packed else open(path, "rb")) as f:
            if mmap and not packed:
                mapped = _map_idx(f, path, stored)
                if mapped is not None:
                    return mapped
                f.seek(0)
            return _read_idx_stream(f, path, stored, packed)


def _header(f, path: Path) -> tuple[np.dtype[Any], tuple[int, ...]]:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] or magic[1] or magic[2] not in _TYPES or not 1 <= magic[3] <= 4:
        raise DataError(f"{path.name} is not an IDX file (magic number 0x{magic.hex()}; "
                        "expected 0x00000803 for images or 0x00000801 for labels)")
    ndim, dtype = magic[3], _TYPES[magic[2]]
    head = f.read(4 * ndim)
    if len(head) < 4 * ndim:
        raise DataError(f"{path.name} is truncated: its header is incomplete")
    return dtype, tuple(int(d) for d in np.frombuffer(head, ">u4"))


def _map_idx(f, path: Path, stored: int) -> np.ndarray | None:
    """A read-only memory map of a raw IDX file of bytes whose size matches its header;
    None when it cannot be mapped as is (other types, or a size mismatch: the streaming
    reader then gives the precise error)."""
    dtype, dims = _header(f, path)
    offset = 4 + 4 * len(dims)
    count = math.prod(dims)
    if dtype.itemsize != 1 or stored != offset + count or count == 0:
        return None
    if count > MAX_IMAGE_BYTES:
        raise DataError(f"{path.name} is too large: its header declares "
                        f"{'x'.join(map(str, dims))} values; at most "
                        f"{MAX_IMAGE_BYTES / 2**30:.0f} GB of images are loaded")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=dims)


def _read_idx_stream(f, path: Path, stored: int, packed: bool) -> np.ndarray:
    dtype, dims = _header(f, path)
    ndim = len(dims)
    count = math.prod(dims)
    expected = count * dtype.itemsize
    shape = "x".join(map(str, dims))
    # Check what the header claims against the file size before allocating anything:
    # deflate cannot expand data more than about 1032 times.
    available = stored * 1032 if packed else stored - 4 - 4 * ndim
    if expected > available:
        raise DataError(f"{path.name} is truncated: its header promises {shape} values "
                        f"({expected:,} bytes) but the file is too small to hold them")
    if count > MAX_IMAGE_BYTES:
        raise DataError(f"{path.name} is too large: its header declares {shape} values; at "
                        f"most {MAX_IMAGE_BYTES / 2**30:.0f} GB of images are loaded")
    out = np.empty(count, dtype)
    view = out.data.cast("B")
    done = 0
    while done < expected:
        chunk = f.read(min(_READ_CHUNK, expected - done))
        if not chunk:
            raise DataError(f"{path.name} is truncated: its header promises {shape} values "
                            f"({expected:,} bytes) but only {done:,} bytes follow")
        view[done : done + len(chunk)] = chunk
        done += len(chunk)
    extra = len(f.read(_READ_CHUNK))
    if extra:
        raise DataError(f"{path.name} has {extra:,}{'+' if extra == _READ_CHUNK else ''} bytes "
                        f"more than its header ({shape}) describes; the file is damaged")
    out = out.reshape(dims)
    return out if dtype.itemsize == 1 else out.astype(dtype.newbyteorder("="))


def idx_images(path: Path) -> np.ndarray:
    """IDX images as uint8 N x C x H x W (memory-mapped when the file is raw, N x H x W)."""
    arr = read_idx(path, mmap=True)
    if arr.dtype != np.uint8:
        raise DataError(f"images in {path.name} are stored as {arr.dtype}; only unsigned "
                        "bytes (type 0x08) are supported")
    if arr.ndim == 3:
        return arr[:, None]
    if arr.ndim == 4 and arr.shape[-1] in (1, 3):
        return np.ascontiguousarray(arr.transpose(0, 3, 1, 2))
    raise DataError(f"{path.name} holds {arr.ndim}-D data {arr.shape}; images must be "
                    "N x H x W (an idx3 file)")


def idx_labels(path: Path) -> np.ndarray:
    """IDX labels as int64, one per image."""
    arr = read_idx(path)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise DataError(f"{path.name} is not a label file: labels are one whole number per "
                        f"image (an idx1 file), not {arr.dtype} {arr.shape}")
    labels = arr.astype(np.int64)
    check_labels(labels, path.name)
    return labels


@dataclass
class SplitFiles:
    images: Path | None = None
    labels: Path | None = None


@dataclass
class IdxSet:
    """One named set of IDX files in a folder, by split ("train", "test" or "all")."""

    name: str
    splits: dict[str, SplitFiles] = field(default_factory=dict)


def _classify(filename: str) -> tuple[str, str, str] | None:
    """(set name, split, kind) of an IDX file name, or None if it is not one."""
    low = filename.lower()
    if not re.search(r"idx[13]", low):
        return None
    tokens = [t for t in re.split(r"[-_.]", low) if t]
    kind = "images" if "idx3" in tokens or "images" in tokens else "labels"
    split = "train" if "train" in tokens else "test" if {"t10k", "test"} & set(tokens) else "all"
    name = "-".join(t for t in tokens if t not in _NAME_TOKENS)
    return name, split, kind


def find_idx_sets(folder: Path) -> dict[str, IdxSet]:
    """Group the IDX files of a folder into named sets; raw files win over .gz twins."""
    try:
        names = sorted(os.listdir(folder))
    except PermissionError:
        raise DataError(f"cannot read {folder}: permission denied") from None
    except NotADirectoryError:
        raise DataError(f"{folder} is a file, not a folder") from None
    sets: dict[str, IdxSet] = {}
    for filename in names:
        info = _classify(filename)
        path = folder / filename
        if info is None or not path.is_file():
            continue
        name, split, kind = info
        files = sets.setdefault(name, IdxSet(name)).splits.setdefault(split, SplitFiles())
        current = getattr(files, kind)
        if current is None or current.suffix == ".gz":
            setattr(files, kind, path)
    return sets


def resolve_split(available: Sequence[str], requested: str, folder: Path,
                  expected: dict[str, str]) -> tuple[list[str], str, str | None]:
    """Which splits to load: (splits, resolved split, note). A lone split is used as is.

    `expected` names the files of each split for the error when a requested one is absent.
    """
    if requested == "all":
        found = [s for s in SPLIT_ORDER if s in available]
        if len(found) == 1 and found[0] != "all":
            kind = "t10k/test" if found[0] == "test" else "train"
            return found, found[0], (f"only the {found[0]} split ({kind} files) is in "
                                     f"{folder}; using it")
        return found, "all", None
    if requested not in available:
        files = expected.get(requested)
        raise DataError(f"{folder} has no {requested} split"
                        + (f": expected {files}" if files else ""))
    return [requested], requested, None


def load_splits(idx_set: IdxSet, splits: list[str], require_labels: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Images (and labels, if every split has them) of the given splits, concatenated."""
    images: list[np.ndarray] = []
    labels: list[np.ndarray] | None = []
    for split in splits:
        files = idx_set.splits[split]
        if files.images is None:
            found = files.labels.name if files.labels is not None else f"the {split} split"
            raise DataError(f"found {found} but no matching images (idx3) file")
        imgs = idx_images(files.images)
        if files.labels is None:
            if require_labels:
                want = files.images.name.replace("images", "labels").replace("idx3", "idx1")
                raise DataError(f"found {files.images.name} but not its labels {want} in "
                                f"{files.images.parent}")
            labels = None
        else:
            labs = idx_labels(files.labels)
            if len(labs) != len(imgs):
                raise DataError(f"{files.images.name} holds {len(imgs):,} images but "
                                f"{files.labels.name} holds {len(labs):,} labels")
            if labels is not None:
                labels.append(labs)
        images.append(imgs)
    if len({im.shape[1:] for im in images}) > 1:
        raise DataError("the splits hold images of different sizes: "
                        + ", ".join(str(im.shape[1:]) for im in images))
    # One split stays memory-mapped; several files become one array in memory (an
    # ImageSet holds one array), so `?split=train` keeps a large raw set on disk.
    all_images = images[0] if len(images) == 1 else np.concatenate(images)
    all_labels = None if labels is None else (labels[0] if len(labels) == 1 else np.concatenate(labels))
    return all_images, all_labels


def _mapping_names(folder: Path, set_name: str) -> list[str] | None:
    """Label names from an EMNIST-style `<set>-mapping.txt` (label, character code)."""
    path = folder / f"{set_name}-mapping.txt"
    if not set_name or not path.is_file():
        return None
    try:
        pairs = [line.split() for line in path.read_text().splitlines() if line.strip()]
        mapping = {int(p[0]): chr(int(p[1])) for p in pairs}
    except (OSError, ValueError, IndexError):
        return None
    if not mapping or min(mapping) < 0 or max(mapping) > MAX_LABEL:
        return None
    return [mapping.get(i, str(i)) for i in range(max(mapping) + 1)]


OPTIONS = ("split", "limit", "seed", "size", "channels", "set", "transpose")


@source("idx", options=OPTIONS)
def load_idx_folder(spec: DataSpec) -> ImageSet:
    spec = normalise_options(spec, OPTIONS)
    folder = existing_path(spec.arg, "dir", "idx")
    split, limit, seed = split_option(spec), limit_option(spec), seed_option(spec)
    size, channels = size_option(spec, None), channels_option(spec, None)
    sets = find_idx_sets(folder)
    if not sets:
        raise DataError(f"no IDX files in {folder}: expected names like "
                        "train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz")
    wanted = spec.get("set")
    if wanted is not None:
        if wanted not in sets:
            raise DataError(f"no IDX set '{wanted}' in {folder}; it holds: {_set_list(sets)}")
        idx_set = sets[wanted]
    elif len(sets) > 1:
        raise DataError(f"{folder} holds several IDX sets ({_set_list(sets)}); choose one "
                        f"with ?set=NAME")
    else:
        idx_set = next(iter(sets.values()))
    splits, resolved, note = resolve_split(list(idx_set.splits), split, folder, {})
    images, labels = load_splits(idx_set, splits, require_labels=False)
    transpose = _transpose_option(spec, idx_set.name.startswith("emnist"))
    if transpose:  # a copy in memory (EMNIST): models want rows in order
        images = np.ascontiguousarray(images.transpose(0, 1, 3, 2))
    names = _mapping_names(folder, idx_set.name)
    if names is None and labels is not None and len(labels):
        names = [str(i) for i in range(int(labels.max()) + 1)]
    result = ImageSet(images=images, labels=labels, label_names=names or [],
                      notes=[note] if note else [])
    n = len(result)
    result = finish(result, seed=seed, limit=limit, channels=channels, size=size)
    result.spec = canonical(spec, str(folder), {
        "split": resolved, "limit": effective_limit(limit, n), "seed": seed, "size": size,
        "channels": channels, "set": wanted, "transpose": spec.get("transpose") and int(transpose),
    }, {"split": "all"})
    return result


def _set_list(sets: dict[str, IdxSet]) -> str:
    return ", ".join(name or "(plain MNIST names)" for name in sets)


def _transpose_option(spec: DataSpec, default: bool) -> bool:
    raw = spec.get("transpose")
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "yes", "true", "on"):
        return True
    if raw.lower() in ("0", "no", "false", "off"):
        return False
    raise DataError(f"option transpose must be 1 or 0, not '{raw}'")
