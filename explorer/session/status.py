"""The status line of a window, without Qt: the last message, and a final sentence when
the job that message spoke for ends.

A message shown while jobs are running belongs to the newest of them ("reconstructing
1,797/1,797 images…" to the loading job). When that job settles and nothing newer was
said meanwhile, the line becomes a final sentence: "… failed: why", "… cancelled", or,
for a line still ending in "…", "… done". A job's own handlers speak first: a final
sentence they show ("UMAP map ready") is kept.

`umap_cache_cold()` tells whether numba has compiled UMAP in this environment yet (the
first fit then takes half a minute); the session says so while the PCA map is usable.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psygnal import Signal

from .jobs import Job, Jobs

JOB_TITLES = {
    "runtime": "loading the model", "data": "loading the data", "map": "refining the map",
    "train": "training", "sweep": "the β sweep", "gaps": "scoring the gap heatmap",
    "metrics": "computing the metrics", "align": "aligning the maps",
    "faithfulness": "measuring the layout's faithfulness",
}
COLD_UMAP = ("preparing UMAP once (numba compiles it, about half a minute); "
             "the PCA map is usable meanwhile…")


def job_title(name: str) -> str:
    return JOB_TITLES.get(name, name.replace("_", " "))


SEPARATOR = "  ·  "


class StatusLine:
    """A window's status line (see module docstring); `changed(line)` on every change.

    `text` is the newest message; `line` is what the window shows: that message, then the
    unfinished message (ending in "…") of every other speaker, so a window over two models
    never says "digits_ae: ready" alone while digits_vae is still "loading the model…"."""

    changed = Signal(str)

    def __init__(self) -> None:
        self.text = ""
        self.line = ""
        self._stamp = 0
        self._owner: Job | None = None  # the job the current text speaks for
        self._live: list[Job] = []
        self._settling: dict[int, tuple[int, str, Any]] = {}
        self._waiting: dict[int, str] = {}  # speaker -> its unfinished message

    def show(self, text: str, speaker: object | None = None) -> None:
        """Show `text`; `speaker` (a session, say) names who said it."""
        self.text = text
        self._stamp += 1
        self._owner = self._live[-1] if self._live else None
        others = ""
        if speaker is not None:
            key = id(speaker)
            self._waiting.pop(key, None)
            if text.rstrip().endswith(("…", "...")):
                self._waiting[key] = text
            others = SEPARATOR.join(t for k, t in self._waiting.items() if k != key)
        self.line = text + (SEPARATOR + others if others and text else others)
        self.changed.emit(self.line)

    def follow(self, jobs: Jobs, prefix: Callable[[], str] | str = "",
               speaker: object | None = None) -> None:
        """Give each job started on `jobs` its final sentence (`prefix` names its owner,
        `speaker` is who it speaks as)."""
        jobs.created.connect(lambda job: self._track(job, prefix, speaker))

    def _track(self, job: Job, prefix: Callable[[], str] | str,
               speaker: object | None = None) -> None:
        # Connected before the starter's own slots: runs before its handlers speak.
        self._live.append(job)
        job.succeeded.connect(lambda _v: self._settle(job, "succeeded", None))
        job.failed.connect(lambda msg: self._settle(job, "failed", msg))
        job.cancelled.connect(lambda: self._settle(job, "cancelled", None))
        job.finished.connect(lambda: self._finish(job, prefix, speaker))

    def _settle(self, job: Job, kind: str, value: Any) -> None:
        self._settling[id(job)] = (self._stamp, kind, value)

    def _finish(self, job: Job, prefix: Callable[[], str] | str,
                speaker: object | None = None) -> None:
        self._live = [j for j in self._live if j is not job]
        stamp, kind, value = self._settling.pop(id(job), (-1, "", None))
        if self._owner is not job or stamp != self._stamp:
            return  # the line speaks for another job, or a handler said the last word
        head = (prefix() if callable(prefix) else prefix) + job_title(job.name)
        if kind == "failed":
            self.show(f"{head} failed: {value}", speaker)
        elif kind == "cancelled":
            self.show(f"{head} cancelled", speaker)
        elif self.text.rstrip().endswith(("…", "...")):
            self.show(f"{head}: done", speaker)
        self._owner = None

    def forget(self, speaker: object) -> None:
        """A speaker that is gone (a closed session) leaves no unfinished line behind."""
        if self._waiting.pop(id(speaker), None) is not None:
            self.show(self.text)


def umap_cache_cold() -> bool:
    """True when numba has no compiled UMAP layout in its cache for this environment
    (where numba itself would look: NUMBA_CACHE_DIR, the package's __pycache__, the
    user's cache folder); False when warm or when umap is not installed."""
    try:
        spec = importlib.util.find_spec("umap")
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    package = os.path.abspath(next(iter(spec.submodule_search_locations)))
    # numba names a cache folder by the source folder's name and the SHA-1 of its path.
    sub = f"{Path(package).name}_{hashlib.sha1(package.encode()).hexdigest()}"
    places = [Path(package) / "__pycache__", Path.home() / ".cache" / "numba" / sub]
    if os.environ.get("NUMBA_CACHE_DIR"):
        places.insert(0, Path(os.environ["NUMBA_CACHE_DIR"]) / sub)
    for place in places:
        try:
            if any(place.glob("layouts.*.nbi")):
                return False
        except OSError:
            continue
    return True
