"""`latent-atlas train --resume FILE`: what a resumed run starts from, checked first."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from .common import UserError


@dataclass
class ResumeStart:
    data: Any  # ImageSet
    model: Any  # Autoencoder, with the file's weights
    history: list[dict[str, Any]]
    state: Any  # TrainState, or None for a file written before training states were stored


def resume_start(args: argparse.Namespace) -> ResumeStart:
    """Read the model file, its data (the stored spec unless --data gives another place)
    and its training state; every mismatch is one readable UserError or ModelFileError."""
    from latent_atlas.explorer.session.opening import open_model
    from latent_atlas.models.train_state import read_train_state

    opened = open_model(args.resume, data=args.data, switches=False, limit=args.limit)
    mf, model, data, name = opened.stored.file, opened.model, opened.require_data(), opened.name
    if opened.config.is_conditional and (data.labels is None or len(data.labels) == 0):
        raise UserError(f"{name} is a conditional VAE and {data.spec} has no labels")
    state = read_train_state(mf)
    if state is None:
        print(f"Note: {name} holds no optimizer state (saved by an older version); "
              "resuming with a fresh optimizer.", file=sys.stderr)
    from latent_atlas.models.train_state import load_optimizers

    if state is not None:  # fail now, with the file's name, rather than in the trainer
        from latent_atlas.models.objectives import make_step

        load_optimizers(make_step(model).optimizers(), state, name)
    if mf.group("map"):
        print(f"Note: the 2-D map stored in {name} belongs to the old weights and is not "
              "kept; run `latent-atlas project` on the result.", file=sys.stderr)
    return ResumeStart(data=data, model=model, history=list(mf.meta.get("history") or []),
                       state=state)
