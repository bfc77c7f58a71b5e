"""The picker of the image the denoising and inpainting panels work on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

from .common import ShownBinding, label_text


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
    user's own picture (File ▸ Open image…). It follows the first shown session: the
    sessions of a compare pair share their data, so one picked image serves both."""

    changed = Signal()
    MODES = (("clicked", "sample at the clicked point"), ("number", "sample number"),
             ("own", "your image"))

    def __init__(self, shown: ShownSessions, parent: QWidget | None = None):
        super().__init__(parent)
        self.shown = shown
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
        pairs = [(name, self._on_state) for name in ("cursor_changed", "placed_changed",
                                                      "data_changed", "map_changed")]
        self._binding = ShownBinding(self, shown, pairs, self._on_state, first_only=True)
        self._binding.rebind()

    @property
    def session(self) -> Session | None:
        return self.shown.first

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
        s = self.session
        self._set_number(None, max(0, (s.n_points if s is not None else 0) - 1))
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
        s = self.session
        if s is None:
            return None, "Open a model first."
        if self.mode.currentData() == "own":
            if s.placed is None:
                return None, "Open your own picture with File ▸ Open image… (or drop it on the map)."
            return PickedImage(s.placed.original, None, s.placed.name), ""
        if not s.data_matches_map():
            return None, "Waiting for the model's data to load…"
        if self.mode.currentData() == "clicked":
            if s.cursor_xy is None:
                return None, "Click on the map (or pick a sample number) to choose an image."
            self._set_number(int(s.latent_map.nearest_sample(s.cursor_xy)[0]))
        i = int(self.number.value())
        label = int(s.labels[i]) if s.labels is not None and i < len(s.labels) else None
        name = f"sample #{i}"
        if label is not None:
            name += f" ({label_text(s, i)})"
        return PickedImage(s.images[i], label, name, i), ""
