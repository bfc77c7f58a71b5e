"""The ImageSet every source returns, the spec grammar, and the source registry."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

import numpy as np


class DataError(ValueError):
    """Bad or missing data; the message is one readable line for the user."""


# Bounds every source checks before it allocates: the images of one set in memory, and
# class numbers (a name is kept per class, so a label of 10**12 must never reach that).
MAX_IMAGE_BYTES = 2 * 2**30
MAX_LABEL = 99_999


def check_image_budget(n: int, shape: tuple[int, ...], what: str) -> None:
    """DataError unless n images of `shape` (C, H, W) as uint8 fit MAX_IMAGE_BYTES."""
    need = int(n) * math.prod(int(v) for v in shape)
    if need > MAX_IMAGE_BYTES:
        dims = "x".join(str(int(v)) for v in shape)
        raise DataError(f"{what} is too large: {int(n):,} images of {dims} need "
                        f"{need / 2**30:,.1f} GB of memory; at most "
                        f"{MAX_IMAGE_BYTES / 2**30:.0f} GB of images are loaded "
                        "(use ?limit=N or a smaller size)")


def check_labels(labels: np.ndarray, what: str) -> None:
    """DataError unless every label is a class number 0..MAX_LABEL."""
    if len(labels) == 0:
        return
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0:
        raise DataError(f"{what} holds negative labels (found {lo}); labels must not be negative")
    if hi > MAX_LABEL:
        raise DataError(f"labels in {what} run up to {hi:,}; labels are class numbers "
                        f"0..{MAX_LABEL:,} (renumber the classes 0, 1, 2, ...)")


@dataclass
class ImageSet:
    """Images as uint8 N x C x H x W, with optional labels and per-image factor columns."""

    images: np.ndarray
    labels: np.ndarray | None = None
    label_names: list[str] = field(default_factory=list)
    factors: dict[str, np.ndarray] = field(default_factory=dict)
    spec: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.images.dtype != np.uint8 or self.images.ndim != 4:
            raise DataError(f"an image set must be uint8 N x C x H x W, got {self.images.dtype} "
                            f"{self.images.shape}")
        n = len(self.images)
        if self.labels is not None and len(self.labels) != n:
            raise DataError(f"{n} images but {len(self.labels)} labels")
        if self.labels is not None:
            check_labels(self.labels, self.spec or "the data set")
        for name, col in self.factors.items():
            if len(col) != n:
                raise DataError(f"factor {name} has {len(col)} values for {n} images")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        return tuple(self.images.shape[1:])

    @property
    def nbytes(self) -> int:
        extra = sum(c.nbytes for c in self.factors.values())
        return self.images.nbytes + (self.labels.nbytes if self.labels is not None else 0) + extra

    def label_name(self, label: int) -> str:
        if 0 <= label < len(self.label_names):
            return self.label_names[label]
        return str(label)

    def subset(self, idx: np.ndarray | slice) -> ImageSet:
        return ImageSet(
            images=self.images[idx],
            labels=None if self.labels is None else self.labels[idx],
            label_names=list(self.label_names),
            factors={k: v[idx] for k, v in self.factors.items()},
            spec=self.spec,
            notes=list(self.notes),
        )


@dataclass(frozen=True)
class DataSpec:
    """A parsed spec: `name[:arg][?key=value&...]`."""

    name: str
    arg: str = ""
    options: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)

    def __str__(self) -> str:
        s = self.name + (f":{self.arg}" if self.arg else "")
        if self.options:
            s += "?" + urlencode(sorted(self.options))
        return s


Loader = Callable[[DataSpec], ImageSet]
_SOURCES: dict[str, Loader] = {}
_OPTIONS: dict[str, tuple[str, ...]] = {}
# Modules that define sources; imported lazily so `import latent_atlas.explorer.core.data` stays cheap.
_SOURCE_MODULES = ("digits", "shapes", "mnist", "idx", "folder", "arrays")


def source(*names: str, options: tuple[str, ...] = ()) -> Callable[[Loader], Loader]:
    """Register a loader under one or more spec names, with the options it takes (its
    own list: `source_options` and the README test read it)."""

    def register(fn: Loader) -> Loader:
        for n in names:
            _SOURCES[n] = fn
            _OPTIONS[n] = tuple(options)
        return fn

    return register


def _ensure_sources() -> None:
    for mod in _SOURCE_MODULES:
        importlib.import_module(f"{__package__}.{mod}")


def source_names() -> list[str]:
    _ensure_sources()
    return sorted(_SOURCES)


def source_options(name: str) -> tuple[str, ...]:
    """The options a source takes (aliases such as `max` for `limit` not included)."""
    _ensure_sources()
    if name not in _SOURCES:
        raise DataError(f"unknown data source '{name}'")
    return _OPTIONS[name]


def parse_spec(spec: str, **overrides: object) -> DataSpec:
    """Parse `name[:arg][?k=v&...]`; keyword overrides (e.g. CLI flags) win over the string."""
    if not isinstance(spec, str) or not spec.strip():
        raise DataError("no data source given; try 'digits'")
    text = spec.strip()
    query = ""
    if "?" in text:
        text, query = text.split("?", 1)
    name, _, arg = text.partition(":")
    opts = dict(parse_qsl(query, keep_blank_values=True))
    for k, v in overrides.items():
        if v is not None:
            opts[k] = str(v)
    return DataSpec(name=name.strip().lower(), arg=arg.strip(), options=tuple(sorted(opts.items())))


def load_data(spec: str, **overrides: object) -> ImageSet:
    """Load the image set named by `spec`; raise DataError with a readable line otherwise."""
    parsed = parse_spec(spec, **overrides)
    _ensure_sources()
    loader = _SOURCES.get(parsed.name)
    if loader is None:
        raise DataError(f"unknown data source '{parsed.name}'; known: {', '.join(sorted(_SOURCES))}")
    result = loader(parsed)
    # The canonical spec reproduces exactly this set; a loader may set a normalised one
    # (absolute path, resolved split, defaults dropped), otherwise the parsed spec is used.
    result.spec = result.spec or str(parsed)
    return result


# An option's default: an int makes the option always an int, None leaves it optional.
OptDefault = TypeVar("OptDefault", int, None)


def int_option(spec: DataSpec, key: str, default: OptDefault, minimum: int = 0
               ) -> int | OptDefault:
    raw = spec.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DataError(f"option {key} must be a whole number, not '{raw}'") from None
    if value < minimum:
        raise DataError(f"option {key} must be at least {minimum}, not {value}")
    return value


def apply_limit(images: ImageSet, spec: DataSpec) -> ImageSet:
    """Honour the common `limit` option (first N after any shuffling the source did)."""
    limit = int_option(spec, "limit", None, minimum=1)
    if limit is not None and limit < len(images):
        return images.subset(np.arange(limit))
    return images
