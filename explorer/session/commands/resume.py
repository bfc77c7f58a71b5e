"""`train --resume FILE`: what a resumed run starts from, checked before any epoch."""

from __future__ import annotations

import os
from typing import Any

from ..errors import CommandError
from ..opening import open_model
from .train import Training


def resume_training(path: str | os.PathLike, *, data: str | None = None,
                    limit: int | None = None) -> Training:
    """The model file's network, its data (the stored spec unless `data` names another
    place) and its training state, each checked: a model that cannot be trained, a
    conditional model without labels, an optimizer state that does not fit the model.
    `notes` say what the run leaves out (no stored optimizer state; the stored map)."""
    from latent_atlas.models.objectives import make_step
    from latent_atlas.models.train_state import load_optimizers, read_train_state

    opened = open_model(path, data=data, switches=False, limit=limit)
    mf, images, name = opened.stored.file, opened.require_data(), opened.name
    if not opened.model.capabilities.trainable:
        raise CommandError(opened.model.capabilities.why_not("trainable", name))
    model: Any = opened.model  # a Latent Atlas network (trainable)
    if opened.model.n_cond and (images.labels is None or len(images.labels) == 0):
        raise CommandError(f"{name} is a conditional VAE and {images.spec} has no labels")
    notes = []
    state = read_train_state(mf)
    if state is None:
        notes.append(f"Note: {name} holds no optimizer state (saved by an older version); "
                     "resuming with a fresh optimizer.")
    else:  # fail now, with the file's name, rather than in the trainer
        load_optimizers(make_step(model).optimizers(), state, name)
    if mf.group("map"):
        notes.append(f"Note: the 2-D map stored in {name} belongs to the old weights and is "
                     "not kept; run `latent-atlas project` on the result.")
    return Training(data=images, model=model, history=list(mf.meta.get("history") or []),
                    state=state, notes=notes)
