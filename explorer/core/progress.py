"""Long work as plain generators: progress events out, a return value, cooperative cancel.

Every long-running core function (`encode_images`, `build_map`, ...) is a generator that
yields small progress dataclasses and returns its result. Callers either iterate it (the
GUI worker thread, tests) or `drain` it. A `cancel` argument is anything with `is_set()`
(a `threading.Event`) or a plain callable returning True when the user gave up; the
generator checks it between steps and raises `Cancelled`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

from models.cancel import is_cancelled

R = TypeVar("R")


class Cancelled(Exception):
    """The user cancelled a long operation; nothing was produced."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


def check_cancel(cancel: Any, what: str = "operation") -> None:
    """Raise `Cancelled` when `cancel` is set."""
    if is_cancelled(cancel):
        raise Cancelled(f"{what} cancelled")


def drain(gen: Generator[Any, None, R], on_progress: Callable[[Any], None] | None = None) -> R:
    """Run a progress generator to the end and return its return value.

    `on_progress` (optional) sees every yielded event. `Cancelled` and any other
    exception raised by the generator propagate unchanged.
    """
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(event)
