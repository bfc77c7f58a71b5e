"""Downloading data files: progress reports, checksum verification, atomic writes.

A file is streamed to a temporary name in its destination folder, hashed on the way,
and renamed into place only when it is complete and its checksum matches, so an
interrupted or corrupt download never leaves a file that looks valid.

Progress goes to the callback given, or to the one installed with `download_progress`
(the GUI and CLI install theirs), or, failing both, to short lines on stderr.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from .base import DataError

# progress(file name, bytes done, total bytes or None if the server did not say)
Progress = Callable[[str, int, "int | None"], None]
_progress: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "latent_atlas_download_progress", default=None)
_CHUNK = 1 << 16
TIMEOUT_S = 30.0


class DownloadError(DataError):
    """A download failed (offline, server error, bad checksum); the message says which."""


@contextlib.contextmanager
def download_progress(callback: Progress | None) -> Iterator[None]:
    """Send the progress of downloads started inside this block to `callback`."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def _stderr_progress() -> Progress:
    last = {"step": -1}

    def report(name: str, done: int, total: int | None) -> None:
        step = int(10 * done / total) if total else done >> 20
        if step != last["step"]:
            last["step"] = step
            size = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
            print(f"downloading {name}: {size}", file=sys.stderr, flush=True)

    return report


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def checksum_algorithm(checksum: str) -> str:
    """md5 (32 hex digits) or sha256 (64), told apart by length."""
    algorithm = {32: "md5", 64: "sha256"}.get(len(checksum))
    if algorithm is None:
        raise ValueError(f"unknown checksum format '{checksum}'")
    return algorithm


def download_file(urls: list[str], dest: Path, checksum: str | None = None,
                  progress: Progress | None = None, timeout: float = TIMEOUT_S) -> Path:
    """Fetch the first URL that works into `dest`; raise DownloadError naming each failure."""
    report = progress or _progress.get() or _stderr_progress()
    failures = []
    for url in urls:
        try:
            _fetch(url, dest, checksum, report, timeout)
            return dest
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            failures.append(f"{url}: {_reason(exc)}")
    raise DownloadError(f"could not download {dest.name} ({'; '.join(failures)})")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _fetch(url: str, dest: Path, checksum: str | None, report: Progress, timeout: float) -> None:
    algorithm = checksum_algorithm(checksum) if checksum else "sha256"
    request = urllib.request.Request(url, headers={"User-Agent": "latent-atlas"})
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.new(algorithm, usedforsecurity=False)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            report(dest.name, 0, total)
            while chunk := resp.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                report(dest.name, done, total)
            if total is not None and done != total:
                raise OSError(f"the connection closed after {done:,} of {total:,} bytes")
            out.flush()
            os.fsync(out.fileno())
        if checksum and digest.hexdigest() != checksum.lower():
            raise ValueError(f"checksum mismatch: expected {algorithm} {checksum}, "
                             f"got {digest.hexdigest()}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
