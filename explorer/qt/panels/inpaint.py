"""Inpainting panel: drag a rectangle or brush a mask on an enlarged image; the model
fills the hole by iterating encode -> decode with the known pixels kept fixed.

Mask editing is `explorer.core.analysis.applications.masks` (pixel arithmetic), the fill is
`explorer.core.analysis.applications.inpaint`; a few encode/decode passes of one image take
milliseconds to a tenth of a second, so they run in a background job whenever the mask
is released (one at a time; the newest request wins). With two shown models (the compare
window) both fill the same hole of the same image, one result under the other.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.applications import inpaint, masked_mse, mean_fill
from explorer.core.analysis.applications.masks import (
    mask_overlay,
    paint_stroke,
    rectangle_between,
)
from explorer.core.inference import one_torch_thread
from explorer.core.io.images import sample_display
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

from ..image_box import BACKGROUND, ImageBox
from .common import PanelBase, hint_label, session_title, sync_count
from .picker import PickedImage, SamplePicker

TOOLS = (("rectangle", "rectangle"), ("brush", "brush"), ("eraser", "eraser"))


class PaintableImage(pg.ImageItem):
    """An ImageItem that reports left-button gestures in its pixel coordinates."""

    gesture = Signal(str, float, float)  # "start" | "move" | "finish" | "click", x, y

    def mouseClickEvent(self, ev):  # noqa: N802 - pyqtgraph naming
        if ev.button() != Qt.MouseButton.LeftButton:
            return ev.ignore()
        ev.accept()
        self.gesture.emit("click", ev.pos().x(), ev.pos().y())

    def mouseDragEvent(self, ev):  # noqa: N802 - pyqtgraph naming
        if ev.button() != Qt.MouseButton.LeftButton:
            return ev.ignore()
        ev.accept()
        if ev.isStart():
            down = ev.buttonDownPos()
            self.gesture.emit("start", down.x(), down.y())
        self.gesture.emit("finish" if ev.isFinish() else "move", ev.pos().x(), ev.pos().y())


class MaskCanvas(pg.GraphicsLayoutWidget):
    """The enlarged image the mask is drawn on (aspect locked, no pan or zoom)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.vb = self.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.vb.setMenuEnabled(False)
        self.item = PaintableImage(axisOrder="row-major")
        self.vb.addItem(self.item)
        self.image: np.ndarray | None = None

    def set_image(self, image: np.ndarray | None) -> None:
        old = self.image
        self.image = image
        if image is None:
            self.item.clear()
            return
        self.item.setImage(image, levels=(0, 255), autoLevels=False)
        if old is None or old.shape[:2] != image.shape[:2]:
            self.vb.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)


class InpaintPanel(PanelBase):
    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
        self.picker = SamplePicker(shown)
        self.tool = QComboBox()
        for key, title in TOOLS:
            self.tool.addItem(title, key)
        self.radius = QDoubleSpinBox()
        self.radius.setRange(0.0, 20.0)
        self.radius.setSingleStep(0.5)
        self.radius.setValue(0.7)
        self.radius.setSuffix(" px")
        self.radius.setToolTip("Radius of the brush and the eraser in image pixels")
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 100)
        self.iterations.setValue(10)
        self.iterations.setSuffix(" encode → decode passes")
        self.iterations.setToolTip("Known pixels are reset after each pass")
        self.clear_button = QPushButton("Clear mask")
        self.canvas = MaskCanvas()
        self.filled_boxes: list[ImageBox] = []  # one per shown model
        self.original = ImageBox("original", min_size=96)
        self.hint = hint_label()

        tools = QHBoxLayout()
        tools.addWidget(QLabel("Draw"))
        for w in (self.tool, QLabel("radius"), self.radius, self.clear_button):
            tools.addWidget(w)
        tools.addStretch(1)
        fill = QHBoxLayout()
        fill.addWidget(QLabel("Fill with"))
        fill.addWidget(self.iterations)
        fill.addStretch(1)
        self.results_layout = results = QVBoxLayout()
        results.addWidget(self.original, 1)
        self._set_filled_boxes([])
        images = QHBoxLayout()
        images.addWidget(self.canvas, 3)
        images.addLayout(results, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.picker)
        layout.addLayout(tools)
        layout.addLayout(fill)
        layout.addLayout(images, 1)
        layout.addWidget(self.hint)

        self.hole: np.ndarray | None = None  # H x W, True = pixel to fill
        self.results: list = []  # the last core InpaintResult of each shown model
        self.result = None  # the first model's (tests read it)
        self._picked = None
        self._drag_start: np.ndarray | None = None
        self._last_point: np.ndarray | None = None
        self._preview: np.ndarray | None = None
        self._fill_job = None
        self._fill_pending = False

        self.canvas.item.gesture.connect(self._on_gesture)
        self.picker.changed.connect(self.schedule)
        self.iterations.valueChanged.connect(self.schedule)
        self.clear_button.clicked.connect(self.clear_mask)
        self.follow([("decoder_changed", self.schedule)])

    @property
    def filled(self) -> ImageBox:
        """The first model's filled image."""
        return self.filled_boxes[0]

    def _set_filled_boxes(self, sessions: list[Session]) -> None:
        n = max(1, len(sessions))
        for box in sync_count(self.filled_boxes, n, _filled_box, self.results_layout):
            self.results_layout.insertWidget(len(self.filled_boxes) - 1, box, 1)
        for k, box in enumerate(self.filled_boxes):
            many = len(sessions) > 1
            box.title.setText(f"filled by {session_title(sessions[k])}" if many
                              else "filled by the model")

    def _show_results(self, results: list, captions: list[str]) -> None:
        self.results = results
        self.result = results[0] if results else None
        for k, box in enumerate(self.filled_boxes):
            r = results[k] if k < len(results) else None
            box.set_image(None if r is None else sample_display(r.filled, [0])[0],
                          captions[k] if k < len(captions) else "")

    # ---- mask editing --------------------------------------------------------------------
    def clear_mask(self) -> None:
        if self.hole is not None:
            self.hole = np.zeros_like(self.hole)
        self.schedule()

    def set_mask(self, mask: np.ndarray) -> None:
        """Replace the mask (H x W booleans, True = fill) and fill again."""
        self.hole = np.asarray(mask, dtype=bool).copy()
        self.schedule()

    def _on_gesture(self, phase: str, x: float, y: float) -> None:
        if self.hole is None:
            return
        p = np.array([x, y])
        tool = self.tool.currentData()
        if tool == "rectangle":
            if phase == "start":
                self._drag_start = p
            start = self._drag_start if self._drag_start is not None else p
            rect = rectangle_between(self.hole.shape, start, p)
            if phase in ("finish", "click"):
                self._drag_start = self._preview = None
                self.set_mask(self.hole | rect)
            else:
                self._preview = rect
                self._show_canvas()
            return
        value = tool == "brush"
        if phase in ("start", "click") or self._last_point is None:
            self._last_point = p
        self.hole = paint_stroke(self.hole, self._last_point, p, radius=self.radius.value(),
                                 value=value)
        self._last_point = p
        if phase in ("finish", "click"):
            self._last_point = None
            self.schedule()
        else:
            self._show_canvas()

    def _show_canvas(self) -> None:
        if self._picked is None:
            self.canvas.set_image(None)
            return
        shown = self.hole if self._preview is None else (self.hole | self._preview)
        display = sample_display(self._picked.image[None], [0])[0]
        self.canvas.set_image(mask_overlay(display, shown))

    # ---- filling --------------------------------------------------------------------------
    def refresh(self) -> None:
        picked, why = self.picker.picked()
        self._picked = picked
        sessions = self._fill_sessions(picked)
        self._set_filled_boxes(sessions)
        if picked is None or not sessions:
            self._show_results([], [])
            self.canvas.set_image(None)
            self.original.set_image(None, "")
            self.hint.setText(why or "Waiting for the model to load…")
            return
        hw = picked.image.shape[1:]
        if self.hole is None or self.hole.shape != hw:
            self.hole = np.zeros(hw, dtype=bool)
        self._show_canvas()
        self.original.set_image(sample_display(picked.image[None], [0])[0], picked.title)
        if not self.hole.any():
            self._show_results([], [])
            self.hint.setText("Drag a rectangle (or choose the brush) on the image to erase a "
                              "region; the model fills it in.")
            return
        self._start_fill(sessions, picked, self.hole.copy(), self.iterations.value())

    def _fill_sessions(self, picked: PickedImage | None) -> list[Session]:
        """The shown models that can fill the picked image."""
        shape = None if picked is None else tuple(picked.image.shape)
        return [s for s in self.sessions if s.model is not None and s.input_shape == shape]

    def filling(self) -> bool:
        """True while a fill runs in the background (or another is queued after it)."""
        return self._fill_pending or (self._fill_job is not None and self._fill_job.is_running())

    def _start_fill(self, sessions: list[Session], picked: PickedImage, hole: np.ndarray,
                    steps: int) -> None:
        # One fill at a time: a hundred encode -> decode passes of a 28 x 28 image take
        # over 100 ms, too long for the GUI thread. Requests arriving meanwhile collapse
        # into one refresh once the running fill is done.
        if self._fill_job is not None and self._fill_job.is_running():
            self._fill_pending = True
            return
        self._fill_pending = False
        models = [s.model for s in sessions]
        job = self.jobs.start("inpaint", lambda _cancel: [fill_hole(m, picked, hole, steps)
                                                          for m in models], supersede=False)
        job.succeeded.connect(lambda out: self._on_filled(list(zip(sessions, models,
                                                                   strict=True)),
                                                          picked, hole, steps, out))
        job.failed.connect(self._on_fill_failed)
        job.finished.connect(self._on_fill_finished)
        self._fill_job = job
        job.start()

    def _on_fill_finished(self) -> None:
        if self._fill_pending:
            self.schedule()

    def _on_fill_failed(self, msg: str) -> None:
        if not self._fill_pending:
            self._show_results([], [])
            self.hint.setText(msg)

    def _on_filled(self, filled_by: list[tuple[Session, object]], picked: PickedImage,
                   hole: np.ndarray, steps: int, out: list) -> None:
        current = self._picked
        if (self._fill_pending or current is None or self.hole is None
                or steps != self.iterations.value() or not np.array_equal(hole, self.hole)
                or not np.array_equal(picked.image, current.image)
                or [(id(s), id(s.model)) for s in self._fill_sessions(current)]
                != [(id(s), id(m)) for s, m in filled_by]):
            return  # outdated: the inputs changed while it ran; the next fill is coming
        sessions = [s for s, _ in filled_by]
        self._show_results([r for r, _, _ in out],
                           [f"error in the hole {err:.4f}\n(mean fill {base:.4f})"
                            for _, err, base in out])
        many = len(sessions) > 1
        changes = ", ".join(f"{s.kind.upper() + ' ' if many else ''}{r.changes[-1]:.4f}"
                            for s, (r, _, _) in zip(sessions, out, strict=True))
        r = out[0][0]
        self.hint.setText(f"{int(hole.sum())} pixels filled in {r.iterations} iteration(s); "
                          f"the last changed the hole by {changes} on average. "
                          "Known pixels are never changed.")


def _filled_box() -> ImageBox:
    return ImageBox("filled by the model", min_size=96)


def fill_hole(model, picked: PickedImage, hole: np.ndarray, steps: int):
    """Worker: (InpaintResult, error in the hole, error of the mean-fill baseline)."""
    with one_torch_thread():
        r = inpaint(model, picked.image, hole, steps=steps, labels=picked.label)
    err = float(masked_mse(picked.image, r.filled_float, hole)[0])
    base = float(masked_mse(picked.image, mean_fill(picked.image, hole), hole)[0])
    return r, err, base
