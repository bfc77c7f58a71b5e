"""The progression strip of a conditional model: hold the code, sweep the condition.

    strip = progression(model, code, label_names=data.label_names)
    strip.images      # K x H x W[x 3]: the code decoded under each condition 0..K-1

Zhang et al.'s age progression (CVPR 2017) encodes a face once and decodes the code under
every age group; any conditional model of Latent Atlas does the same here (the CVAE and
the conditional adversarial AE, `caae`): on digits the condition is the digit, on
`shapes?label=scale` the binned scale. How well the strip obeys the condition and keeps
the rest of the image is measured by `progression_measure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.common import (
    ApplicationError,
    check_model,
)
from latent_atlas.explorer.core.inference import check_codes, decode_float, to_display

MAX_CONDITIONS = 64  # a strip wider than this is no strip


@dataclass
class Progression:
    """One code decoded under every condition: `images[k]` under condition k."""

    code: np.ndarray  # (d,)
    conditions: list[int]
    names: list[str]
    images: np.ndarray  # K x H x W[x 3], display images

    def titles(self) -> list[str]:
        return list(self.names)


def condition_names(model: Any, label_names: Any = ()) -> list[str]:
    """A name per condition: the data's label names, else the numbers."""
    names = list(label_names or ())
    k = int(getattr(model, "n_cond", 0))
    return [str(names[c]) if c < len(names) else str(c) for c in range(k)]


def check_conditional(model: Any) -> int:
    """The number of conditions of `model`; ApplicationError when it has none."""
    check_model(model)
    k = int(getattr(model, "n_cond", 0) or 0)
    if k < 2:
        raise ApplicationError("a progression sweeps the condition of a conditional model "
                               "(cvae, caae); this model has none")
    if k > MAX_CONDITIONS:
        raise ApplicationError(f"this model has {k} conditions; a progression strip shows at "
                               f"most {MAX_CONDITIONS}")
    return k


def progression(model: Any, code: np.ndarray, *, label_names: Any = ()) -> Progression:
    """Decode `code` (d,) under each of the model's conditions, in order."""
    k = check_conditional(model)
    try:
        z = check_codes(code, int(model.latent_dim), one=True)
    except ValueError as exc:
        raise ApplicationError(str(exc)) from None
    if z.shape[0] != 1:
        raise ApplicationError(f"a progression holds one code, not {z.shape[0]}")
    conditions = list(range(k))
    images = to_display(decode_float(model, np.repeat(z, k, axis=0),
                                     labels=np.arange(k, dtype=np.int64)))
    return Progression(code=z[0], conditions=conditions,
                       names=condition_names(model, label_names), images=images)
