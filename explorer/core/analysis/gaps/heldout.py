"""The held-out images of one or more models: the trainer's validation split."""

from __future__ import annotations

import numpy as np


def held_out_indices(n: int, seeds: list[int], val_fraction: float = 0.1
                     ) -> tuple[np.ndarray, list[str]]:
    """Images no compared model trained on: the trainer's validation split for each seed,
    intersected. Models trained with one seed share their split exactly."""
    from latent_atlas.models.trainer import split_indices

    notes: list[str] = []
    sets = [split_indices(n, val_fraction, int(s))[1] for s in dict.fromkeys(seeds)]
    held = sets[0]
    for other in sets[1:]:
        held = np.intersect1d(held, other)
    if len(held) < 20 and len(sets) > 1:
        held = sets[0]
        notes.append("the models were trained with different seeds, so they held out "
                     "different images; the first model's validation split is used")
    elif len(sets) > 1:
        notes.append("the models were trained with different seeds; the held-out images are "
                     "those none of them trained on")
    if len(held) < 2:
        raise ValueError(f"{n} images leave too few held-out images to measure; use a "
                         "larger data set")
    return held, notes
