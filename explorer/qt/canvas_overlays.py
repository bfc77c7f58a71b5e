"""The overlays a comparison adds to a map canvas: prior sample markers, the gap heatmap
(cells outside the data's hull hatched) and the decoded manifold grid behind the points.
A mixin of `MapCanvas` (canvas.py), which owns the graphics items it sets."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainterPath

from .map_items import heat_lut


class ComparisonOverlays:
    """`set_samples`, `set_heat` and `set_manifold` of a map canvas."""

    samples: Any
    heat: Any
    heat_outside: Any
    manifold: Any

    def set_samples(self, positions: np.ndarray | None) -> None:
        """Mark prior samples (× markers) at map `positions` (None clears them)."""
        self.samples.setData(pos=[] if positions is None else np.asarray(positions, np.float32))

    def set_heat(self, grid: Any, levels: tuple[float, float] | None, visible: bool) -> None:
        """Show a heatmap (latent_atlas.explorer.core.analysis.gaps.heatmap.Heatmap) with explicit shared
        `levels`; its cells outside the data's hull are transparent and hatched."""
        from latent_atlas.explorer.session.panels.compare_views import outside_cells

        if grid is None or levels is None:
            self.heat.clear()
            self.heat.setVisible(False)
            self.heat_outside.setVisible(False)
            return
        xmin, xmax, ymin, ymax = grid.rect
        # Explicit shared levels: the same colour means the same score in both maps.
        # NaN (outside the hull) is drawn transparent.
        self.heat.setImage(grid.masked(), levels=levels, lut=heat_lut(), autoLevels=False)
        self.heat.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
        self.heat.setVisible(visible)
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.WindingFill)
        for x, y, w, h in outside_cells(grid):
            path.addRect(QRectF(x, y, w, h))
        self.heat_outside.setPath(path)
        self.heat_outside.setVisible(visible and not path.isEmpty())

    def set_manifold(self, grid: Any, visible: bool) -> None:
        """Show a decoded manifold grid (latent_atlas.explorer.core.analysis.claims.manifold.ManifoldGrid)
        behind the points, each tile over its own cell of the grid's rect."""
        if grid is None:
            self.manifold.clear()
            self.manifold.setVisible(False)
            return
        xmin, xmax, ymin, ymax = grid.rect
        # The mosaic's first pixel row is the top of the figure; the view's y points up
        # and an ImageItem draws its first row at the bottom, hence the flip.
        self.manifold.setImage(grid.mosaic()[::-1], levels=(0, 255), autoLevels=False)
        self.manifold.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
        self.manifold.setVisible(visible)
