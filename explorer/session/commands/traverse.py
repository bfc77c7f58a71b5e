"""`traverse`: each latent dimension swept, a latent direction added (`--direction A:B`)
or measured on held-out images (`--measure`), and a conditional model's progression strip
(`--condition`, with `--measure` its measure)
(latent_atlas.explorer.core.analysis.applications: traversal, arithmetic, transfer,
progression, progression_measure)."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..opening import OpenedModel

if TYPE_CHECKING:
    from latent_atlas.explorer.core.analysis.applications.traversal import Scale
    from latent_atlas.explorer.core.data.base import ImageSet


def traversal(opened: OpenedModel, data: ImageSet, code: np.ndarray, *,
              unit: Scale = "auto", dims: Sequence[int] | None = None, steps: int = 7,
              span: float = 3.0, sort: str = "auto", label: int | None = None) -> Any:
    """Each latent dimension of `code` swept +-`span` sigma in `steps` decodes. `unit`:
    sigma is the prior's (1) or the spread of the data's codes ("auto" picks);
    `sort` "auto" orders a variational model's rows by KL, largest first, others by
    index. The Traversal (`rows`, `dims`, `sigma`, `kl`, `scale`, `label`)."""
    from latent_atlas.explorer.core.analysis.applications import traversal_for

    model = opened.model
    order = sort if sort != "auto" else ("kl" if model.variational else "index")
    chosen = None if dims is None else np.array(dims)
    return traversal_for(model, code, data.images, opened.labels, scale=unit, dims=chosen,
                         steps=steps, span=span, order=order, label=label)


def direction(opened: OpenedModel, data: ImageSet, text: str, code: np.ndarray,
              strengths: Sequence[float], label: int | None = None) -> tuple[Any, Any]:
    """Latent arithmetic: the direction "A:B" (labels or factor conditions) is the mean
    code of A minus that of B; `code` plus each strength times it, decoded. Returns the
    Direction (`title`, `a`, `b`, `n_a`, `n_b`, `norm`) and its DirectionRow
    (`strengths`, `images`)."""
    from latent_atlas.explorer.core.analysis.applications import (
        add_direction,
        attribute_direction,
        parse_direction,
    )
    from latent_atlas.explorer.core.inference import encode

    a, b = parse_direction(text, data.labels, data.label_names, data.factors)
    codes = encode(opened.model, data.images, labels=opened.labels)
    v = attribute_direction(codes, a, b)
    return v, add_direction(opened.model, code, v, strengths, label=label)


def measure_direction(opened: OpenedModel, data: ImageSet, text: str,
                      strengths: Sequence[float], *, seed: int = 0, limit: int = 500
                      ) -> Generator[Any, None, Any]:
    """How often adding the direction "A:B" turns held-out B images into A (classifier
    judge), against the same edit on pixels: yields progress, returns the
    TransferResult."""
    from latent_atlas.explorer.core.analysis.applications.transfer import measure_transfer

    return measure_transfer(opened.model, data, text, strengths=list(strengths), seed=seed,
                            limit=limit)


def transfer_table(result: Any, markdown: bool = False) -> str:
    """The semantic-edit table: latent against pixel edits per strength."""
    from latent_atlas.explorer.core.analysis.applications.transfer import format_transfer_table

    return format_transfer_table(result, markdown=markdown)


def check_conditional(opened: OpenedModel) -> int:
    """The number of conditions of a conditional model; an ApplicationError (a ValueError)
    for any other."""
    from latent_atlas.explorer.core.analysis.applications.progression import (
        check_conditional as check,
    )

    return check(opened.model)


def progression(opened: OpenedModel, data: ImageSet, code: np.ndarray) -> Any:
    """`code` held and decoded under every condition: the Progression (`conditions`,
    `names`, `images`)."""
    from latent_atlas.explorer.core.analysis.applications.progression import (
        progression as strip,
    )

    return strip(opened.model, code, label_names=data.label_names)


def measure_progression(opened: OpenedModel, data: ImageSet, *, limit: int = 500,
                        seed: int = 0) -> Generator[Any, None, Any]:
    """How well held-out decodes under every condition obey it and keep the other
    factors: yields progress, returns the ProgressionMeasure."""
    from latent_atlas.explorer.core.analysis.applications.progression_measure import (
        measure_progression as measure,
    )

    return measure(opened.model, data, limit=limit, seed=seed)


def progression_table(result: Any, markdown: bool = True) -> str:
    """The progression measure as a markdown table (which also reads as text)."""
    from latent_atlas.explorer.core.analysis.applications.progression_measure import (
        format_progression_table,
    )

    return format_progression_table(result, markdown=markdown)
