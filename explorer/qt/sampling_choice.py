"""The conv decoder's upsampling and the encoder's downsampling, as two linked combo boxes
for the Train and Train-pair dialogs. Which pairs go together is decided on the session
floor (`latent_atlas.explorer.session.panels.train_form.downsample_choices`, from latent_atlas.models.config); the
boxes only offer what it allows."""

from __future__ import annotations

from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox

from latent_atlas.explorer.session.panels.train_form import (
    DOWNSAMPLES,
    UPSAMPLES,
    downsample_choices,
)


class SamplingChoice:
    """`upsample` and `downsample` combo boxes (conv only); `options()` gives the
    ModelConfig fields."""

    def __init__(self, upsample: str = "transpose", downsample: str = "stride"):
        self.arch = "conv"
        self.upsample = QComboBox()
        for key, title in UPSAMPLES:
            self.upsample.addItem(title, key)
        self.upsample.setToolTip(
            "How each decoder block doubles the image size. Max-unpooling puts values back "
            "where the encoder's max pooling found them: the model reconstructs, but a click "
            "on the map decodes with the switches of the nearest sample.")
        self.downsample = QComboBox()
        for key, title in DOWNSAMPLES:
            self.downsample.addItem(title, key)
        self.downsample.setToolTip("How each encoder block halves the image size.")
        self.upsample.setCurrentIndex(max(0, self.upsample.findData(upsample)))
        self.downsample.setCurrentIndex(max(0, self.downsample.findData(downsample)))
        self.upsample.currentIndexChanged.connect(lambda _i: self.set_arch(self.arch))
        self.set_arch("conv")

    def set_arch(self, arch: str) -> None:
        """Enable the boxes for a conv model and offer only the downsamplings allowed with
        the chosen upsampling (moving the choice onto an allowed one)."""
        self.arch = arch
        allowed = downsample_choices(self.upsample.currentData(), arch)
        self.upsample.setEnabled(arch == "conv")
        self.downsample.setEnabled(len(allowed) > 1)
        model = self.downsample.model()
        assert isinstance(model, QStandardItemModel)
        for i in range(self.downsample.count()):
            item = model.item(i)
            if item is not None:
                item.setEnabled(self.downsample.itemData(i) in allowed)
        if allowed and self.downsample.currentData() not in allowed:
            self.downsample.setCurrentIndex(self.downsample.findData(allowed[0]))

    def options(self) -> dict[str, str]:
        """{"upsample", "downsample"} for a conv model; {} for an MLP."""
        if self.arch != "conv":
            return {}
        return {"upsample": self.upsample.currentData(),
                "downsample": self.downsample.currentData()}
