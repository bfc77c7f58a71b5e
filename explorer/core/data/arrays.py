"""`npz:FILE` / `npy:FILE`: images stored as numpy arrays.

Images may be N x H x W, N x H x W x C or N x C x H x W (C = 1 or 3), uint8 (or integers
in 0..255, or bool) or floating point in [0, 1]. In an .npz, images live under `images`,
`x`, `X` or `imgs`, labels under `labels`, `y` or `Y`, optional class names under
`label_names`; other 1-D numeric arrays with one value per image become factor columns.
Files are never unpickled. An .npy is memory-mapped, so `limit` reads only what it keeps.

Options: limit, seed (shuffle before limit), size, channels.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from .base import (
    MAX_IMAGE_BYTES,
    DataError,
    DataSpec,
    ImageSet,
    check_image_budget,
    check_labels,
    source,
)
from .options import (
    canonical,
    channels_option,
    effective_limit,
    existing_path,
    finish,
    limit_option,
    limit_pick,
    normalise_options,
    seed_option,
    size_option,
)

IMAGE_KEYS = ("images", "x", "X", "imgs")
LABEL_KEYS = ("labels", "y", "Y")
NAMES_KEY = "label_names"
_CHUNK = 4096


def _open(path: Path):
    """np.load without pickles; an .npy is memory-mapped."""
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic[:4] == b"PK\x03\x04":
            # numpy cannot map a member of a zip (a compressed one has no random access),
            # so an .npz is read into memory; save a large set as .npy to keep it on disk.
            return np.load(path, allow_pickle=False)
        if magic == b"\x93NUMPY":
            return np.load(path, allow_pickle=False, mmap_mode="r")
    except PermissionError:
        raise DataError(f"cannot read {path}: permission denied") from None
    except ValueError as exc:
        raise DataError(f"{path.name} cannot be read safely ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name} is not a valid numpy file ({exc})") from None
    raise DataError(f"{path.name} is neither an .npy nor an .npz file")


def _declared(archive, key: str, path: Path) -> None:
    """Check a member's .npy header before numpy allocates what it declares."""
    member = key + ".npy" if key + ".npy" in archive.zip.namelist() else key
    try:
        info = archive.zip.getinfo(member)
        with archive.zip.open(member) as f:
            version = np.lib.format.read_magic(f)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(f)
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile):
        return  # numpy gives the precise error below
    if dtype.hasobject:
        return
    need = math.prod(shape) * dtype.itemsize
    if math.prod(shape) > MAX_IMAGE_BYTES or need > 4 * MAX_IMAGE_BYTES:
        raise DataError(f"'{key}' in {path.name} is too large: its header declares "
                        f"{'x'.join(map(str, shape))} {dtype} values ({need / 2**30:,.1f} GB); "
                        f"at most {MAX_IMAGE_BYTES / 2**30:.0f} GB of images are loaded")
    if need > info.file_size:
        raise DataError(f"'{key}' in {path.name} is damaged: its header declares "
                        f"{'x'.join(map(str, shape))} values ({need:,} bytes) but the entry "
                        f"holds {info.file_size:,} bytes")


def _get(archive, key: str, path: Path) -> np.ndarray:
    _declared(archive, key, path)
    try:
        return archive[key]
    except ValueError:
        raise DataError(f"'{key}' in {path.name} holds Python objects, which are never "
                        "loaded (they could run code); save plain arrays") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"'{key}' in {path.name} is damaged ({exc})") from None


def to_nchw(arr: np.ndarray, name: str) -> np.ndarray:
    """An image array as N x C x H x W (a view where possible)."""
    if arr.ndim == 3:
        return arr[:, None]
    if arr.ndim == 4:
        first, last = arr.shape[1] in (1, 3), arr.shape[3] in (1, 3)
        if last and not first:
            return arr.transpose(0, 3, 1, 2)
        if first:
            return arr
        raise DataError(f"images in {name} have shape {arr.shape}: the channel axis must hold "
                        "1 (gray) or 3 (RGB) and come second or last")
    raise DataError(f"images in {name} must be N x H x W, N x H x W x C or N x C x H x W, "
                    f"not {arr.ndim}-D {arr.shape}")


def to_uint8(arr: np.ndarray, name: str) -> np.ndarray:
    """Validate and convert images to uint8 in chunks (no full-size float copy)."""
    kind = arr.dtype.kind
    if arr.dtype == np.uint8:
        # A memory-mapped .npy stays mapped (read-only): pages are read when a batch is
        # used, and the encoder copies each batch it converts.
        return np.ascontiguousarray(arr)
    if kind not in "biuf":
        raise DataError(f"images in {name} are {arr.dtype}; they must be numbers")
    out = np.empty(arr.shape, dtype=np.uint8)
    for i in range(0, len(arr), _CHUNK):
        part = np.asarray(arr[i : i + _CHUNK])
        if kind == "b":
            out[i : i + _CHUNK] = part * np.uint8(255)
            continue
        if kind == "f" and not np.isfinite(part).all():
            raise DataError(f"images in {name} contain NaN or infinite values")
        lo, hi = part.min(), part.max()
        if kind == "f":
            if lo < 0 or hi > 1:
                hint = "; divide by 255 or save as uint8" if hi <= 255 and lo >= 0 else ""
                raise DataError(f"float images in {name} must lie in [0, 1], but values run "
                                f"from {lo:g} to {hi:g}{hint}")
            out[i : i + _CHUNK] = np.rint(part * 255)
        else:
            if lo < 0 or hi > 255:
                raise DataError(f"integer images in {name} must lie in 0..255, but values run "
                                f"from {lo} to {hi}")
            out[i : i + _CHUNK] = part
    return out


def to_labels(arr: np.ndarray, n: int, name: str) -> np.ndarray:
    """Labels as int64: one whole, non-negative number per image."""
    if arr.ndim != 1:
        raise DataError(f"labels in {name} must be one number per image, not shape {arr.shape}")
    if len(arr) != n:
        raise DataError(f"{name} holds {n:,} images but {len(arr):,} labels")
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise DataError(f"labels in {name} must be whole numbers")
    elif arr.dtype.kind not in "iub":
        raise DataError(f"labels in {name} are {arr.dtype}; they must be whole numbers")
    labels = arr.astype(np.int64)
    check_labels(labels, name)
    return labels


OPTIONS = ("limit", "seed", "size", "channels")


@source("npz", "npy", options=OPTIONS)
def load_arrays(spec: DataSpec) -> ImageSet:
    spec = normalise_options(spec, OPTIONS)
    path = existing_path(spec.arg, "file", spec.name)
    if path.is_dir():
        raise DataError(f"{path} is a folder; {spec.name}:FILE takes a numpy file "
                        "(for a folder of images use folder:DIR)")
    limit, seed = limit_option(spec), seed_option(spec)
    size, channels = size_option(spec, None), channels_option(spec, None)
    name = path.name
    archive = _open(path)
    notes: list[str] = []
    factors: dict[str, np.ndarray] = {}
    label_arr = names = None
    if isinstance(archive, np.ndarray):
        raw = archive
    else:
        with archive:
            keys = list(archive.files)
            image_key = next((k for k in IMAGE_KEYS if k in keys), None)
            if image_key is None:
                raise DataError(f"{name} has no images: it holds {', '.join(keys) or 'nothing'}; "
                                f"store them under 'images' or 'x' (labels under 'labels' or 'y')")
            raw = _get(archive, image_key, path)
            label_key = next((k for k in LABEL_KEYS if k in keys), None)
            label_arr = None if label_key is None else _get(archive, label_key, path)
            if NAMES_KEY in keys:
                names = [str(s) for s in np.atleast_1d(_get(archive, NAMES_KEY, path))]
            ignored = []
            for key in keys:
                if key in (image_key, label_key, NAMES_KEY):
                    continue
                try:
                    _declared(archive, key, path)
                    col = archive[key]
                except Exception:  # noqa: BLE001 - pickled or damaged extras are only reported
                    col = None
                if col is not None and col.ndim == 1 and col.dtype.kind in "biuf" \
                        and len(col) == len(raw):
                    factors[key] = col
                else:
                    ignored.append(key)
            if ignored:
                notes.append(f"ignored arrays in {name}: {', '.join(ignored)}")
    if raw.ndim >= 1 and len(raw) == 0:
        raise DataError(f"{name} holds no images")
    images = to_nchw(raw, name)
    n = len(images)
    labels = None if label_arr is None else to_labels(label_arr, n, name)
    idx, note = limit_pick(n, seed, limit, labels)  # a slice keeps a memory map one
    if note:
        notes.append(note)
    if idx is not None:
        # Pick before converting, so a memory-mapped .npy is read only where needed.
        images = images[idx]
        labels = None if labels is None else labels[idx]
        factors = {k: v[idx] for k, v in factors.items()}
    check_image_budget(len(images), images.shape[1:], name)
    images = np.ascontiguousarray(to_uint8(images, name))
    if labels is not None and not names:
        names = [str(i) for i in range(int(labels.max(initial=0)) + 1)]
    result = ImageSet(images=images, labels=labels, label_names=names or [],
                      factors={k: np.array(v) for k, v in factors.items()}, notes=notes)
    result = finish(result, channels=channels, size=size)
    result.spec = canonical(spec, str(path), {"limit": effective_limit(limit, n), "seed": seed,
                                              "size": size, "channels": channels})
    return result
