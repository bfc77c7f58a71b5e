"""What the map's colours mean: label, factor column, reconstruction error, latent norm.

The view only turns small integer indices into a few shared brushes; everything that
decides those indices (which column, which bins, what the legend says) is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from latent_atlas.explorer.core.palette import CATEGORY_COLOURS

# Continuous values are cut into this many bins: enough to read a gradient, few enough
# that the scatter shares a handful of brushes.
CONTINUOUS_BINS = 32
MAX_CATEGORIES = 24


@dataclass
class Colouring:
    """Per-point colour index plus what each index means.

    `kind` is "categorical" (one index per category, `names` are the categories) or
    "continuous" (`bins` equal-width bins between `vmin` and `vmax`; `names` label them).
    """

    key: str
    title: str
    kind: str
    index: np.ndarray
    names: list[str] = field(default_factory=list)
    vmin: float = 0.0
    vmax: float = 0.0
    other: bool = False  # the last category is "other": the smaller ones, lumped

    @property
    def n_colours(self) -> int:
        return len(self.names)


def colour_choices(*, has_labels: bool, factor_names: list[str] | tuple[str, ...] = (),
                   has_recon_error: bool = False, has_codes: bool = True) -> list[tuple[str, str]]:
    """(key, title) of every colouring available for this data, in menu order."""
    out: list[tuple[str, str]] = []
    if has_labels:
        out.append(("label", "Label"))
    out += [(f"factor:{n}", f"Factor: {n}") for n in factor_names]
    if has_recon_error:
        out.append(("recon_error", "Reconstruction error"))
    if has_codes:
        out.append(("latent_norm", "Latent norm"))
    out.append(("none", "Single colour"))
    return out


def _categories(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True), by counting for small non-negative integers
    (labels): a million labels in milliseconds instead of a sort."""
    if values.dtype.kind in "iu" and len(values) and values.min() >= 0 and values.max() < 1 << 16:
        present = np.flatnonzero(np.bincount(values))
        lookup = np.zeros(int(present[-1]) + 1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        return present.astype(values.dtype), lookup[values]
    return np.unique(values, return_inverse=True)


def categorical(key: str, title: str, values: np.ndarray, names: list[str] | None = None,
                lump: bool = False) -> Colouring:
    """Colour by category; integer labels index `names` when given (real label names).
    A numeric column with more values than the palette has colours is coloured as a value,
    unless `lump` (labels): then, as for any larger set, the smallest share "other"."""
    values = np.asarray(values).ravel()
    cats, inverse = _categories(values)
    if len(cats) > len(CATEGORY_COLOURS) and not lump and values.dtype.kind in "iufb":
        return continuous(key, title, values.astype(np.float64))
    labels = []
    for c in cats.tolist():
        if names and isinstance(c, int) and 0 <= c < len(names):
            labels.append(str(names[c]))
        else:
            labels.append(str(c))
    index = inverse.astype(np.int32).ravel()
    if len(cats) > len(CATEGORY_COLOURS):
        return _lumped(key, title, index, labels)
    return Colouring(key, title, "categorical", index, labels)


def _lumped(key: str, title: str, index: np.ndarray, labels: list[str]) -> Colouring:
    """More categories than colours: the largest keep a colour each, the rest share the
    last one, named "other (N categories)" in the legend; no colour is repeated."""
    keep = len(CATEGORY_COLOURS) - 1
    counts = np.bincount(index, minlength=len(labels))
    order = np.argsort(-counts, kind="stable")
    remap = np.full(len(labels), keep, np.int32)
    remap[order[:keep]] = np.arange(keep, dtype=np.int32)
    names = [labels[i] for i in order[:keep]]
    names.append(f"other ({len(labels) - keep} categories)")
    return Colouring(key, title, "categorical", remap[index], names, other=True)


def continuous(key: str, title: str, values: np.ndarray, bins: int = CONTINUOUS_BINS) -> Colouring:
    """Colour by value: robust range (1st to 99th percentile) cut into equal bins."""
    v = np.asarray(values, dtype=np.float64).ravel()
    finite = np.isfinite(v)
    if not finite.any():
        return Colouring(key, title, "continuous", np.zeros(len(v), np.int32), ["n/a"], 0.0, 0.0)
    lo, hi = np.percentile(v[finite], [1.0, 99.0])
    if not hi > lo:
        lo, hi = float(v[finite].min()), float(v[finite].max())
    if not hi > lo:
        hi = lo + 1.0
    t = np.clip((np.where(finite, v, lo) - lo) / (hi - lo), 0.0, 1.0)
    index = np.minimum((t * bins).astype(np.int32), bins - 1)
    edges = np.linspace(lo, hi, bins + 1)
    names = [f"{edges[i]:.3g} - {edges[i + 1]:.3g}" for i in range(bins)]
    return Colouring(key, title, "continuous", index, names, float(lo), float(hi))


def latent_norm(codes: np.ndarray) -> np.ndarray:
    """Euclidean norm of each code (how far from the prior's centre)."""
    return np.linalg.norm(np.asarray(codes, dtype=np.float32), axis=1)


_ERROR_BLOCK = 4096


def reconstruction_error(originals: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Mean squared pixel error per image on a 0..1 scale.

    `originals` are uint8 N x C x H x W dataset images, `reconstructions` uint8 display
    images (N x H x W for one channel, N x H x W x 3 for colour).
    """
    orig = np.asarray(originals)
    rec = np.asarray(reconstructions)
    if orig.ndim == 4:
        orig = orig[:, 0] if orig.shape[1] == 1 else np.transpose(orig, (0, 2, 3, 1))
    if orig.shape != rec.shape:
        raise ValueError(f"originals {orig.shape} and reconstructions {rec.shape} differ in shape")
    out = np.empty(len(orig), dtype=np.float32)
    # In blocks: a float copy of a million images would need gigabytes.
    for start in range(0, len(orig), _ERROR_BLOCK):
        o = orig[start:start + _ERROR_BLOCK].astype(np.float32)
        diff = (o - rec[start:start + _ERROR_BLOCK].astype(np.float32)) / 255.0
        out[start:start + len(o)] = np.mean(diff.reshape(len(diff), -1) ** 2, axis=1)
    return out


def colouring_for(key: str, *, labels: np.ndarray | None = None, label_names: list[str] | None = None,
                  factors: dict[str, np.ndarray] | None = None, codes: np.ndarray | None = None,
                  recon_error: np.ndarray | None = None, n: int | None = None) -> Colouring:
    """The colouring named by `key` (see `colour_choices`); falls back to a single colour
    when the data for it is not available (yet)."""
    if n is None:
        n = len(codes) if codes is not None else (len(labels) if labels is not None else 0)
    if key == "label" and labels is not None:
        return categorical(key, "Label", labels, label_names, lump=True)
    if key.startswith("factor:") and factors and key[7:] in factors:
        col = np.asarray(factors[key[7:]])
        title = f"Factor: {key[7:]}"
        if col.dtype.kind in "iub" or col.dtype.kind in "OUS":
            return categorical(key, title, col)
        return continuous(key, title, col)
    if key == "recon_error" and recon_error is not None:
        return continuous(key, "Reconstruction error", recon_error)
    if key == "latent_norm" and codes is not None:
        return continuous(key, "Latent norm", latent_norm(codes))
    return Colouring("none", "Single colour", "categorical", np.zeros(n, np.int32), ["all samples"])
