"""Does latent arithmetic make a semantic edit? Measured with the classifier judge.

    result = drain(measure_transfer(model, data, "1:7", strengths=[0, 0.5, 1, 1.5, 2]))
    print(format_transfer_table(result))

The attribute vector v is the mean code of label A minus the mean code of label B over the
model's *training* split (`attribute_direction`). Each held-out image of label B (the
model's validation split, at most `limit` of them, a seeded choice) is edited two ways at
each strength s:

- latent: decode(encode(x) + s v), the course's "add the attribute vector";
- pixels: clip(x + s (mean image of A - mean image of B), 0, 1), the same arithmetic
  done on the pixels (means over the training split as well).

The classifier judge (`latent_atlas.explorer.core.analysis.gaps.judges`, a small CNN trained on the
training split) then reads every edited image: the fraction it calls A ("-> A"), the
fraction it still calls B, and the fraction that are holes (its maximum class
probability below the judge's threshold, the 10th percentile of real held-out images),
each with a 95 % Wilson interval over the edited images. At s = 0 the latent row is the
reconstructions of the B images and the pixel row the B images themselves.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.arithmetic import (
    Direction,
    Group,
    attribute_direction,
    check_strengths,
    parse_direction,
    parse_group,
)
from latent_atlas.explorer.core.analysis.applications.common import ApplicationError, check_model
from latent_atlas.explorer.core.analysis.intervals import fraction_interval
from latent_atlas.explorer.core.progress import Progress, check_cancel, relay

DEFAULT_STRENGTHS = (0.0, 0.5, 1.0, 1.5, 2.0)
DEFAULT_LIMIT = 500
EXAMPLES = 4  # edited images kept for a picture, per method and strength
METHODS = ("latent", "pixels")
OUTCOMES = ("to_a", "still_b", "holes")


@dataclass(frozen=True)
class TransferProgress(Progress):
    """Encoding, the classifier judge, then one step per strength."""


@dataclass
class TransferCell:
    """What the judge made of the `n` images edited by one method at one strength: each
    outcome as {"fraction", "low", "high"} (95 % Wilson interval)."""

    method: str
    strength: float
    n: int
    to_a: dict[str, float]
    still_b: dict[str, float]
    holes: dict[str, float]
    sure_a: dict[str, float]  # called A and not a hole

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "strength": self.strength, "n": self.n,
                "to_a": dict(self.to_a), "still_b": dict(self.still_b),
                "holes": dict(self.holes), "sure_a": dict(self.sure_a)}


@dataclass
class TransferResult:
    data_spec: str
    kind: str
    a: str  # the labels' names
    b: str
    label_a: int
    label_b: int
    strengths: list[float]
    n_sources: int  # held-out B images edited
    n_train_a: int  # training images the means are taken over
    n_train_b: int
    direction_norm: float  # length of the latent direction
    pixel_norm: float  # RMS of the pixel direction (mean image A - mean image B)
    judge_accuracy: float
    judge_threshold: float
    cells: list[TransferCell]
    direction: np.ndarray  # the latent direction (not in to_dict)
    sources: np.ndarray  # data indices of the edited B images
    # method -> display images (examples x strengths x H x W[x 3]) of the first sources
    examples: dict[str, np.ndarray] = field(default_factory=dict)
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    def cell(self, method: str, strength: float) -> TransferCell:
        for c in self.cells:
            if c.method == method and np.isclose(c.strength, strength):
                return c
        raise KeyError(f"no {method} cell at strength {strength:g}")

    def example_rows(self) -> list[np.ndarray]:
        """For each example source: its latent row, then its pixel row (strengths left to
        right), the rows of `traverse --measure --out`."""
        rows: list[np.ndarray] = []
        for k in range(len(self.examples.get("latent", []))):
            rows += [self.examples[m][k] for m in METHODS if m in self.examples]
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data_spec, "kind": self.kind, "a": self.a, "b": self.b,
                "label_a": self.label_a, "label_b": self.label_b,
                "strengths": list(self.strengths), "n_sources": self.n_sources,
                "n_train_a": self.n_train_a, "n_train_b": self.n_train_b,
                "direction_norm": self.direction_norm, "pixel_norm": self.pixel_norm,
                "judge_accuracy": self.judge_accuracy, "judge_threshold": self.judge_threshold,
                "seed": self.seed, "cells": [c.to_dict() for c in self.cells],
                "notes": list(self.notes)}


def group_text(key: str) -> str:
    """A group key of `attribute_groups` ("label:3", "factor:scale>0.5") as the text
    `parse_group` reads ("3", "scale>0.5")."""
    kind, _, rest = str(key).partition(":")
    return rest if kind in ("label", "factor") and rest else str(key)


def _label_groups(data: Any, a_text: str, b_text: str | None) -> tuple[Group, Group]:
    labels = getattr(data, "labels", None)
    if labels is None:
        raise ApplicationError("measuring needs two labels, and this data set has no labels")
    names = list(getattr(data, "label_names", []) or [])
    factors = getattr(data, "factors", None) or {}
    if b_text is None:
        a, b = parse_direction(a_text, labels, names, factors)
    else:
        a, b = (parse_group(a_text, labels, names, factors),
                parse_group(b_text, labels, names, factors))
    for g in (a, b):
        if not g.key.startswith("label:"):
            raise ApplicationError(f"measuring needs two labels (the judge reads classes), not "
                                   f"the factor group {g.title}; pick labels such as 1:7")
    if a.key == b.key:
        raise ApplicationError(f"choose two different labels, not {a.title} twice")
    return a, b


def _subset(g: Group, rows: np.ndarray) -> Group:
    return Group(key=g.key, title=g.title, mask=g.mask[rows])


def _judge_cell(judge: Any, images: np.ndarray, method: str, s: float, ka: int,
                kb: int) -> TransferCell:
    from latent_atlas.explorer.core.inference import one_torch_thread
    from latent_atlas.models.classifier import class_probabilities

    with one_torch_thread(len(images) < 64):
        probs = class_probabilities(judge.net, images)
    pred, conf = probs.argmax(axis=1), probs.max(axis=1)
    hole = conf < judge.threshold
    n = len(images)

    def frac(mask: np.ndarray) -> dict[str, float]:
        return fraction_interval(int(mask.sum()), n)

    return TransferCell(method, float(s), n, frac(pred == ka), frac(pred == kb), frac(hole),
                        frac((pred == ka) & ~hole))


def measure_transfer(model: Any, data: Any, a: str, b: str | None = None,
                     strengths: Sequence[float] = DEFAULT_STRENGTHS, *, seed: int = 0,
                     limit: int = DEFAULT_LIMIT, cancel: Any = None
                     ) -> Generator[Progress, None, TransferResult]:
    """Yield progress; return how often adding s x (A - B) turns held-out B images into A,
    in the latent space (decode(code + s v)) and on the pixels, by the classifier judge.

    `a` and `b` are label names or numbers; with `b` None, `a` is a direction "A:B".
    """
    from latent_atlas.explorer.core.analysis.gaps.heldout import held_out_indices
    from latent_atlas.explorer.core.analysis.gaps.judges import classifier_judge
    from latent_atlas.explorer.core.inference import (
        SwitchReference,
        decode_float,
        encode_iter,
        needs_switches,
        to_display,
    )

    check_model(model)
    cfg = model.config
    s_all = check_strengths(strengths)
    if int(limit) != limit or limit < 1:
        raise ApplicationError(f"the limit must be a whole number of at least 1, not {limit}")
    images = np.asarray(data.images)
    if tuple(cfg.input_shape) != tuple(images.shape[1:]):
        raise ApplicationError(f"the model expects images {tuple(cfg.input_shape)} (C, H, W) but "
                               f"the data has {tuple(images.shape[1:])}")
    if cfg.is_conditional:
        raise ApplicationError("a conditional model reads the class from its label, not its "
                               "code; measure latent arithmetic on a plain AE or VAE")
    ga, gb = _label_groups(data, a, b)
    y = np.asarray(data.labels).reshape(-1)
    n = len(images)
    held, notes = held_out_indices(n, [int(cfg.seed)])
    held_mask = np.zeros(n, dtype=bool)
    held_mask[held] = True
    train = np.flatnonzero(~held_mask)
    ka, kb = int(ga.key.split(":")[1]), int(gb.key.split(":")[1])
    pool = held[y[held] == kb]
    if len(pool) == 0:
        raise ApplicationError(f"no held-out image has label {gb.title}; measure on a larger "
                               "data set")
    rng = np.random.default_rng(int(seed))
    sources = np.sort(rng.choice(pool, size=min(int(limit), len(pool)), replace=False))

    yield TransferProgress("encode", 0.0, "encoding the images…")
    codes = yield from relay(encode_iter(model, images, cancel=cancel),
                             lambda ev: TransferProgress("encode", 0.3 * (ev.fraction or 0.0),
                                                         ev.message))
    # The direction comes from the training split only: the edited images never shaped it.
    direction: Direction = attribute_direction(codes[train], _subset(ga, train),
                                               _subset(gb, train))
    x = images.astype(np.float32) / 255.0
    pixel_dir = x[train][ga.mask[train]].mean(axis=0) - x[train][gb.mask[train]].mean(axis=0)
    judge = yield from relay(
        classifier_judge(images, y, train, held, cancel=cancel, span=(0.3, 0.5)),
        lambda ev: TransferProgress(ev.stage, ev.fraction, ev.message))
    if judge is None:
        raise ApplicationError("the classifier judge needs at least two labelled classes in "
                               "the training split")
    ref = SwitchReference(images[train], codes[train]) if needs_switches(model) else None
    if ref is not None:
        notes.append("a max-unpooling decoder decodes every edit with the switches of the "
                     "nearest training image")
    cells: list[TransferCell] = []
    z0, x0 = codes[sources], x[sources]
    shown: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    for i, s in enumerate(s_all):
        check_cancel(cancel, "measuring latent arithmetic")
        z = (z0 + s * direction.vector[None, :]).astype(np.float32)
        decoded = decode_float(model, z, reference=ref)
        cells.append(_judge_cell(judge, decoded, "latent", float(s), ka, kb))
        edited = np.clip(x0 + s * pixel_dir[None], 0.0, 1.0)
        cells.append(_judge_cell(judge, edited, "pixels", float(s), ka, kb))
        shown["latent"].append(to_display(decoded[:EXAMPLES]))
        shown["pixels"].append(to_display(edited[:EXAMPLES]))
        yield TransferProgress("edit", 0.5 + 0.5 * (i + 1) / len(s_all),
                               f"strength {s:g}: {len(sources)} images edited")
    return TransferResult(
        data_spec=str(getattr(data, "spec", "") or ""), kind=str(cfg.kind), a=ga.title,
        b=gb.title, label_a=ka, label_b=kb, strengths=[float(v) for v in s_all],
        n_sources=len(sources), n_train_a=direction.n_a, n_train_b=direction.n_b,
        direction_norm=direction.norm, pixel_norm=float(np.sqrt((pixel_dir ** 2).mean())),
        judge_accuracy=judge.accuracy, judge_threshold=judge.threshold, cells=cells,
        direction=direction.vector, sources=sources,
        examples={m: np.stack(v, axis=1) for m, v in shown.items()}, seed=int(seed),
        notes=notes)


def _pct(cell: dict[str, float]) -> str:
    return (f"{100 * cell['fraction']:.0f} % ({100 * cell['low']:.0f}–"
            f"{100 * cell['high']:.0f})")


def format_transfer_table(result: TransferResult, markdown: bool = False) -> str:
    """One row per method and strength: → A, still B and holes, with 95 % intervals,
    then a paragraph saying what was measured."""
    table, foot = transfer_table_parts(result, markdown)
    return table + ("\n\n" if markdown else "\n") + foot


def transfer_table_parts(result: TransferResult, markdown: bool = False) -> tuple[str, str]:
    """(the table, the paragraph under it) of `format_transfer_table`."""
    head = ["method", "strength", f"→ {result.a}", f"still {result.b}", "holes"]
    body = []
    for method in METHODS:
        for c in (c for c in result.cells if c.method == method):
            body.append([method, f"{c.strength:g}", _pct(c.to_a), _pct(c.still_b),
                         _pct(c.holes)])
    foot = (f"{result.data_spec or 'data'}, {result.kind.upper()}: {result.n_sources} held-out "
            f"images of {result.b} edited toward {result.a}. latent: decode(code + s·v), v = "
            f"mean code of {result.a} ({result.n_train_a} training images) − mean code of "
            f"{result.b} ({result.n_train_b}), |v| = {result.direction_norm:.2f}; pixels: "
            f"image + s·(mean image of {result.a} − of {result.b}), clipped to [0, 1]. "
            f"Judge: a CNN {100 * result.judge_accuracy:.1f} % accurate on held-out images; a "
            f"hole has max class probability below {result.judge_threshold:.3f}. "
            "95 % Wilson intervals in brackets.")
    if result.notes:
        foot += " " + " ".join(n[0].upper() + n[1:] + "." for n in result.notes)
    from latent_atlas.explorer.core.io.tables import render_table

    return render_table(head, body, markdown=markdown, first_left=True), foot
