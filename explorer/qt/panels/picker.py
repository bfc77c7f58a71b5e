"""The picker of the image the denoising and inpainting panels work on: a view of their
model's `SamplePick` (latent_atlas.explorer.session.panels.sources)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from latent_atlas.explorer.session.panels import PICK_MODES

from .common import weak_slot


class SamplePicker(QWidget):
    """The sample nearest the clicked map point (follows clicks and gallery selections), a
    sample by number, or the user's own picture (File ▸ Open image…). `model` is a panel
    model with a `pick`, `pick_max()`, `set_pick_mode` and `set_pick_number`."""

    MODES = PICK_MODES

    def __init__(self, model: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
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
        self.mode.currentIndexChanged.connect(
            lambda _i: model.set_pick_mode(self.mode.currentData()))
        self.number.valueChanged.connect(model.set_pick_number)
        model.changed.connect(weak_slot(self._update))
        self._update()

    def set_mode(self, key: str) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(key)))

    def _update(self) -> None:
        pick = self.model.pick
        for w in (self.mode, self.number):
            w.blockSignals(True)
        self.mode.setCurrentIndex(max(0, self.mode.findData(pick.mode)))
        self.number.setRange(0, self.model.pick_max())
        self.number.setValue(pick.number)
        self.number.setEnabled(pick.mode != "own")
        for w in (self.mode, self.number):
            w.blockSignals(False)
