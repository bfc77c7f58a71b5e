"""Denoising panel: corrupt a sample (or your image) with a chosen noise and level, and
show clean, noisy and each shown model's reconstruction side by side with MSE / PSNR /
SSIM (the active model in the main window, the AE and the VAE in the compare window),
and beside them the classic denoisers (median filter, non-local means) on the same noisy
image.

All numbers come from `explorer.core.analysis.applications.denoise`; one image per model
or denoiser is a few milliseconds of work, so it runs on the GUI thread as the slider
moves (coalesced).
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

from explorer.core.analysis.applications import (
    BASELINES,
    NOISE_KINDS,
    ApplicationError,
    classic_denoise,
    denoise,
)
from explorer.core.analysis.applications.baselines import BASELINE_TITLES
from explorer.core.analysis.applications.denoise import psnr_of_mse, quality_caption
from explorer.core.io.images import sample_display
from explorer.session.jobs import Jobs
from explorer.session.workspace import ShownSessions

from ..image_box import ImageBox
from .common import PanelBase, hint_label, labelled_row, session_title, sync_count
from .picker import SamplePicker

NOISE_TITLES = {"gaussian": "Gaussian", "masking": "masking (pixels zeroed)",
                "salt-and-pepper": "salt and pepper"}
MAX_COLUMNS = 4  # images per row of the result grid, at most
BOX_PX = 96
MAX_BOX_HEIGHT = 260  # title + image + three caption lines; the rest goes below


def level_text(kind: str, level: float) -> str:
    """What the level slider means for this noise: a sigma or a share of the pixels."""
    return f"σ = {level:.2f}" if kind == "gaussian" else f"{100 * level:.0f} % of pixels"


def _lines(caption: str) -> str:
    return caption.replace(" · ", "\n")


class DenoisePanel(PanelBase):
    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
        self.picker = SamplePicker(shown)
        self.noise = QComboBox()
        for kind in NOISE_KINDS:
            self.noise.addItem(NOISE_TITLES.get(kind, kind), kind)
        self.level = QSlider(Qt.Orientation.Horizontal)
        self.level.setRange(0, 100)
        self.level.setValue(30)
        self.level_label = QLabel()
        self.level_label.setMinimumWidth(90)
        self.reseed = QPushButton("New noise")
        self.reseed.setToolTip("Draw another random noise pattern at the same level")
        self.seed = 0
        self.clean = ImageBox("clean", min_size=BOX_PX)
        self.noisy = ImageBox("noisy", min_size=BOX_PX)
        for box in (self.clean, self.noisy):
            box.setMaximumHeight(MAX_BOX_HEIGHT)
        self.recon_boxes: list[ImageBox] = []
        self.classic = QCheckBox("Classic denoisers")
        self.classic.setChecked(True)
        self.classic.setToolTip("Median filter (3×3) and non-local means on the same noisy image")
        self.baseline_boxes = {name: ImageBox(BASELINE_TITLES[name], min_size=BOX_PX)
                               for name in BASELINES}
        self.baselines: dict[str, object] = {}  # name -> BaselineOutput (tests read it)
        self.grid = QGridLayout()
        self.grid.addWidget(self.clean, 0, 0)
        self.grid.addWidget(self.noisy, 0, 1)
        self.hint = hint_label()
        self.results: dict[str, object] = {}  # session name -> DenoiseResult (tests read it)

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

        self.picker.changed.connect(self.schedule)
        self.noise.currentIndexChanged.connect(self.schedule)
        self.level.valueChanged.connect(self.schedule)
        self.reseed.clicked.connect(self._new_seed)
        self.classic.toggled.connect(self.schedule)
        self.follow([("decoder_changed", self.schedule)])

    def noise_level(self) -> tuple[str, float]:
        """The noise kind and level the controls show (slider 0..100 -> 0..1)."""
        return self.noise.currentData(), self.level.value() / 100.0

    def _new_seed(self) -> None:
        self.seed += 1
        self.schedule()

    def _models(self, shape) -> list:
        """Every shown model that can take this image, in the shown order."""
        return [s for s in self.sessions if s.model is not None
                and tuple(s.input_shape) == tuple(shape)]

    def _set_recon_boxes(self, n: int) -> None:
        for box in sync_count(self.recon_boxes, n, _recon_box, self.grid):
            box.setMaximumHeight(MAX_BOX_HEIGHT)
        classic = list(self.baseline_boxes.values())
        for box in classic:
            box.setMaximumHeight(MAX_BOX_HEIGHT)
            self.grid.removeWidget(box)
            box.hide()
        shown = classic if n and self.classic.isChecked() else []
        # Flow the boxes into as many columns as the panel's width takes.
        columns = max(2, min(MAX_COLUMNS, self.width() // (BOX_PX + 16)))
        for k, box in enumerate([self.clean, self.noisy, *self.recon_boxes, *shown]):
            self.grid.addWidget(box, k // columns, k % columns)
            box.show()  # a layout shows new children only after a queued event

    def refresh(self) -> None:
        kind, level = self.noise_level()
        self.level_label.setText(level_text(kind, level))
        picked, why = self.picker.picked()
        models = self._models(picked.image.shape) if picked is not None else []
        if picked is None or not models:
            self.results = {}
            self.baselines = {}
            for box in (self.clean, self.noisy):
                box.set_image(None, "")
            self._set_recon_boxes(0)
            self.hint.setText(why or "Waiting for the model to load…")
            return
        self._set_recon_boxes(len(models))
        self.results = {}
        self.baselines = {}
        first = None
        for s, box in zip(models, self.recon_boxes, strict=True):
            box.title.setText(session_title(s))
            try:
                r = denoise(s.model, picked.image, kind, level, seed=self.seed,
                            labels=picked.label)
            except ApplicationError as exc:
                box.set_image(None, str(exc))
                continue
            self.results[s.name] = r
            m = r.summary()
            box.set_image(sample_display(r.reconstruction, [0])[0],
                          _lines(quality_caption(m["recon_mse"], m["recon_psnr"],
                                                 m["recon_ssim"])))
            first = first or r
        if first is None:
            self.hint.setText("No shown model could denoise this image.")
            return
        m = first.summary()
        self.clean.set_image(sample_display(first.clean, [0])[0], picked.title)
        self.noisy.set_image(sample_display(first.noisy, [0])[0],
                             _lines(quality_caption(m["noisy_mse"], m["noisy_psnr"],
                                                    m["noisy_ssim"])))
        if self.classic.isChecked():  # on the very noisy image the models were given
            self.baselines = dict(classic_denoise(first.clean, first.noisy, BASELINES))
            for name, b in self.baselines.items():
                err = float(b.mse.mean())
                self.baseline_boxes[name].set_image(
                    sample_display(b.output, [0])[0],
                    _lines(quality_caption(err, psnr_of_mse(err), float(b.ssim.mean()))))
        skipped = len([s for s in self.sessions if s.model is not None]) - len(models)
        note = f" ({skipped} shown model(s) take a different image size)" if skipped else ""
        classic = " and classic denoiser" if self.classic.isChecked() else ""
        self.hint.setText("Errors against the clean image; higher PSNR and SSIM are better. "
                          f"Each model{classic} sees the same noisy image{note}.")


def _recon_box() -> ImageBox:
    return ImageBox("model", min_size=BOX_PX)  # a title, or it is never laid out
