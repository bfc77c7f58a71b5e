"""A generator for `run_isolated` that holds a multiprocessing lock until its process exits,
as umap's dependencies do (see test_clean_exit.py)."""

from __future__ import annotations

import multiprocessing

_KEEP = []


def hold_a_lock(value: int):
    from latent_atlas.explorer.core.progress import Progress

    _KEEP.append(multiprocessing.get_context("spawn").Lock())  # unlinked by the exit handlers
    yield Progress("lock", 0.5, "holding a lock")
    return value + 1
