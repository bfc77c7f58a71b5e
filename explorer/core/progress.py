"""Long work as plain generators: progress events out, a return value, cooperative cancel.

Every long-running core function (`encode_iter`, `build_map`, `gap_grid_iter`, ...) is a
generator that yields `Progress` events (`stage`, `fraction`, `message`; subclasses add
fields) and returns its result. Callers iterate it (tests), or `drain(gen, on_progress)` it
(the CLI's progress bars, the GUI's worker threads). A `cancel` argument is anything with
`is_set()` (a `threading.Event`) or a plain callable returning True when the user gave up;
the generator checks it between steps and raises `Cancelled`.
"""

from __future__ import annotations

from typing import Any

from latent_atlas.models.cancel import is_cancelled
from latent_atlas.models.progress import CountProgress, Progress, drain, relay

__all__ = ["Cancelled", "CountProgress", "Progress", "check_cancel", "drain", "is_cancelled", "relay"]


class Cancelled(Exception):
    """The user cancelled a long operation; nothing was produced."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


def check_cancel(cancel: Any, what: str = "operation") -> None:
    """Raise `Cancelled` when `cancel` is set."""
    if is_cancelled(cancel):
        raise Cancelled(f"{what} cancelled")
