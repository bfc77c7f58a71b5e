"""Downloading data files with pooch: progress reports, checksum verification, atomic writes.

pooch (the fetcher of scikit-image, xarray and librosa) streams a file to a temporary
name in its destination folder, checks its hash and moves it into place only when it
matches, so an interrupted or corrupt download never leaves a file that looks valid.
What is ours: trying mirrors in turn, one readable line naming every failure, and
progress reports.

Progress goes to the callback given, or to the one installed with `download_progress`
(the GUI and CLI install theirs), or, failing both, to short lines on stderr.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


def checksum_algorithm(checksum: str) -> str:
    """md5 (32 hex digits) or sha256 (64), told apart by length."""
    algorithm = {32: "md5", 64: "sha256"}.get(len(checksum))
    if algorithm is None:
        raise ValueError(f"unknown checksum format '{checksum}'")
    return algorithm


def download_file(urls: list[str], dest: Path, checksum: str | None = None,
                  progress: Progress | None = None, timeout: float = TIMEOUT_S) -> Path:
    """Fetch the first URL that works into `dest`; raise DownloadError naming each failure."""
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")  # our own progress lines say what happens
    report = progress or _progress.get() or _stderr_progress()
    algorithm = checksum_algorithm(checksum) if checksum else None
    known = f"{algorithm}:{checksum.lower()}" if checksum else None
    failures = []
    for url in urls:
        fetch = pooch.HTTPDownloader(progressbar=_Bar(dest.name, report), chunk_size=_CHUNK,
                                     timeout=timeout, headers={"User-Agent": "latent-atlas"})
        try:
            pooch.retrieve(url, known_hash=known, fname=dest.name, path=dest.parent,
                           downloader=fetch)
            return dest
        except ValueError as exc:  # pooch refuses a file whose hash differs (and deletes it)
            failures.append(f"{url}: checksum mismatch: expected {algorithm} {checksum}"
                            if "does not match" in str(exc) else f"{url}: {exc}")
        except (requests.RequestException, OSError) as exc:
            failures.append(f"{url}: {_reason(exc)}")
    raise DownloadError(f"could not download {dest.name} ({'; '.join(failures)})")


class _Bar:
    """The progress-bar object pooch updates, turned into `Progress` calls."""

    def __init__(self, name: str, report: Progress) -> None:
        self.name, self.report, self.done = name, report, 0
        self._total: int | None = None

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int) -> None:  # pooch sets it once the server answered
        self._total = value or None
        self.report(self.name, 0, self._total)

    def update(self, n: int) -> None:
        self.done += n
        if self._total is not None:
            self.done = min(self.done, self._total)  # pooch counts whole chunks
        self.report(self.name, self.done, self._total)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass


def _reason(exc: Any) -> str:
    """One short line for a failed request (no library's multi-line repr)."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}"
    if isinstance(exc, requests.ConnectionError):
        found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
        return f"cannot connect ({found.group(1).strip()})" if found else "cannot connect"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.RequestException):
        return "the transfer broke off before the end"
    return str(exc) or type(exc).__name__
