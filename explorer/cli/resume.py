"""`latent-atlas train --resume FILE`: what a resumed run starts from, checked first
(latent_atlas.explorer.session.commands.resume); its notes go to stderr."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def resume_start(args: argparse.Namespace) -> Any:
    """The `Training` a resumed run continues: the model file, its data (the stored spec
    unless --data gives another place) and its training state; every mismatch is one
    readable error."""
    from latent_atlas.explorer.session.commands.resume import resume_training

    start = resume_training(args.resume, data=args.data, limit=args.limit)
    for note in start.notes:
        print(note, file=sys.stderr)
    return start
