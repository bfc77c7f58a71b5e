"""The images themselves on the map: once the view holds at most a few hundred points
(`latent_atlas.explorer.session.view.THUMBNAILS_MAX`), each is drawn as its picture at its position,
a fixed size on screen, nearest-neighbour scaled. A toggle (on by default when the map's
images are loaded); at a million points the view's count comes from the map's grid, so a
zoomed-out frame costs nothing more."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from latent_atlas.explorer.session.view import THUMBNAILS_MAX, thumbnails_in_view

THUMB_PX = 30  # side of a thumbnail on screen
CACHE_MAX = 4096


def to_qimage(display: np.ndarray) -> QImage:
    """A display image (H x W or H x W x 3 uint8) as a QImage that owns its pixels."""
    a = np.ascontiguousarray(display, dtype=np.uint8)
    h, w = a.shape[:2]
    if a.ndim == 2:
        return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ThumbnailLayer(pg.GraphicsObject):
    """Draws the pictures of the points in view (see module docstring)."""

    def __init__(self, points: Any) -> None:
        super().__init__()
        self.points = points  # the canvas's PointCloud: positions, bounds, view counts
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.enabled = True
        self.images: np.ndarray | None = None  # uint8 N x C x H x W, row-aligned
        self.drawn = 0
        self._cache: dict[int, QImage] = {}

    def set_images(self, images: np.ndarray | None) -> None:
        self.images = images
        self._cache = {}
        self.update()

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt naming
        return self.points.boundingRect()

    def visible(self) -> np.ndarray | None:
        """Indices to draw now, or None (off, no images, or too many in view)."""
        if not self.enabled or self.images is None or len(self.images) != self.points.n_points:
            return None
        if self.points._grid is not None and self.points.visible_count() > THUMBNAILS_MAX:
            return None  # decided by the grid's count: no scan of a million points
        view = self.points._view()
        if view is None:
            return None
        return thumbnails_in_view(self.points.positions, view)

    def _image(self, i: int) -> QImage:
        img = self._cache.get(i)
        if img is None:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            chw = self.images[i]
            display = chw[0] if chw.shape[0] == 1 else chw.transpose(1, 2, 0)
            img = self._cache[i] = to_qimage(display)
        return img

    def paint(self, p: QPainter, *_args) -> None:
        self.drawn = 0
        idx = self.visible()
        if idx is None or not len(idx):
            return
        t = p.transform()
        xy = self.points.positions[idx].astype(np.float64)
        dev_x = xy[:, 0] * t.m11() + xy[:, 1] * t.m21() + t.m31()
        dev_y = xy[:, 0] * t.m12() + xy[:, 1] * t.m22() + t.m32()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # sharp pixels
        half = THUMB_PX / 2
        for k, i in enumerate(idx.tolist()):
            p.drawImage(QRectF(dev_x[k] - half, dev_y[k] - half, THUMB_PX, THUMB_PX),
                        self._image(i))
        self.drawn = len(idx)
        p.setTransform(t)
