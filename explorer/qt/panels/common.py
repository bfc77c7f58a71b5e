"""Pieces the application panels share: the panel base, a thumbnail gallery, a pixmap
helper, the picker of the image a panel works on, and "select this sample on the map".

Panels follow the window's conventions: they take the `AtlasState` (and the window's
`JobManager` for long work) in their constructor, listen to its signals, compute nothing
themselves (every number comes from `explorer.core`), and stay idle while hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from explorer.core.inference import one_torch_thread
from explorer.core.io.images import sample_display

from ..state import AtlasState, ModelEntry
from ..workers import JobManager

GALLERY_ICON_PX = 56


def to_pixmap(image: np.ndarray, scale: int = 1) -> QPixmap:
    """A display image (H x W or H x W x 3 uint8) as a pixmap enlarged `scale` times
    without smoothing (pixels stay sharp squares)."""
    a = np.ascontiguousarray(image, dtype=np.uint8)
    h, w = a.shape[:2]
    if a.ndim == 2:
        qimg = QImage(a.tobytes(), w, h, w, QImage.Format.Format_Grayscale8).copy()
    else:
        qimg = QImage(a.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    pix = QPixmap.fromImage(qimg)
    if scale > 1:
        pix = pix.scaled(w * scale, h * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.FastTransformation)
    return pix


def hint_label(text: str = "") -> QLabel:
    """A grey, word-wrapped line of guidance under a panel."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: gray")
    return label


def select_sample(state: AtlasState, index: int) -> None:
    """Select dataset sample `index` on the map: the cursor jumps to it (its image is
    decoded, the map's inverse is exact at data points) and it is ringed as hovered."""
    e = state.active
    if e is None or e.latent_map is None or not 0 <= index < e.n_points:
        return
    state.request_decode(e.latent_map.positions[index])
    state.flush_decode()
    state.set_hover(int(index))


def model_ready(entry: ModelEntry | None) -> bool:
    """The entry has a network to run and a map to search."""
    return entry is not None and entry.model is not None and entry.latent_map is not None


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

    def set_samples(self, images: np.ndarray, indices, captions: list[str]) -> None:
        """Show the samples `indices` of uint8 data `images` (N x C x H x W) with captions."""
        self.clear()
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if len(idx) == 0:
            return
        thumbs = sample_display(images, idx)
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


class PanelBase(QWidget):
    """Base of every application panel: a coalesced refresh and a live/idle switch.

    Many signals can arrive in one event-loop turn (a drag moves the cursor dozens of
    times); `schedule()` collapses them into one `refresh()` when the loop is next idle.
    A hidden panel (`set_live(False)`) only remembers that it is stale.
    """

    def __init__(self, state: AtlasState, jobs: JobManager | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.jobs = jobs if jobs is not None else JobManager(self)
        self.live = True
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_refresh)

    def set_live(self, live: bool) -> None:
        """Called with the dock's visibility; a panel shown again catches up at once."""
        self.live = bool(live)
        if self.live and self._stale:
            self.schedule()

    def schedule(self) -> None:
        self._stale = True
        if self.live and not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Run a pending refresh now (tests, screenshots)."""
        if self._timer.isActive():
            self._timer.stop()
            self._run_refresh()

    def _run_refresh(self) -> None:
        if not self.live:
            return
        self._stale = False
        with one_torch_thread():  # one image or grid: a second intra-op thread only adds waiting
            self.refresh()
        # Lay out new rows and captions now rather than a turn of the event loop later, so
        # the panel never paints (or is grabbed) with the old geometry.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def refresh(self) -> None:  # pragma: no cover - every panel overrides it
        raise NotImplementedError


@dataclass
class PickedImage:
    """The image a panel works on: uint8 C x H x W, its label (conditional models) and a
    short description for captions; `index` is the dataset sample, None for your image."""

    image: np.ndarray
    label: int | None
    title: str
    index: int | None = None


class SamplePicker(QWidget):
    """Chooses the image of the denoising and inpainting panels: the sample nearest the
    clicked map point (follows clicks and gallery selections), a sample by number, or the
    user's own picture (File ▸ Open image…)."""

    changed = Signal()
    MODES = (("clicked", "sample at the clicked point"), ("number", "sample number"),
             ("own", "your image"))

    def __init__(self, state: AtlasState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self._syncing = False
        self.mode = QComboBox()
        for key, title in self.MODES:
            self.mode.addItem(title, key)
        self.number = QSpinBox()
        self.number.setRange(0, 0)
        self.number.setPrefix("#")
        self.number.setMinimumWidth(70)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Image"))
        row.addWidget(self.mode, 1)
        row.addWidget(self.number)
        self.mode.currentIndexChanged.connect(self._on_mode)
        self.number.valueChanged.connect(self._on_number)
        for sig in (state.cursorChanged, state.activeChanged, state.placedChanged,
                    state.dataChanged, state.mapChanged):
            sig.connect(self._on_state)
        self._on_state()

    def set_mode(self, key: str) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(key)))

    def _on_mode(self, _i: int) -> None:
        self._on_state()

    def _on_number(self, _v: int) -> None:
        if self._syncing:
            return
        if self.mode.currentData() == "clicked":
            # Typing a number means "this sample", not "follow the clicks" any more.
            self.set_mode("number")
        self.changed.emit()

    def _on_state(self) -> None:
        # Only cheap bookkeeping here: this runs on every cursor move, even for a hidden
        # panel. The nearest sample is looked up when the panel asks (`picked`).
        e = self.state.active
        self._set_number(None, max(0, (e.n_points if e is not None else 0) - 1))
        self.number.setEnabled(self.mode.currentData() != "own")
        self.changed.emit()

    def _set_number(self, value: int | None, maximum: int | None = None) -> None:
        self._syncing = True
        try:
            if maximum is not None:
                self.number.setRange(0, maximum)
            if value is not None:
                self.number.setValue(value)
        finally:
            self._syncing = False

    def picked(self) -> tuple[PickedImage | None, str]:
        """The chosen image, or None and a sentence saying what is missing."""
        e = self.state.active
        if e is None:
            return None, "Open a model first."
        if self.mode.currentData() == "own":
            if e.placed is None:
                return None, "Open your own picture with File ▸ Open image… (or drop it on the map)."
            return PickedImage(e.placed.original, None, e.placed.name), ""
        if not e.data_matches_map():
            return None, "Waiting for the model's data to load…"
        if self.mode.currentData() == "clicked":
            if self.state.cursor_xy is None:
                return None, "Click on the map (or pick a sample number) to choose an image."
            self._set_number(int(e.latent_map.nearest_sample(self.state.cursor_xy)[0]))
        i = int(self.number.value())
        label = int(e.labels[i]) if e.labels is not None and i < len(e.labels) else None
        name = f"sample #{i}"
        if label is not None:
            name += f" ({e.label_names[label] if 0 <= label < len(e.label_names) else label})"
        return PickedImage(e.images[i], label, name, i), ""
