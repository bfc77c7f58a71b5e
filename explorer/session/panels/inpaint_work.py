"""The inpainting panel's tools and work: the brush that turns drags into the mask
(`latent_atlas.explorer.core.analysis.applications.masks`), and the fill run in a job (the
fill `latent-atlas inpaint` runs, `explorer.session.commands.apps.fill`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from latent_atlas.explorer.core.analysis.applications.masks import paint_stroke, rectangle_between
from latent_atlas.explorer.core.inference import one_torch_thread

from ..commands.apps import fill

if TYPE_CHECKING:
    from .sources import PickedImage


class Brush:
    """What a drag on the canvas does to the mask: a rectangle (previewed while dragging,
    added when released), or a brush or eraser stroke of some radius."""

    def __init__(self) -> None:
        self._start: np.ndarray | None = None
        self._last: np.ndarray | None = None
        self.preview: np.ndarray | None = None

    def shown(self, hole: np.ndarray) -> np.ndarray:
        """The mask as drawn on the canvas: the hole and the rectangle being dragged."""
        return hole if self.preview is None else (hole | self.preview)

    def gesture(self, hole: np.ndarray, tool: str, radius: float, phase: str, x: float,
                y: float) -> tuple[np.ndarray, bool]:
        """(the new mask, whether the gesture ended)."""
        p = np.array([x, y])
        done = phase in ("finish", "click")
        if tool == "rectangle":
            if phase == "start":
                self._start = p
            start = self._start if self._start is not None else p
            rect = rectangle_between(hole.shape, start, p)
            if done:
                self._start = self.preview = None
                return hole | rect, True
            self.preview = rect
            return hole, False
        if phase in ("start", "click") or self._last is None:
            self._last = p
        hole = paint_stroke(hole, self._last, p, radius=radius, value=tool == "brush")
        self._last = None if done else p
        return hole, done


def fill_hole(model: Any, picked: PickedImage, hole: np.ndarray, steps: int
              ) -> tuple[Any, float, float]:
    """Worker: (InpaintResult, error in the hole, error of the mean-fill baseline), on one
    torch thread."""
    with one_torch_thread():
        return fill(model, picked.image, hole, steps=steps, label=picked.label)
