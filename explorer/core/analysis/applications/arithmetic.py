"""Latent arithmetic: attribute vectors, added to any code with a strength.

    a = parse_group("heart", labels, label_names, factors)       # or "3", or "scale>0.7"
    b = parse_group("square", labels, label_names, factors)
    v = attribute_direction(codes, a, b)       # mean code of group a minus that of group b
    row = add_direction(model, code, v, [-2, -1, 0, 1, 2])
    row.images                                 # decode(code + s * v.vector) for each s

A group is a set of samples: those of one label, or (for data with generative factors,
such as `shapes`) those whose factor is above (or at most) a threshold. The mean code of
a group is taken over the mean codes of its samples (the codes the map plots).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    check_label,
    check_model,
)
from latent_atlas.explorer.core.inference import check_codes, decode_float, to_display

MAX_STRENGTHS = 101
MAX_STRENGTH = 1000.0  # far past any data: a larger shift only overflows
_FACTOR = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*(>|<=)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Group:
    """A named set of samples: `mask` (N,) is True for its members."""

    key: str
    title: str
    mask: np.ndarray

    @property
    def size(self) -> int:
        return int(self.mask.sum())


@dataclass(frozen=True)
class Direction:
    """An attribute vector: the mean code of `a` minus the mean code of `b`."""

    vector: np.ndarray
    mean_a: np.ndarray
    mean_b: np.ndarray
    a: str
    b: str
    n_a: int
    n_b: int

    @property
    def title(self) -> str:
        return f"{self.a} − {self.b}"

    @property
    def norm(self) -> float:
        return float(np.linalg.norm(self.vector))


@dataclass(frozen=True)
class DirectionRow:
    """Decodes of code + s x direction for each strength s (images: steps x H x W[x 3])."""

    code: np.ndarray
    direction: Direction
    strengths: np.ndarray
    codes: np.ndarray
    images: np.ndarray


def _labels(labels: np.ndarray | None, n: int | None = None) -> np.ndarray:
    if labels is None:
        raise ApplicationError("this data set has no labels to take attribute directions from")
    y = np.asarray(labels).reshape(-1)
    if n is not None and len(y) != n:
        raise ApplicationError(f"there are {len(y)} labels for {n} codes")
    return y


def label_group(labels: np.ndarray | None, label_names: Sequence[str], which: str | int) -> Group:
    """The samples of one label, named by its name ("heart") or its number ("3")."""
    y = _labels(labels)
    names = [str(n) for n in label_names]
    text = str(which).strip()
    if text in names:
        k = names.index(text)
    else:
        try:
            k = int(text)
        except ValueError:
            k = -1
        present = set(np.unique(y).tolist())
        if k < 0 or (k >= len(names) and k not in present):
            known = ", ".join(names) if names else ", ".join(str(v) for v in sorted(present))
            raise ApplicationError(f"unknown label {text!r}: the labels are {known}") from None
    title = names[k] if k < len(names) else str(k)
    return Group(key=f"label:{k}", title=title, mask=y == k)


def factor_group(factors: Mapping[str, np.ndarray], name: str, threshold: float,
                 above: bool = True) -> Group:
    """The samples whose factor `name` is above `threshold` (or at most it, `above=False`)."""
    if name not in factors:
        known = ", ".join(sorted(factors)) or "none"
        raise ApplicationError(f"unknown factor {name!r}: this data set's factors are {known}")
    col = np.asarray(factors[name], dtype=np.float64).reshape(-1)
    t = float(threshold)
    if not np.isfinite(t):
        raise ApplicationError(f"the threshold of {name} must be a finite number")
    mask = col > t if above else col <= t
    op = ">" if above else "≤"
    return Group(key=f"factor:{name}{'>' if above else '<='}{t:g}", title=f"{name} {op} {t:g}",
                 mask=mask)


def parse_group(text: str, labels: np.ndarray | None, label_names: Sequence[str],
                factors: Mapping[str, np.ndarray] | None = None) -> Group:
    """A group from text: a label name or number, or a factor condition `NAME>T` / `NAME<=T`."""
    m = _FACTOR.match(str(text))
    if m:
        return factor_group(factors or {}, m.group(1), float(m.group(3)), above=m.group(2) == ">")
    return label_group(labels, label_names, text)


def parse_direction(text: str, labels: np.ndarray | None, label_names: Sequence[str],
                    factors: Mapping[str, np.ndarray] | None = None) -> tuple[Group, Group]:
    """`A:B` -> the two groups (each as `parse_group` reads it). A lone factor condition
    `NAME>T` means the samples above T against those at most T."""
    raw = str(text).strip()
    if ":" not in raw:
        m = _FACTOR.match(raw)
        if m and m.group(2) == ">":
            a = parse_group(raw, labels, label_names, factors)
            return a, parse_group(f"{m.group(1)}<={m.group(3)}", labels, label_names, factors)
        raise ApplicationError(f"a direction is LABEL_A:LABEL_B (for example 3:8), not {raw!r}")
    a_text, b_text = raw.split(":", 1)
    if not a_text.strip() or not b_text.strip():
        raise ApplicationError(f"a direction is LABEL_A:LABEL_B (for example 3:8), not {raw!r}")
    return (parse_group(a_text, labels, label_names, factors),
            parse_group(b_text, labels, label_names, factors))


def attribute_groups(labels: np.ndarray | None, label_names: Sequence[str],
                     factors: Mapping[str, np.ndarray] | None = None) -> list[Group]:
    """The groups a user can pick from: every label present, then each factor above and
    at most its median (the two halves of the data along that factor)."""
    groups: list[Group] = []
    if labels is not None:
        y = np.asarray(labels).reshape(-1)
        for k in sorted(set(np.unique(y).tolist()) | set(range(len(label_names)))):
            g = label_group(y, label_names, str(k) if k >= len(label_names) else label_names[k])
            if g.size:
                groups.append(g)
    for name in sorted(factors or {}):
        col = np.asarray((factors or {})[name], dtype=np.float64).reshape(-1)
        if len(col) == 0 or not np.isfinite(col).all():
            continue
        med = float(np.median(col))
        for above in (True, False):
            g = factor_group(factors or {}, name, med, above)
            if g.size:
                groups.append(g)
    return groups


def attribute_direction(codes: np.ndarray, a: Group, b: Group) -> Direction:
    """Mean code of group `a` minus mean code of group `b` (codes N x d, masks N)."""
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or len(z) == 0:
        raise ApplicationError(f"codes must be N x d, not shape {z.shape}")
    for g in (a, b):
        if g.mask.shape != (len(z),):
            raise ApplicationError(f"group {g.title} has {g.mask.size} flags for {len(z)} codes")
        if not g.mask.any():
            raise ApplicationError(f"no sample is in group {g.title}: its mean code is undefined")
    if a.key == b.key:
        raise ApplicationError(f"choose two different groups, not {a.title} twice")
    mean_a, mean_b = z[a.mask].mean(axis=0), z[b.mask].mean(axis=0)
    if not (np.isfinite(mean_a).all() and np.isfinite(mean_b).all()):
        raise ApplicationError("the codes contain NaN or infinite values")
    return Direction(vector=(mean_a - mean_b).astype(np.float32),
                     mean_a=mean_a.astype(np.float32), mean_b=mean_b.astype(np.float32),
                     a=a.title, b=b.title, n_a=a.size, n_b=b.size)


def check_strengths(strengths: Any) -> np.ndarray:
    s = np.asarray(strengths, dtype=np.float64).reshape(-1)
    if len(s) == 0 or len(s) > MAX_STRENGTHS:
        raise ApplicationError(f"give 1..{MAX_STRENGTHS} strengths, not {len(s)}")
    if not np.isfinite(s).all():
        raise ApplicationError("strengths must be finite numbers")
    if np.abs(s).max() > MAX_STRENGTH:
        raise ApplicationError(f"strengths are multiples of the direction and must lie within "
                               f"±{MAX_STRENGTH:g}, not {s[np.abs(s).argmax()]:g}")
    return s.astype(np.float32)


def add_direction(model: Any, code: np.ndarray, direction: Direction, strengths: Any, *,
                  label: int | None = None) -> DirectionRow:
    """Decode code + s x direction.vector for each strength s (a conditional model decodes
    under `label`, default its default label)."""
    check_model(model)
    d = int(model.config.latent_dim)
    if np.ndim(code) != 1:
        raise ApplicationError(f"add a direction to one code (shape ({d},)), not shape "
                               f"{np.shape(code)}")
    try:
        z = check_codes(code, d, one=True)[0]
    except ValueError as exc:
        raise ApplicationError(str(exc)) from None
    if direction.vector.shape != (d,):
        raise ApplicationError(f"the direction has {direction.vector.size} dimensions, the "
                               f"model's latent {d}")
    s = check_strengths(strengths)
    lab = check_label(model, label)
    codes = (z[None, :] + s[:, None] * direction.vector[None, :]).astype(np.float32)
    labels = None if lab is None else np.full(len(codes), lab, dtype=np.int64)
    images = to_display(decode_float(model, codes, labels=labels))
    return DirectionRow(code=z, direction=direction, strengths=s, codes=codes, images=images)


def strength_steps(strength: float, steps: int) -> np.ndarray:
    """`steps` strengths from 0 (the code itself) to `strength` (the full shift): the row
    the traversal panel shows for a direction."""
    if int(steps) != steps or not 2 <= steps <= MAX_STRENGTHS:
        raise ApplicationError(f"steps must be a whole number in 2..{MAX_STRENGTHS}, not {steps}")
    if not np.isfinite(strength):
        raise ApplicationError("the strength must be a finite number")
    return np.linspace(0.0, float(strength), int(steps)).astype(np.float32)


def groups_for_codes(codes: np.ndarray, labels: np.ndarray | None, label_names: Sequence[str],
                     factors: Mapping[str, np.ndarray] | None = None) -> dict[str, Group]:
    """The pickable groups (`attribute_groups`) whose masks line up with `codes`, by key;
    labels or factors of another length than the codes are left out."""
    n = len(np.asarray(codes))
    y = None if labels is None or len(labels) != n else labels
    f = {k: v for k, v in (factors or {}).items() if len(v) == n}
    return {g.key: g for g in attribute_groups(y, label_names, f)}
