"""The "Train comparison pair" dialog: the settings both models share."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from latent_atlas.explorer.qt.sampling_choice import SamplingChoice
from latent_atlas.explorer.session.panels.train_form import PairRequest


class TrainPairDialog(QDialog):
    """Collects a PairRequest; `request()` reads it back."""

    def __init__(self, initial: PairRequest, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Train comparison pair (AE and VAE)")
        self.spec = QLineEdit(initial.data_spec)
        self.arch = QComboBox()
        for a in ("conv", "mlp"):
            self.arch.addItem(a)
        self.arch.setCurrentText(initial.arch)
        self.sampling = SamplingChoice(initial.upsample, initial.downsample)
        self.arch.currentTextChanged.connect(self.sampling.set_arch)
        self.sampling.set_arch(initial.arch)
        self.latent = QSpinBox()
        self.latent.setRange(2, 256)
        self.latent.setValue(initial.latent_dim)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(initial.epochs)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(initial.seed)
        self.folder = QLineEdit(initial.folder)
        form = QFormLayout(self)
        for label, w in (("Data", self.spec), ("Architecture", self.arch),
                         ("Upsampling (conv decoder)", self.sampling.upsample),
                         ("Downsampling (conv encoder)", self.sampling.downsample),
                         ("Latent size", self.latent), ("Epochs", self.epochs),
                         ("Seed", self.seed), ("Save both in", self.folder)):
            form.addRow(label, w)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def request(self) -> PairRequest:
        return PairRequest(data_spec=self.spec.text().strip() or "digits",
                           arch=self.arch.currentText(), latent_dim=self.latent.value(),
                           epochs=self.epochs.value(), seed=self.seed.value(),
                           folder=self.folder.text().strip(), **self.sampling.options())
