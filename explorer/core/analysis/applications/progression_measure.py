"""Does a progression obey its condition and keep the rest? Measured with classifier judges.

    result = drain(measure_progression(model, data, limit=300))
    print(format_progression_table([result]))

Held-out images (the model's validation split, at most `limit`, a seeded choice) are
encoded under their own label and decoded under every condition (`progression`). Judges
are the classifier judges of the gap measures (`gaps.judges.classifier_judge`, a small
CNN trained on the model's training split, cached per data set), here trained on real
images:

- **condition obeyed**: a judge of the labels (the conditions) reads each decode; the
  fraction called the condition it was decoded under, over every source and every
  condition (own included), and the mean distance in conditions between what it read and
  what was asked (conditions are ordered bins of a factor on shapes; on digits this is
  just how far apart the digits are);
- **identity kept** (data with factor columns, e.g. `shapes?label=scale`): for every other
  factor a judge of that factor (discrete factors as they are, continuous ones in
  `identity_bins` equal-width bins) reads each decode under a condition *other* than the
  source's own; the fraction it calls the source's own value.

The judges train on the training split of `judge_seed` (default: the model's own seed);
the benchmark gives every model one judge seed, so that all are read by the same judges
(trained once, cached), at the price that a judge may have seen a source image itself
(never a decode of it).

Each fraction has its 95 % Wilson interval over the decodes (sources are not independent
across conditions, so the intervals are narrower than they should be: compare models by
their seed spread), and each judge's accuracy on real held-out images is its ceiling: a
perfect model's decodes would be read no better than real images.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import ApplicationError
from latent_atlas.explorer.core.analysis.applications.progression import check_conditional
from latent_atlas.explorer.core.analysis.intervals import fraction_interval
from latent_atlas.explorer.core.progress import Progress, check_cancel, relay

DEFAULT_LIMIT = 300
IDENTITY_BINS = 6


@dataclass(frozen=True)
class ProgressionProgress(Progress):
    """Judges, encoding and decoding."""


@dataclass
class Judged:
    """How a judge read a set of decodes: the fraction read as asked (with its interval),
    the judge's accuracy on real held-out images (the ceiling) and chance (1 / classes)."""

    name: str
    hit: dict[str, float]
    ceiling: float
    chance: float
    n: int
    mean_error: float = float("nan")  # condition only: mean |read - asked| in conditions

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "hit": dict(self.hit), "ceiling": self.ceiling,
                "chance": self.chance, "n": self.n, "mean_error": self.mean_error}


@dataclass
class ProgressionMeasure:
    kind: str
    data_spec: str
    conditions: list[str]
    condition_factor: str | None  # the factor the labels bin (None: plain labels)
    n_sources: int
    condition: Judged
    identity: list[Judged] = field(default_factory=list)
    recon_mse: float = float("nan")  # decodes under the own condition vs the sources
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "data": self.data_spec, "conditions": list(self.conditions),
                "condition_factor": self.condition_factor, "n_sources": self.n_sources,
                "condition": self.condition.to_dict(),
                "identity": [j.to_dict() for j in self.identity],
                "recon_mse": self.recon_mse, "seed": self.seed}


def condition_factor(data: Any) -> str | None:
    """The factor column the labels are (or bin), if any: 'shape' for plain shapes,
    'scale' for `shapes?label=scale`; None for data without factors (digits)."""
    factors = getattr(data, "factors", None) or {}
    y = np.asarray(data.labels).reshape(-1)
    for name, values in factors.items():
        v = np.asarray(values)
        if np.issubdtype(v.dtype, np.integer) and np.array_equal(v, y):
            return str(name)
    k = int(y.max()) + 1 if len(y) else 0
    for name, values in factors.items():
        v = np.asarray(values, dtype=np.float64)
        if np.issubdtype(np.asarray(values).dtype, np.integer) or k < 2:
            continue
        # Binned: the labels order the values (every bin's values lie above the last's).
        lows = [v[y == c].min() for c in range(k) if (y == c).any()]
        highs = [v[y == c].max() for c in range(k) if (y == c).any()]
        if len(lows) == k and all(h <= lo for h, lo in zip(highs[:-1], lows[1:], strict=True)):
            return str(name)
    return None


def factor_classes(values: np.ndarray, bins: int) -> tuple[np.ndarray, int]:
    """A factor as classes: integer factors as they are, real ones in equal-width bins
    over their observed range."""
    v = np.asarray(values)
    if np.issubdtype(v.dtype, np.integer):
        return v.astype(np.int64), int(v.max()) + 1
    lo, hi = float(v.min()), float(v.max())
    edges = np.linspace(lo, hi, bins + 1)
    return np.clip(np.searchsorted(edges, v, side="right") - 1, 0, bins - 1).astype(np.int64), bins


def measure_progression(model: Any, data: Any, *, limit: int = DEFAULT_LIMIT, seed: int = 0,
                        identity_bins: int = IDENTITY_BINS, judge_seed: int | None = None,
                        cancel: Any = None
                        ) -> Generator[ProgressionProgress, None, ProgressionMeasure]:
    """See the module docstring. Yields `ProgressionProgress`; returns `ProgressionMeasure`."""
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices
    from latent_atlas.explorer.core.analysis.gaps.judges import classifier_judge
    from latent_atlas.explorer.core.inference import decode_float, encode_iter
    from latent_atlas.models.classifier import class_probabilities

    k = check_conditional(model)
    images = np.asarray(data.images)
    if data.labels is None:
        raise ApplicationError("a progression is measured on labelled data (the conditions)")
    if tuple(model.image_shape) != tuple(images.shape[1:]):
        raise ApplicationError(f"the model expects images {tuple(model.image_shape)} (C, H, W) "
                               f"but the data has {tuple(images.shape[1:])}")
    if int(limit) != limit or limit < 1:
        raise ApplicationError(f"the limit must be a whole number of at least 1, not {limit}")
    y = np.asarray(data.labels).astype(np.int64).reshape(-1)
    if y.max() >= k:
        raise ApplicationError(f"the data has labels up to {int(y.max())}, the model {k} "
                               "conditions: open it with the data it was trained on")
    n = len(images)
    own_held, _ = held_out_indices(n, [int(model.seed)])
    rng = np.random.default_rng(int(seed))
    sources = np.sort(rng.choice(own_held, size=min(int(limit), len(own_held)), replace=False))
    held = own_held if judge_seed is None else held_out_indices(n, [int(judge_seed)])[0]
    held_mask = np.zeros(n, dtype=bool)
    held_mask[held] = True
    train = np.flatnonzero(~held_mask)  # the judges' training split
    cond_name = condition_factor(data)
    factors = {f: v for f, v in (getattr(data, "factors", None) or {}).items() if f != cond_name}
    n_judges = 1 + len(factors)

    def judge(labels: np.ndarray, i: int) -> Generator[Any, None, Any]:
        span = (0.6 * i / n_judges, 0.6 * (i + 1) / n_judges)
        j = yield from relay(classifier_judge(images, labels, train, held,
                                              seed=seed if judge_seed is None else judge_seed,
                                              cancel=cancel, span=span),
                             lambda ev: ProgressionProgress(ev.stage, ev.fraction, ev.message))
        if j is None:
            raise ApplicationError("a judge needs at least two labelled classes in the "
                                   "training split")
        return j

    cond_judge = yield from judge(y, 0)
    id_judges = []
    for i, (name, values) in enumerate(factors.items(), start=1):
        classes, count = factor_classes(values, identity_bins)
        id_judges.append((name, classes, count, (yield from judge(classes, i))))
    check_cancel(cancel, "measuring the progression")
    yield ProgressionProgress("encode", 0.6, "encoding the sources…")
    codes = yield from relay(encode_iter(model, images[sources], labels=y[sources],
                                         cancel=cancel),
                             lambda ev: ProgressionProgress("encode", 0.6 + 0.1 * (ev.fraction or 0),
                                                            ev.message))
    m = len(sources)
    asked = np.tile(np.arange(k, dtype=np.int64), m)  # source-major: row i*k + c
    yield ProgressionProgress("decode", 0.7, f"decoding {m} codes under {k} conditions…")
    decodes = decode_float(model, np.repeat(codes, k, axis=0), labels=asked)
    check_cancel(cancel, "measuring the progression")
    own = asked == np.repeat(y[sources], k)
    x_src = images[sources].astype(np.float32) / 255.0
    recon = float(((decodes[own] - x_src) ** 2).mean())
    read = class_probabilities(cond_judge.net, decodes).argmax(axis=1)
    hits = int((read == asked).sum())
    condition = Judged(cond_name or "label", fraction_interval(hits, len(asked)),
                       float(cond_judge.accuracy), 1.0 / k, len(asked),
                       mean_error=float(np.abs(read - asked).mean()))
    identity = []
    other = ~own
    for name, classes, count, jd in id_judges:
        yield ProgressionProgress("identity", 0.85, f"reading {name} off the decodes…")
        truth = np.repeat(classes[sources], k)[other]
        got = class_probabilities(jd.net, decodes[other]).argmax(axis=1)
        identity.append(Judged(name, fraction_interval(int((got == truth).sum()), len(truth)),
                               float(jd.accuracy), 1.0 / count, len(truth)))
    yield ProgressionProgress("done", 1.0, "measured")
    return ProgressionMeasure(kind=str(getattr(model, "kind", "")),
                              data_spec=str(getattr(data, "spec", "")),
                              conditions=[str(v) for v in (data.label_names or range(k))][:k],
                              condition_factor=cond_name, n_sources=m, condition=condition,
                              identity=identity, recon_mse=recon, seed=int(seed))


def format_progression_table(results: ProgressionMeasure | list[ProgressionMeasure],
                             markdown: bool = True) -> str:
    """A markdown table (also without `markdown`: it reads as text): one row per model (its
    kind), the condition and identity columns, and the judges' ceilings below."""
    if isinstance(results, ProgressionMeasure):
        results = [results]
    if not results:
        return ""
    names = [j.name for j in results[0].identity]
    head = (["model", "seed", "data", "sources", "recon MSE (own condition)", "condition obeyed",
             "mean condition error"] + [f"{f} kept" for f in names])
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r.kind, str(r.seed), f"`{r.data_spec}`", str(r.n_sources), f"{r.recon_mse:.4f}",
                 _pct(r.condition), f"{r.condition.mean_error:.2f}"]
        cells += [_pct(j) for j in r.identity]
        rows.append("| " + " | ".join(cells) + " |")
    ceil = [f"{results[0].condition.name} judge {results[0].condition.ceiling:.1%}"]
    ceil += [f"{j.name} {j.ceiling:.1%} (chance {j.chance:.0%})" for j in results[0].identity]
    return "\n".join(rows) + "\n\nJudges' accuracy on real held-out images (the ceiling): " + \
        ", ".join(ceil) + "."


def _pct(j: Judged) -> str:
    return f"{j.hit['fraction']:.1%} [{j.hit['low']:.1%}, {j.hit['high']:.1%}]"
