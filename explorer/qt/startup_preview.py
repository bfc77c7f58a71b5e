"""The start-up preview: the stored map, painted with PySide6 alone.

Shown at the main window's size and place before the plotting library, torch or any
panel is imported; the main window takes its place once it has painted (explorer/qt/app.py).
What it paints comes from `explorer.session.preview`; this file only draws it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from latent_atlas.explorer.session.preview import MapPreview

BACKGROUND = "#202124"  # the map canvas's
# Where the main window's map sits at its first size (1280 x 860): under the menu and tool
# bars, left of the image panels, above the interpolation strips. Approximate on purpose:
# the preview only has to put the map where the user will find it a moment later.
MAP_TOP = 48
MAP_WIDTH_SHARE = 0.723
MAP_BOTTOM_GAP = 232
STATUS_HEIGHT = 28


class StartupPreview(QWidget):
    """A window that paints a `MapPreview` and a status line; `on_paint` is called after
    each paint (the first one is the start-up's first paint)."""

    def __init__(self, preview: MapPreview, on_paint: Callable[[], None] | None = None):
        super().__init__()
        self.preview = preview
        self.on_paint = on_paint
        self.setWindowTitle("Latent Atlas")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.status = f"Opening {preview.name}… the map is a preview until the window is ready"

    def map_area(self) -> QRectF:
        width = max(self.width() * MAP_WIDTH_SHARE, 1.0)
        height = max(self.height() - MAP_TOP - MAP_BOTTOM_GAP, 1.0)
        return QRectF(0.0, MAP_TOP, width, height)

    def paintEvent(self, event):  # noqa: N802 - Qt naming
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), self.palette().window())
            area = self.map_area()
            painter.fillRect(area, QColor(BACKGROUND))
            xy = self.preview.fitted(area.width(), area.height(), margin=24.0)
            xy[:, 1] += area.top()
            for rgb, index in self.preview.by_colour():
                pen = QPen(QColor(*rgb))
                pen.setWidthF(5.0)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                painter.drawPoints(QPolygonF([QPointF(float(x), float(y)) for x, y in xy[index]]))
            painter.setPen(self.palette().windowText().color())
            painter.drawText(QRectF(4, self.height() - STATUS_HEIGHT, self.width() - 8,
                                    STATUS_HEIGHT),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             self.status)
        finally:
            painter.end()
        if self.on_paint is not None:
            self.on_paint()
