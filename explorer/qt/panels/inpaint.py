"""Inpainting panel: drag a rectangle or brush a mask on an enlarged image; the model
fills the hole by iterating encode -> decode with the known pixels kept fixed. The mask,
the tools and the fills (a background job whenever the mask is released) are its
`latent_atlas.explorer.session.panels.InpaintModel`'s; the canvas reports gestures to it. With two
shown models (the compare window) both fill the same hole of the same image, one result
under the other.
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

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.inpaint import TOOLS, InpaintModel
from latent_atlas.explorer.session.workspace import ShownSessions

from ..image_box import BACKGROUND, ImageBox
from .common import PanelBase, hint_label, sync_count
from .picker import SamplePicker


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
    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(InpaintModel(shown, jobs), parent)
        m: InpaintModel = self.model
        self.picker = SamplePicker(m)
        self.tool = QComboBox()
        for key, title in TOOLS:
            self.tool.addItem(title, key)
        self.radius = QDoubleSpinBox()
        self.radius.setRange(0.0, 20.0)
        self.radius.setSingleStep(0.5)
        self.radius.setValue(m.radius)
        self.radius.setSuffix(" px")
        self.radius.setToolTip("Radius of the brush and the eraser in image pixels")
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 100)
        self.iterations.setValue(m.iterations)
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
        self._set_filled_boxes(["filled by the model"])
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

        self.canvas.item.gesture.connect(m.gesture)
        self.tool.currentIndexChanged.connect(lambda _i: m.set_tool(self.tool.currentData()))
        self.radius.valueChanged.connect(m.set_radius)
        self.iterations.valueChanged.connect(m.set_iterations)
        self.clear_button.clicked.connect(m.clear_mask)
        self._update()

    @property
    def filled(self) -> ImageBox:
        """The first model's filled image."""
        return self.filled_boxes[0]

    @property
    def hole(self):
        return self.model.hole

    @property
    def result(self):
        return self.model.result

    @property
    def results(self) -> list:
        return self.model.results

    def filling(self) -> bool:
        return self.model.filling()

    def set_mask(self, mask) -> None:
        self.model.set_mask(mask)

    def _set_filled_boxes(self, titles: list[str]) -> None:
        for box in sync_count(self.filled_boxes, len(titles), _filled_box, self.results_layout):
            self.results_layout.insertWidget(len(self.filled_boxes) - 1, box, 1)
        for box, title in zip(self.filled_boxes, titles, strict=True):
            box.title.setText(title)

    def _update(self) -> None:
        v = self.model.view
        self._set_filled_boxes(v.titles)
        self.canvas.set_image(v.canvas)
        self.original.set_image(v.original, v.original_caption)
        for k, box in enumerate(self.filled_boxes):
            box.set_image(v.filled[k] if k < len(v.filled) else None,
                          v.captions[k] if k < len(v.captions) else "")
        self.hint.setText(v.hint)


def _filled_box() -> ImageBox:
    return ImageBox("filled by the model", min_size=96)
