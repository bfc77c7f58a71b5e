"""Option parsing shared by the sources, the canonical spec, and the common finishing step.

Common options (where a source makes sense of them):
    split     train | test | all
    limit     keep at most N images (alias: max)
    seed      shuffle with this seed before `limit` (shapes: the generation seed)
    size      square side in pixels
    channels  1 (gray) or 3 (RGB)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import overload

import numpy as np

from latent_atlas.models.files import regular_file

from .base import DataError, DataSpec, ImageSet, OptDefault, int_option

SPLITS = ("train", "test", "all")
ALIASES = {"max": "limit"}  # alias -> option, for every source
_CHANNEL_WORDS = {"1": 1, "gray": 1, "grey": 1, "grayscale": 1, "greyscale": 1, "l": 1,
                  "3": 3, "rgb": 3, "color": 3, "colour": 3}


def normalise_options(spec: DataSpec, allowed: Iterable[str]) -> DataSpec:
    """Apply option aliases and refuse options the source does not take."""
    allowed = tuple(allowed)
    opts: dict[str, str] = {}
    for key, value in spec.options:
        key = ALIASES.get(key, key)
        if key not in allowed:
            takes = ", ".join(allowed) if allowed else "no options"
            raise DataError(f"{spec.name} does not take the option '{key}'; it takes {takes}")
        opts[key] = value
    return DataSpec(spec.name, spec.arg, tuple(sorted(opts.items())))


def split_option(spec: DataSpec, default: str = "all") -> str:
    raw = (spec.get("split") or default).strip().lower()
    if raw == "t10k":
        raw = "test"
    if raw not in SPLITS:
        raise DataError(f"option split must be train, test or all, not '{raw}'")
    return raw


def channels_option(spec: DataSpec, default: OptDefault) -> int | OptDefault:
    raw = spec.get("channels")
    if raw is None or raw == "":
        return default
    value = _CHANNEL_WORDS.get(raw.strip().lower())
    if value is None:
        raise DataError(f"option channels must be 1 (gray) or 3 (RGB), not '{raw}'")
    return value


def size_option(spec: DataSpec, default: OptDefault, lo: int = 4, hi: int = 512
                ) -> int | OptDefault:
    value = int_option(spec, "size", default, minimum=lo)
    if value is not None and value > hi:
        raise DataError(f"option size must be at most {hi} pixels, not {value}")
    return value


@overload
def seed_option(spec: DataSpec, default: int) -> int: ...


@overload
def seed_option(spec: DataSpec, default: None = None) -> int | None: ...


def seed_option(spec: DataSpec, default: int | None = None) -> int | None:
    value = int_option(spec, "seed", None, minimum=0)
    return default if value is None else value


def limit_option(spec: DataSpec) -> int | None:
    return int_option(spec, "limit", None, minimum=1)


def canonical(spec: DataSpec, arg: str, values: dict[str, object],
              defaults: dict[str, object] | None = None) -> str:
    """The spec string that reproduces a set: options at their default are left out."""
    defaults = defaults or {}
    opts = tuple(sorted((k, str(v)) for k, v in values.items()
                        if v is not None and v != defaults.get(k)))
    return str(DataSpec(spec.name, arg, opts))


def existing_path(arg: str, what: str, source: str) -> Path:
    """Absolute path for a spec argument; DataError if it is missing or unreadable.

    A file argument must be a regular file or a folder (the source explains a folder):
    a FIFO or a device is refused before anything opens it.
    """
    if not arg:
        raise DataError(f"{source} needs a path: {source}:{what.upper()}")
    path = Path(os.path.abspath(os.path.expanduser(arg)))
    kind = "folder" if what == "dir" else "file"
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"no such {kind}: {path}") from None
    except (OSError, ValueError):
        regular_file(path, DataError, kind)  # raises with the reason (a symlink loop, ...)
    if what != "dir" and not path.is_dir():
        regular_file(path, DataError, f"{source} file")
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise DataError(f"cannot read {path}: permission denied")
    return path


def order(n: int, seed: int | None, limit: int | None) -> np.ndarray | None:
    """Indices to keep: shuffled by `seed`, then cut to `limit`; None means all, in order."""
    if seed is None and (limit is None or limit >= n):
        return None
    idx = np.random.default_rng(seed).permutation(n) if seed is not None else np.arange(n)
    return idx[:limit] if limit is not None else idx


def grouped_by_class(labels: np.ndarray | None) -> bool:
    """Whether the labels come in class blocks (a folder per class, a sorted array): then
    the first N images hold only the first classes. Random order changes label almost
    every image; blocks change at most about twice per class (e.g. train then test)."""
    if labels is None or len(labels) < 2:
        return False
    classes = len(np.unique(labels))
    runs = 1 + int(np.count_nonzero(labels[1:] != labels[:-1]))
    return classes > 1 and runs <= 2 * classes


def class_sample(labels: np.ndarray, limit: int, seed: int = 0) -> np.ndarray:
    """`limit` indices drawn across the classes in proportion to their sizes (every class
    at least one while the limit allows), seeded, in their original order."""
    classes, counts = np.unique(labels, return_counts=True)
    quota = limit * counts / counts.sum()
    alloc = np.floor(quota).astype(np.int64)
    if limit >= len(classes):
        alloc = np.maximum(alloc, 1)
    alloc = np.minimum(alloc, counts)
    floor = 1 if limit >= len(classes) else 0
    while alloc.sum() > limit:  # one per class overshot: trim where it is most over quota
        over = np.where(alloc > floor, alloc - quota, -np.inf)
        alloc[int(np.argmax(over))] -= 1
    while alloc.sum() < limit:  # largest remainders first
        room = np.where(alloc < counts, quota - alloc, -np.inf)
        alloc[int(np.argmax(room))] += 1
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == c), size=int(k), replace=False)
              for c, k in zip(classes, alloc, strict=True) if k]
    return np.sort(np.concatenate(picked))


def limit_pick(n: int, seed: int | None, limit: int | None, labels: np.ndarray | None = None
               ) -> tuple[np.ndarray | slice | None, str | None]:
    """Which images a `limit` (and `seed`) keep, and a note when the choice needs saying.

    Without a seed the limit keeps the first N (a slice: a memory map stays one), unless
    the labels come grouped by class: then it samples across the classes (seed 0), since
    the first N would be one or two classes. With a seed it shuffles, then cuts.
    """
    if limit is None or limit >= n:
        return order(n, seed, None), None
    grouped = grouped_by_class(labels)
    if seed is None and not grouped:
        return slice(0, limit), None
    idx: np.ndarray | slice | None
    if seed is None:
        assert labels is not None  # grouped_by_class needs labels
        idx = class_sample(labels, limit, 0)
        how = ("the images come grouped by class, so it samples across the classes "
               "(seed 0; add seed=N for a shuffled sample)")
    else:
        idx = order(n, seed, limit)
        how = f"a shuffled sample (seed {seed})"
    if labels is None:
        return idx, None
    kept = np.unique(labels[idx], return_counts=True)[1]
    each = f"{kept.min()} each" if kept.min() == kept.max() else f"{kept.min()} to {kept.max()} each"
    total = len(np.unique(labels))
    among = f"all {total}" if len(kept) == total else f"{len(kept)} of the {total}"
    return idx, (f"limit {limit:,} of {n:,} images: {how}; kept {among} classes, {each}")


def finish(images: ImageSet, *, seed: int | None = None, limit: int | None = None,
           channels: int | None = None, size: int | None = None) -> ImageSet:
    """The common tail: shuffle, limit, then convert channels and size (cheapest first)."""
    from .transform import fit_images, to_channels

    idx, note = limit_pick(len(images), seed, limit, images.labels)
    if idx is not None:
        images = images.subset(idx)
    if note:
        images.notes.append(note)
    if channels is not None and channels != images.shape[0]:
        images.images = to_channels(images.images, channels)
    if size is not None and images.shape[1:] != (size, size):
        images.images = fit_images(images.images, size)
    return images


def effective_limit(limit: int | None, n: int) -> int | None:
    """A limit only belongs in the canonical spec when it actually cut the set."""
    return limit if limit is not None and limit < n else None
