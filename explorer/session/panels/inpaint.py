"""Inpainting, Qt-free: a mask drawn on the picked image (a rectangle, a brush, an eraser)
and the hole filled by each shown model that takes the image, iterating encode -> decode
with the known pixels kept fixed.

Mask editing is `latent_atlas.explorer.core.analysis.applications.masks`, the fill `inpaint`; a
hundred passes of one image take over 100 ms, so fills run in a background job, one at a
time: requests arriving meanwhile collapse into one fill once the running one is done,
and a fill whose inputs changed while it ran is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.masks import mask_overlay
from latent_atlas.explorer.core.io.images import sample_display

from ..jobs import Job, Jobs
from ..session import Session
from ..workspace import ShownSessions
from .base import PanelModel
from .inpaint_work import Brush, fill_hole
from .sources import PickedImage, SamplePick, session_title

TOOLS = (("rectangle", "rectangle"), ("brush", "brush"), ("eraser", "eraser"))


@dataclass
class InpaintView:
    """What the panel shows: the canvas (the image with the hole tinted, None: nothing),
    the original, one (title, filled image, caption) per model, and a hint; `results`
    are the core InpaintResults of the models."""

    canvas: np.ndarray | None = None
    original: np.ndarray | None = None
    original_caption: str = ""
    titles: list[str] = field(default_factory=lambda: ["filled by the model"])
    filled: list[np.ndarray | None] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    hint: str = ""


class InpaintModel(PanelModel):
    """The inpainting panel's mask, tools and fills (see module docstring)."""

    FOLLOW = SamplePick.FOLLOW

    def __init__(self, shown: ShownSessions, jobs: Jobs):
        self.pick = SamplePick()
        self.tool = "rectangle"
        self.radius = 0.7
        self.iterations = 10
        self.hole: np.ndarray | None = None  # H x W, True = pixel to fill
        self.view = InpaintView()
        self._picked: PickedImage | None = None
        self._sessions: list[Session] = []
        self.brush = Brush()
        self._fill_job: Job | None = None
        self._fill_pending = False
        super().__init__(shown, jobs)
        self.schedule()

    @property
    def results(self) -> list[Any]:
        return self.view.results

    @property
    def result(self) -> Any:
        """The first model's InpaintResult (or None)."""
        return self.view.results[0] if self.view.results else None

    # ---- settings and the picked image ----------------------------------------------------
    def set_pick_mode(self, mode: str) -> None:
        self.pick.set_mode(mode)
        self.changed.emit()  # the picker shows the choice at once; the image follows
        self.schedule()

    def set_pick_number(self, number: int) -> None:
        self.pick.set_number(number)
        self.changed.emit()
        self.schedule()

    def pick_max(self) -> int:
        return SamplePick.largest(self.shown.first)

    def set_tool(self, tool: str) -> None:
        if tool not in {k for k, _ in TOOLS}:
            raise ValueError(f"unknown tool {tool!r}")
        self.tool = tool

    def set_radius(self, radius: float) -> None:
        self.radius = float(radius)

    def set_iterations(self, n: int) -> None:
        self.iterations = int(n)
        self.schedule()

    # ---- mask editing --------------------------------------------------------------------
    def clear_mask(self) -> None:
        if self.hole is not None:
            self.hole = np.zeros_like(self.hole)
        self.schedule()

    def set_mask(self, mask: np.ndarray) -> None:
        """Replace the mask (H x W booleans, True = fill) and fill again."""
        self.hole = np.asarray(mask, dtype=bool).copy()
        self.schedule()

    def gesture(self, phase: str, x: float, y: float) -> None:
        """A mouse gesture on the canvas in pixel coordinates: "start", "move", "finish"
        or "click"; the mask is filled again when the gesture ends."""
        if self.hole is None:
            return
        self.hole, done = self.brush.gesture(self.hole, self.tool, self.radius, phase, x, y)
        if done:
            self.schedule()
        else:
            self.view.canvas = self._canvas()
            self.changed.emit()

    def _canvas(self) -> np.ndarray | None:
        if self._picked is None or self.hole is None:
            return None
        display = sample_display(self._picked.image[None], [0])[0]
        return mask_overlay(display, self.brush.shown(self.hole))

    # ---- filling --------------------------------------------------------------------------
    def update(self) -> None:
        picked, why = self.pick.pick(self.shown.first)
        self._picked = picked
        shape = None if picked is None else tuple(picked.image.shape)
        sessions = [s for s in self.sessions if s.model is not None and s.input_shape == shape]
        self._sessions = sessions
        many = len(sessions) > 1
        view = InpaintView(titles=[f"filled by {session_title(s)}" if many
                                   else "filled by the model" for s in sessions]
                           or ["filled by the model"])
        if picked is None or not sessions:
            view.hint = why or "Waiting for the model to load…"
            return self._show(view)
        hw = picked.image.shape[1:]
        if self.hole is None or self.hole.shape != hw:
            self.hole = np.zeros(hw, dtype=bool)
        view.canvas = self._canvas()
        view.original = sample_display(picked.image[None], [0])[0]
        view.original_caption = picked.title
        if not self.hole.any():
            view.hint = ("Drag a rectangle (or choose the brush) on the image to erase a "
                         "region; the model fills it in.")
            return self._show(view)
        self._show(view)
        self._start_fill(sessions, picked, self.hole.copy(), self.iterations)
        return None

    def _show(self, view: InpaintView) -> None:
        self.view = view
        self.changed.emit()

    def filling(self) -> bool:
        """True while a fill runs in the background (or another is queued after it)."""
        return self._fill_pending or (self._fill_job is not None and not self._fill_job.settled)

    def _start_fill(self, sessions: list[Session], picked: PickedImage, hole: np.ndarray,
                    steps: int) -> None:
        if self._fill_job is not None and not self._fill_job.settled:
            self._fill_pending = True
            return
        self._fill_pending = False
        models = [s.model for s in sessions]
        job = self.jobs.start(f"inpaint-{id(self)}", lambda _cancel: [
            fill_hole(m, picked, hole, steps) for m in models], supersede=False)
        job.succeeded.connect(lambda out: self._on_filled(
            list(zip(sessions, models, strict=True)), picked, hole, steps, out))
        job.failed.connect(self._on_fill_failed)
        job.finished.connect(self._on_fill_finished)
        self._fill_job = job
        job.start()

    def _on_fill_finished(self) -> None:
        if self._fill_pending:
            self.schedule()

    def _on_fill_failed(self, msg: str) -> None:
        if not self._fill_pending:
            self.view.results, self.view.filled, self.view.captions = [], [], []
            self.view.hint = msg
            self.changed.emit()

    def _on_filled(self, filled_by: list[tuple[Session, Any]], picked: PickedImage,
                   hole: np.ndarray, steps: int, out: list) -> None:
        current = self._picked
        if (self._fill_pending or current is None or self.hole is None
                or steps != self.iterations or not np.array_equal(hole, self.hole)
                or not np.array_equal(picked.image, current.image)
                or [(id(s), id(s.model)) for s in self._sessions]
                != [(id(s), id(m)) for s, m in filled_by]):
            return  # outdated: the inputs changed while it ran; the next fill is coming
        sessions = [s for s, _ in filled_by]
        self.view.results = [r for r, _, _ in out]
        self.view.filled = [sample_display(r.filled, [0])[0] for r, _, _ in out]
        self.view.captions = [f"error in the hole {err:.4f}\n(mean fill {base:.4f})"
                              for _, err, base in out]
        many = len(sessions) > 1
        changes = ", ".join(f"{s.kind.upper() + ' ' if many else ''}{r.changes[-1]:.4f}"
                            for s, (r, _, _) in zip(sessions, out, strict=True))
        r = out[0][0]
        self.view.hint = (f"{int(hole.sum())} pixels filled in {r.iterations} iteration(s); "
                          f"the last changed the hole by {changes} on average. "
                          "Known pixels are never changed.")
        self.changed.emit()

    def close(self) -> None:
        if self._fill_job is not None:
            self._fill_job.supersede()
        super().close()
