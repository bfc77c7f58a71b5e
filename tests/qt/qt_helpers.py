"""Mouse helpers for driving the pyqtgraph map in tests (events go to the viewport)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication


def to_viewport(window, xy) -> QPointF:
    view = window.canvas
    scene = view.vb.mapViewToScene(QPointF(float(xy[0]), float(xy[1])))
    return QPointF(view.plot.mapFromScene(scene))


def _send(window, kind, pos: QPointF, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier):
    vp = window.canvas.plot.viewport()
    ev = QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, buttons, modifiers)
    QApplication.sendEvent(vp, ev)


def click(window, xy, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    p = to_viewport(window, xy)
    left = Qt.MouseButton.LeftButton
    _send(window, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, modifiers)
    _send(window, QEvent.Type.MouseButtonPress, p, left, left, modifiers)
    _send(window, QEvent.Type.MouseButtonRelease, p, left, Qt.MouseButton.NoButton, modifiers)
    QApplication.processEvents()


def drag(window, xy0, xy1, steps: int = 12, modifiers=Qt.KeyboardModifier.NoModifier,
         on_step=None) -> None:
    """Press at xy0, move in `steps` with the button held (processing events), release at xy1."""
    left = Qt.MouseButton.LeftButton
    p0 = to_viewport(window, xy0)
    _send(window, QEvent.Type.MouseMove, p0, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, modifiers)
    _send(window, QEvent.Type.MouseButtonPress, p0, left, left, modifiers)
    for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
        xy = (1 - t) * np.asarray(xy0, float) + t * np.asarray(xy1, float)
        _send(window, QEvent.Type.MouseMove, to_viewport(window, xy), Qt.MouseButton.NoButton, left,
              modifiers)
        QApplication.processEvents()
        if on_step is not None:
            on_step()
    _send(window, QEvent.Type.MouseButtonRelease, to_viewport(window, xy1), left,
          Qt.MouseButton.NoButton, modifiers)
    QApplication.processEvents()


def empty_spot(latent_map) -> np.ndarray:
    """A map point inside the bounds as far as possible from every sample."""
    xmin, xmax, ymin, ymax = latent_map.bounds()
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, 40), np.linspace(ymin, ymax, 40))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    _, dist = latent_map.nearest_sample(grid)
    return grid[int(np.argmax(dist))].astype(np.float32)
