"""Sample galleries: a wrapping grid of thumbnails, and the base of the panels that list
samples (anomaly ranking, retrieval) with one gallery per shown model."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from latent_atlas.explorer.session.panels import PanelModel, select_sample

from .common import PanelBase, SessionColumns, to_pixmap

GALLERY_ICON_PX = 56


class Gallery(QListWidget):
    """A wrapping grid of sample thumbnails; clicking one emits its sample index."""

    sampleClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setSpacing(4)
        # A wide icon box: in icon mode the caption is laid out in the icon's width.
        self.setIconSize(QSize(GALLERY_ICON_PX + 24, GALLERY_ICON_PX))
        self.setGridSize(QSize(GALLERY_ICON_PX + 34, GALLERY_ICON_PX + 38))
        self.setWordWrap(True)
        self.itemClicked.connect(self._emit)
        self.itemActivated.connect(self._emit)

    def set_samples(self, thumbs: np.ndarray | None, indices, captions: list[str]) -> None:
        """Show display images `thumbs` (N x H x W[x 3]) of the samples `indices` with
        captions (nothing when `thumbs` is None)."""
        self.clear()
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if thumbs is None or len(idx) == 0:
            return
        scale = max(1, GALLERY_ICON_PX // max(thumbs.shape[1:3]))
        for i, thumb, text in zip(idx, thumbs, captions, strict=True):
            # Non-breaking spaces: a caption line must not wrap into an elided third line.
            item = QListWidgetItem(QIcon(to_pixmap(thumb, scale)), text.replace(" ", "\u00a0"))
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            item.setToolTip(text.replace("\n", "  "))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.addItem(item)

    def sample_indices(self) -> list[int]:
        return [int(self.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(self.count())]

    def _emit(self, item: QListWidgetItem) -> None:
        self.sampleClicked.emit(int(item.data(Qt.ItemDataRole.UserRole)))


class GalleryPanel(PanelBase):
    """A panel that lists samples: one gallery per shown model (side by side, titled);
    clicking a thumbnail selects that sample on the maps."""

    def __init__(self, model: PanelModel, parent: QWidget | None = None):
        super().__init__(model, parent)
        self.columns = SessionColumns(self._make_gallery)

    def _make_gallery(self) -> Gallery:
        gallery = Gallery()
        gallery.sampleClicked.connect(lambda i: select_sample(self.model.sessions, i))
        return gallery

    @property
    def gallery(self) -> Gallery:
        """The first model's gallery."""
        return self.columns.widgets[0]

    @property
    def galleries(self) -> list[Gallery]:
        return list(self.columns.widgets)
