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
import re
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .files import regular_file

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


class DamagedMetadataError(NotAModelFileError):
    """The metadata document has a value of the wrong type; the message names it."""


@dataclass
class ModelFile:
    """Metadata and arrays of one model file, as plain Python and numpy."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None
    # The checked `meta["config"]` as a ModelConfig, parsed once when the file is read.
    config: Any = None

    def group(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays under `prefix.` with the prefix removed."""
        p = prefix + "."
        return {k[len(p):]: v for k, v in self.arrays.items() if k.startswith(p)}


def _check_header(path: Path) -> dict[str, Any]:
    """Validate the safetensors framing by hand and return its JSON header."""
    path = regular_file(path, ModelFileError, "model file")
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
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read: {exc.strerror or exc}") from None
    header = _json(raw, name, "is not a Latent Atlas model file")
    if not isinstance(header, dict):
        raise NotAModelFileError(f"{name} is not a Latent Atlas model file")
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise NotAModelFileError(f"{name} has a damaged header (its metadata is not text)")
    if meta.get("format") != FORMAT_NAME or META_KEY not in meta:
        raise NotAModelFileError(
            f"{name} is not a Latent Atlas model file (a safetensors file from another program?)"
        )
    end = 0
    for key, info in header.items():
        if key == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(v) is int for v in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise NotAModelFileError(f"{name} has a damaged header (tensor {key})")
        end = max(end, offsets[1])
    if 8 + n + end > size:
        raise TruncatedFileError(
            f"{name} was cut short: expected {8 + n + end} bytes, found {size}. "
            "The file is incomplete; save or copy it again."
        )
    if 8 + n + end < size:
        raise NotAModelFileError(f"{name} has {size - 8 - n - end} unexpected trailing bytes")
    return header


def _json(raw: bytes | str, name: str, what: str) -> Any:
    """Parse JSON; anything malformed (also nested too deep to parse) is NotAModelFileError."""
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        raise NotAModelFileError(f"{name} {what}") from None


def _meta_document(header: dict[str, Any], name: str) -> tuple[dict[str, Any], Any]:
    """The `latent_atlas` metadata document and its parsed config (see `check_meta`)."""
    meta = _json(header["__metadata__"][META_KEY], name, "has damaged metadata")
    return meta, check_meta(meta, name)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _losses(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) and _number(x) for k, x in v.items())


def check_meta(meta: Any, name: str) -> Any:
    """Raise a readable ModelFileError unless every field `info`, the CLI and the windows
    read has the type they expect (the config itself is checked by ModelConfig); return
    the parsed `ModelConfig`, so no reader parses it a second time."""

    def bad(field: str, want: str) -> DamagedMetadataError:
        return DamagedMetadataError(f"{name} has damaged metadata: {field} must be {want}")

    if not isinstance(meta, dict):
        raise bad("the metadata", "a table of fields")
    version = meta.get("format_version")
    if type(version) is not int:
        raise NotAModelFileError(f"{name} has no format version")
    if version > FORMAT_VERSION:
        raise UnsupportedVersionError(
            f"{name} was written by a newer Latent Atlas (file format {version}, this app "
            f"reads up to {FORMAT_VERSION}); update the app"
        )
    if "config" not in meta:
        raise NotAModelFileError(f"{name} holds no model config")
    from .config import ConfigError, ModelConfig

    try:
        config = ModelConfig.from_dict(meta["config"])
    except ConfigError as exc:
        raise IncompatibleModelError(f"{name} has an unusable model config: {exc}") from None
    for key in ("data_spec", "app_version"):
        if key in meta and not isinstance(meta[key], str):
            raise bad(key, "text")
    names = meta.get("label_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad("label_names", "a list of texts")
    history = meta.get("history", [])
    if not isinstance(history, list):
        raise bad("history", "a list of epochs")
    for i, epoch in enumerate(history, 1):
        if not (isinstance(epoch, dict) and _losses(epoch.get("train", {}))
                and (epoch.get("val") is None or _losses(epoch["val"]))
                and all(_number(epoch[k]) for k in ("epoch", "seconds") if k in epoch)):
            raise bad(f"history epoch {i}", "a table of loss numbers")
    m = meta.get("map")
    if m is not None and not (isinstance(m, dict) and isinstance(m.get("method", ""), str)
                              and type(m.get("n_points", 0)) is int
                              and isinstance(m.get("params", {}), dict)):
        raise bad("map", "a table with a method name and a point count")
    return config


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """Read metadata and all arrays; raise a ModelFileError subclass with a readable message."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    header = _check_header(path)
    meta, config = _meta_document(header, path.name)
    try:
        arrays = load_file(str(path))
    except (SafetensorError, ValueError, OSError) as exc:
        raise TruncatedFileError(f"{path.name} could not be read: {exc}") from None
    return ModelFile(meta=meta, arrays=arrays, path=path, config=config)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Only the JSON metadata (cheap: reads the header), checked like `read_model_file`."""
    path = Path(path)
    return _meta_document(_check_header(path), path.name)[0]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically: temp file in the same folder, fsync, os.replace.

    The temp file (`.NAME.XXXXXXXX.tmp`) is locked while it is written; temp files of the
    same name left by a writer that died (kill -9, power loss) are removed first.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    clean_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        _lock(fd)  # held until the file is closed: a live writer's temp file is never taken
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if _HAS_FLOCK:  # rename while still locked (Windows cannot rename an open file)
                os.replace(tmp, path)
        if not _HAS_FLOCK:
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


_STALE_AGE_S = 24 * 3600  # where file locks do not exist: leftovers older than a day
try:
    import fcntl  # noqa: F401

    _HAS_FLOCK = True
except ImportError:
    _HAS_FLOCK = False


def _lock(fd: int, blocking: bool = True) -> bool:
    """An exclusive advisory lock on `fd` (True), False if another process holds it."""
    if not _HAS_FLOCK:  # (Windows): callers fall back to the file's age
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def clean_stale_temps(path: str | os.PathLike) -> list[str]:
    """Remove temp files of our own naming for `path` (`.NAME.XXXXXXXX.tmp`) whose writer
    is gone: nobody holds their lock (or, without file locks, older than a day).
    Returns the names removed. Never raises."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(r"\." + re.escape(path.name) + r"\.[a-z0-9_]{8}\.tmp")
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(folder) if pattern.fullmatch(e.name)]
    except OSError:
        return removed
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            stale = _lock(fd, blocking=False)
            if stale and not _HAS_FLOCK:
                stale = time.time() - os.fstat(fd).st_mtime > _STALE_AGE_S
            if stale:
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


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
                      drop_prefix: str | tuple[str, ...] | None = None) -> None:
    """Rewrite a model file with merged metadata and arrays (e.g. to store a new map), in
    one atomic write.

    `drop_prefix` (one or several) removes every array under that prefix, or of that exact
    name, first, so a refitted map never keeps stale arrays from the previous one.
    """
    mf = read_model_file(path)
    meta = {**mf.meta, **(meta_updates or {})}
    merged = dict(mf.arrays)
    drops = (drop_prefix,) if isinstance(drop_prefix, str) else tuple(drop_prefix or ())
    if drops:
        merged = {k: v for k, v in merged.items()
                  if not any(k == d or k.startswith(d + ".") for d in drops)}
    merged.update(arrays or {})
    write_model_file(path, meta, merged)
