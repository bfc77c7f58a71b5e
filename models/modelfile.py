"""The Latent Atlas model file: one .safetensors file, weights plus JSON metadata.

This module needs numpy and safetensors only (no torch), so a stored latent map can be
read and painted before torch is imported. Nothing here ever unpickles: the header is
validated by hand before safetensors touches the file, and safetensors itself only reads
raw little-endian arrays.

Layout: tensors named `model.<parameter>` (weights), `map.<name>` (the fitted 2-D map)
and any other `<prefix>.<name>`; metadata key `latent_atlas` holds a JSON document with
`format_version`, `app_version`, `config`, `data_spec`, `label_names`, `history`, ...
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_NAME = "latent-atlas"
FORMAT_VERSION = 1
META_KEY = "latent_atlas"
_MAX_HEADER = 64 * 1024 * 1024


def _read_umask() -> int:
    # Read once at import: os.umask can only be read by setting it, which is not thread-safe.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


class ModelFileError(ValueError):
    """A model file that cannot be used; the message is meant for the user."""


class NotAModelFileError(ModelFileError):
    pass


class TruncatedFileError(ModelFileError):
    pass


class UnsupportedVersionError(ModelFileError):
    pass


class IncompatibleModelError(ModelFileError):
    pass


@dataclass
class ModelFile:
    """Metadata and arrays of one model file, as plain Python and numpy."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None

    def group(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays under `prefix.` with the prefix removed."""
        p = prefix + "."
        return {k[len(p):]: v for k, v in self.arrays.items() if k.startswith(p)}


def _check_header(path: Path) -> dict[str, Any]:
    """Validate the safetensors framing by hand and return its JSON header."""
    name = path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if size == 0:
                raise NotAModelFileError(f"{name} is empty, not a Latent Atlas model file")
            if len(head) < 8:
                raise TruncatedFileError(f"{name} was cut short ({size} bytes): save the model again")
            (n,) = struct.unpack("<Q", head)
            first = fh.read(1)
            if first != b"{" or n < 2 or n > _MAX_HEADER:
                raise NotAModelFileError(f"{name} is not a Latent Atlas model file")
            if 8 + n > size:
                raise TruncatedFileError(
                    f"{name} was cut short: its header needs {8 + n} bytes but the file has {size}"
                )
            raw = first + fh.read(n - 1)
    except FileNotFoundError:
        raise ModelFileError(f"{path} does not exist") from None
    except PermissionError:
        raise ModelFileError(f"{path} cannot be read: permission denied") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a folder, not a model file") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise NotAModelFileError(f"{name} is not a Latent Atlas model file") from None
    if not isinstance(header, dict):
        raise NotAModelFileError(f"{name} is not a Latent Atlas model file")
    meta = header.get("__metadata__") or {}
    if meta.get("format") != FORMAT_NAME or META_KEY not in meta:
        raise NotAModelFileError(
            f"{name} is not a Latent Atlas model file (a safetensors file from another program?)"
        )
    end = 0
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            start, stop = info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise NotAModelFileError(f"{name} has a damaged header (tensor {key})") from None
        end = max(end, int(stop))
    if 8 + n + end > size:
        raise TruncatedFileError(
            f"{name} was cut short: expected {8 + n + end} bytes, found {size}. "
            "The file is incomplete; save or copy it again."
        )
    if 8 + n + end < size:
        raise NotAModelFileError(f"{name} has {size - 8 - n - end} unexpected trailing bytes")
    return header


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """Read metadata and all arrays; raise a ModelFileError subclass with a readable message."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    header = _check_header(path)
    try:
        meta = json.loads(header["__metadata__"][META_KEY])
    except (json.JSONDecodeError, TypeError):
        raise NotAModelFileError(f"{path.name} has damaged metadata") from None
    if not isinstance(meta, dict):
        raise NotAModelFileError(f"{path.name} has damaged metadata")
    version = meta.get("format_version")
    if not isinstance(version, int):
        raise NotAModelFileError(f"{path.name} has no format version")
    if version > FORMAT_VERSION:
        raise UnsupportedVersionError(
            f"{path.name} was written by a newer Latent Atlas (file format {version}, this app "
            f"reads up to {FORMAT_VERSION}); update the app"
        )
    try:
        arrays = load_file(str(path))
    except (SafetensorError, ValueError, OSError) as exc:
        raise TruncatedFileError(f"{path.name} could not be read: {exc}") from None
    return ModelFile(meta=meta, arrays=arrays, path=path)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Only the JSON metadata (cheap: reads the header)."""
    path = Path(path)
    header = _check_header(path)
    try:
        return json.loads(header["__metadata__"][META_KEY])
    except (json.JSONDecodeError, TypeError):
        raise NotAModelFileError(f"{path.name} has damaged metadata") from None


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically: temp file in the same folder, fsync, os.replace."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def write_model_file(path: str | os.PathLike, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write a model file atomically; a crash mid-save leaves the previous file intact."""
    from safetensors.numpy import save

    meta = dict(meta)
    meta.setdefault("format_version", FORMAT_VERSION)
    clean = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    blob = save(clean, metadata={"format": FORMAT_NAME, META_KEY: json.dumps(meta)})
    atomic_write_bytes(path, blob)


def update_model_file(path: str | os.PathLike, meta_updates: dict[str, Any] | None = None,
                      arrays: dict[str, np.ndarray] | None = None,
                      drop_prefix: str | None = None) -> None:
    """Rewrite a model file with merged metadata and arrays (e.g. to store a new map).

    `drop_prefix` removes every array under that prefix first, so a refitted map never
    keeps stale arrays from the previous one.
    """
    mf = read_model_file(path)
    meta = {**mf.meta, **(meta_updates or {})}
    merged = dict(mf.arrays)
    if drop_prefix:
        merged = {k: v for k, v in merged.items() if not k.startswith(drop_prefix + ".")}
    merged.update(arrays or {})
    write_model_file(path, meta, merged)
