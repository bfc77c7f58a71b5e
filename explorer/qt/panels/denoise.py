"""Denoising panel: corrupt a sample (or your image) with a chosen noise and level, and
show clean, noisy and each shown model's reconstruction side by side with MSE / PSNR /
SSIM (the active model in the main window, the AE and the VAE in the compare window),
and beside them the classic denoisers (median filter, non-local means) on the same noisy
image. The work and the captions are its `latent_atlas.explorer.session.panels.DenoiseModel`'s (a
background job per request); the panel lays the images out.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.denoise import CLASSIC, NOISES, DenoiseModel
from latent_atlas.explorer.session.workspace import ShownSessions

from ..image_box import ImageBox
from .common import PanelBase, hint_label, labelled_row, sync_count
from .picker import SamplePicker

MAX_COLUMNS = 4  # images per row of the result grid, at most
BOX_PX = 96
MAX_BOX_HEIGHT = 260  # title + image + three caption lines; the rest goes below


class DenoisePanel(PanelBase):
    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(DenoiseModel(shown, jobs), parent)
        m: DenoiseModel = self.model
        self.picker = SamplePicker(m)
        self.noise = QComboBox()
        for kind, title in NOISES:
            self.noise.addItem(title, kind)
        self.level = QSlider(Qt.Orientation.Horizontal)
        self.level.setRange(0, 100)
        self.level.setValue(int(round(100 * m.level)))
        self.level_label = QLabel()
        self.level_label.setMinimumWidth(90)
        self.reseed = QPushButton("New noise")
        self.reseed.setToolTip("Draw another random noise pattern at the same level")
        self.clean = ImageBox("clean", min_size=BOX_PX)
        self.noisy = ImageBox("noisy", min_size=BOX_PX)
        for box in (self.clean, self.noisy):
            box.setMaximumHeight(MAX_BOX_HEIGHT)
        self.recon_boxes: list[ImageBox] = []
        self.classic = QCheckBox("Classic denoisers")
        self.classic.setChecked(m.classic)
        self.classic.setToolTip("Median filter (3×3) and non-local means on the same noisy image")
        self.baseline_boxes = {name: ImageBox(title, min_size=BOX_PX) for name, title in CLASSIC}
        self.grid = QGridLayout()
        self.grid.addWidget(self.clean, 0, 0)
        self.grid.addWidget(self.noisy, 0, 1)
        self.hint = hint_label()

        noise_row = QHBoxLayout()
        noise_row.addWidget(QLabel("Noise"))
        noise_row.addWidget(self.noise)
        noise_row.addWidget(self.reseed)
        noise_row.addWidget(self.classic)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.picker)
        layout.addLayout(noise_row)
        layout.addLayout(labelled_row("Level", self.level, self.level_label))
        layout.addLayout(self.grid)
        layout.addStretch(1)  # keep the images near square; spare height goes below them
        layout.addWidget(self.hint)

        self.noise.currentIndexChanged.connect(lambda _i: m.set_noise(self.noise.currentData()))
        self.level.valueChanged.connect(lambda v: m.set_level(v / 100.0))
        self.reseed.clicked.connect(m.new_noise)
        self.classic.toggled.connect(m.set_classic)
        self._update()

    @property
    def results(self) -> dict:
        return self.model.results

    @property
    def baselines(self) -> dict:
        return self.model.baselines

    def _set_recon_boxes(self, n: int, classic: bool) -> None:
        for box in sync_count(self.recon_boxes, n, _recon_box, self.grid):
            box.setMaximumHeight(MAX_BOX_HEIGHT)
        boxes = list(self.baseline_boxes.values())
        for box in boxes:
            box.setMaximumHeight(MAX_BOX_HEIGHT)
            self.grid.removeWidget(box)
            box.hide()
        shown = boxes if n and classic else []
        # Flow the boxes into as many columns as the panel's width takes.
        columns = max(2, min(MAX_COLUMNS, self.width() // (BOX_PX + 16)))
        for k, box in enumerate([self.clean, self.noisy, *self.recon_boxes, *shown]):
            self.grid.addWidget(box, k // columns, k % columns)
            box.show()  # a layout shows new children only after a queued event

    def _update(self) -> None:
        m: DenoiseModel = self.model
        v = m.view
        self.level_label.setText(m.level_text())
        self._set_recon_boxes(len(v.models), bool(v.classic))
        self.clean.set_image(v.clean.image, v.clean.caption)
        self.noisy.set_image(v.noisy.image, v.noisy.caption)
        for box, shown in zip(self.recon_boxes, v.models, strict=True):
            box.title.setText(shown.title)
            box.set_image(shown.image, shown.caption)
        for name, shown in v.classic.items():
            self.baseline_boxes[name].set_image(shown.image, shown.caption)
        self.hint.setText(v.hint)


def _recon_box() -> ImageBox:
    return ImageBox("model", min_size=BOX_PX)  # a title, or it is never laid out
