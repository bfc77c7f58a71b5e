"""The one progress event and the one loop that consumes progress generators (torch-free).

Long work (training, encoding, fitting a map, scoring gaps, measuring metrics) is a plain
generator: it yields `Progress` events and returns its result. `models` defines them so the
trainer can use them too; `latent_atlas.explorer.core.progress` re-exports them for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

R = TypeVar("R")
E = TypeVar("E")


@dataclass(frozen=True)
class Progress:
    """One step of long work: its `stage` name, the overall `fraction` done (0..1, or None
    when unknown) and a readable `message`. Subclasses add fields of their own."""

    stage: str
    fraction: float | None
    message: str = ""


@dataclass(frozen=True)
class CountProgress(Progress):
    """`done` of `total` items; a subclass names its `STAGE` and its message `TEMPLATE`
    (formatted with `done` and `total`), and the fraction follows from the counts."""

    STAGE: ClassVar[str] = "work"
    TEMPLATE: ClassVar[str] = "{done:,}/{total:,}"
    stage: str = field(default="", init=False)
    fraction: float | None = field(default=None, init=False)
    message: str = field(default="", init=False)
    done: int
    total: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", self.STAGE)
        object.__setattr__(self, "fraction", self.done / self.total if self.total else 1.0)
        object.__setattr__(self, "message", self.TEMPLATE.format(done=self.done,
                                                                 total=self.total))


def drain(gen: Generator[Any, None, R], on_progress: Callable[[Any], None] | None = None) -> R:
    """Run a progress generator to the end and return its return value.

    `on_progress` (optional) sees every yielded event. Exceptions raised by the generator
    (cancellation included) propagate unchanged.
    """
    while True:
        try:
            event = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(event)


def relay(gen: Generator[E, None, R], transform: Callable[[E], Any]) -> Generator[Any, None, R]:
    """Re-yield `gen`'s events through `transform` (a None result drops the event) and
    return `gen`'s return value: for generators built on other generators."""
    box: list[R] = []

    def run() -> Generator[E, None, None]:
        box.append((yield from gen))

    for event in run():
        out = transform(event)
        if out is not None:
            yield out
    return box[0]
