"""A titled, aspect-locked image display on a pyqtgraph ImageItem (explicit levels)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

BACKGROUND = "#202124"


class ImageBox(QWidget):
    """Shows one display image (H x W uint8 or H x W x 3) with a caption underneath."""

    def __init__(self, title: str = "", min_size: int = 96, parent: QWidget | None = None, *,
                 compact: bool = False):
        super().__init__(parent)
        self.compact = compact  # an empty caption takes no room (the strips' rows)
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel("")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(BACKGROUND)
        self.view.setMinimumSize(min_size, min_size)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view.ci.setContentsMargins(0, 0, 0, 0)
        # No context menu: building pyqtgraph's ViewBoxMenu costs ~10 ms per box at start-up.
        self.vb = self.view.addViewBox(lockAspect=True, invertY=True, enableMouse=False,
                                       enableMenu=False)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.vb.addItem(self.item)
        self.image: np.ndarray | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        if title:
            layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        self.caption.setVisible(not compact)

    def set_image(self, image: np.ndarray | None, caption: str | None = None) -> None:
        """Display `image` (or clear with None); levels are fixed at 0..255."""
        shape_changed = image is None or self.image is None or image.shape != self.image.shape
        self.image = image
        if image is None:
            self.item.clear()
        else:
            self.item.setImage(image, levels=(0, 255), autoLevels=False)
            if shape_changed:
                self.vb.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)
        if caption is not None:
            self.caption.setText(caption)
            if self.compact:
                self.caption.setVisible(bool(caption))
