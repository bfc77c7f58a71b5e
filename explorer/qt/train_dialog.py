"""The Train dialog: every training option, then live loss curves, progress, ETA, Cancel.

The dialog only collects a TrainRequest and displays progress; the window runs the job
(latent_atlas.explorer.session.training.train_task in a job) and feeds events back through `show_progress`.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.qt.sampling_choice import SamplingChoice
from latent_atlas.explorer.session.loading import Stage
from latent_atlas.explorer.session.panels.train_form import (
    ARCHS,
    KINDS,
    NOISES,
    TrainRequest,
    beta_for_kind,
    train_extra,
    variant_fields,
)

from .forms import form_of, spin
from .image_box import BACKGROUND
from .job_controls import job_controls

DATA_PRESETS = ("digits", "shapes", "mnist", "fashion-mnist", "kmnist", "idx:", "folder:", "npz:")
TERM_COLOURS = {"total": "#e8eaed", "recon": "#4e79a7", "kl": "#f28e2b"}


def format_eta(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainDialog(QDialog):
    """Non-modal: the map stays usable while a model trains."""

    trainRequested = Signal(object)  # TrainRequest
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None, default_spec: str = "digits"):
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.data_spec = QComboBox()
        self.data_spec.setEditable(True)
        self.data_spec.addItems(DATA_PRESETS)
        self.data_spec.setCurrentText(default_spec)
        self.data_spec.setToolTip("A data spec: digits, shapes, mnist[:DIR], fashion-mnist[:DIR], "
                                  "kmnist[:DIR], idx:DIR, folder:DIR, npz:FILE; options after ?, "
                                  "e.g. mnist?limit=5000")
        self.folder_button = QPushButton("Folder…")
        self.kind = QComboBox()
        for key, title in KINDS:
            self.kind.addItem(title, key)
        # Variant options; only the ones the chosen kind uses are enabled.
        self.noise = QComboBox()
        for key, title in NOISES:
            self.noise.addItem(title, key)
        self.noise_level = QDoubleSpinBox()
        self.noise_level.setDecimals(2)
        self.noise_level.setRange(0.01, 0.95)
        self.noise_level.setValue(0.3)
        self.penalty = QDoubleSpinBox()
        self.penalty.setDecimals(5)
        self.penalty.setRange(0.0, 1000.0)
        self.penalty.setSingleStep(1e-3)
        self.pretrain = spin(0, 1000, 0)
        self.arch = QComboBox()
        for key, title in ARCHS:
            self.arch.addItem(title, key)
        self.sampling = SamplingChoice()
        self.latent = spin(1, 512, 8)
        self.epochs = spin(1, 10_000, 10)
        self.batch = spin(1, 65_536, 128)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(1e-6, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(1e-3)
        self.beta = QDoubleSpinBox()
        self.beta.setDecimals(3)
        self.beta.setRange(0.0, 1000.0)
        self.beta.setValue(1.0)
        self.seed = spin(0, 2**31 - 1, 0)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda", "mps"])

        data_row = QHBoxLayout()
        data_row.addWidget(self.data_spec, 1)
        data_row.addWidget(self.folder_button)
        self.penalty_label = QLabel("Penalty weight")
        form = form_of([
            ("Data", data_row), ("Model", self.kind), ("Architecture", self.arch),
            ("Upsampling (conv decoder)", self.sampling.upsample),
            ("Downsampling (conv encoder)", self.sampling.downsample),
            ("Latent size", self.latent), ("Epochs", self.epochs), ("Batch size", self.batch),
            ("Learning rate", self.lr), ("Beta (KL weight)", self.beta),
            ("Noise (DAE)", self.noise), ("Noise level (DAE)", self.noise_level),
            (self.penalty_label, self.penalty),
            ("Layer-wise pretraining epochs (MLP)", self.pretrain), ("Seed", self.seed),
            ("Device", self.device)])
        self.form_widget = QWidget()
        self.form_widget.setLayout(form)

        self.plot = pg.PlotWidget(background=BACKGROUND)
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        self.plot.addLegend(offset=(-8, 8), labelTextColor="w")
        self.plot.setMinimumSize(360, 200)
        # Curves are made once, here: building plot items mid-training costs a visible
        # stall of the event loop when the first epoch reports.
        self.curves: dict[str, pg.PlotDataItem] = {}
        for split in ("train", "val"):
            for term in ("total", "recon", "kl"):
                self._make_curve(term, split)
        self.progress, self.status, controls, buttons = job_controls(
            "Choose the options and press Train.", "Train", "Cancel training", "Close")
        self.train_button, self.cancel_button, self.close_button = controls

        top = QHBoxLayout()
        top.addWidget(self.form_widget)
        top.addWidget(self.plot, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.kind.currentIndexChanged.connect(self._update_variant_fields)
        self.arch.currentIndexChanged.connect(self._update_variant_fields)
        self._update_variant_fields()
        self.folder_button.clicked.connect(self._pick_folder)
        self.train_button.clicked.connect(self._on_train)
        self.cancel_button.clicked.connect(self._on_cancel)
        self.close_button.clicked.connect(self.close)
        self._history: dict[str, tuple[list[float], list[float]]] = {}
        self.running = False

    # ---- input ---------------------------------------------------------------------------
    def request(self) -> TrainRequest:
        kind = self.kind.currentData()
        extra = train_extra(kind, self.arch.currentData(), noise=self.noise.currentData(),
                            noise_level=self.noise_level.value(), penalty=self.penalty.value(),
                            pretrain_epochs=self.pretrain.value(),
                            sampling=self.sampling.options())
        return TrainRequest(
            data_spec=self.data_spec.currentText().strip(), kind=kind,
            arch=self.arch.currentData(), latent_dim=self.latent.value(),
            epochs=self.epochs.value(), batch_size=self.batch.value(), lr=self.lr.value(),
            beta=self.beta.value(), seed=self.seed.value(), device=self.device.currentText(),
            extra=extra)

    def _update_variant_fields(self) -> None:
        kind, arch = self.kind.currentData(), self.arch.currentData()
        fields = variant_fields(kind, arch)
        self.noise.setEnabled(fields.noise)
        self.noise_level.setEnabled(fields.noise)
        self.penalty.setEnabled(bool(fields.penalty_field))
        self.penalty_label.setText(fields.penalty_label)
        if fields.penalty_field:
            self.penalty.setValue(fields.penalty_default)
        self.beta.setEnabled(fields.beta)
        self.beta.setValue(beta_for_kind(kind, self.beta.value()))
        self.pretrain.setEnabled(fields.pretrain)
        self.sampling.set_arch(arch)

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of images (one subfolder per class)")
        if folder:
            self.data_spec.setCurrentText(f"folder:{folder}")

    def _on_train(self) -> None:
        self.trainRequested.emit(self.request())

    def _on_cancel(self) -> None:
        self.status.setText("Cancelling… (the last complete epoch is kept)")
        self.cancel_button.setEnabled(False)
        self.cancelRequested.emit()

    # ---- progress (called by the window) ----------------------------------------------------
    def started(self) -> None:
        self.running = True
        self._history = {}
        for c in self.curves.values():
            c.setData([], [])
        self.progress.setValue(0)
        self.form_widget.setEnabled(False)
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Starting…")

    def show_progress(self, event) -> None:
        if isinstance(event, Stage):
            self.status.setText(event.message)
            return
        kind = event.stage
        if kind == "pretrain":
            self.status.setText(event.message)
        if kind in ("batch", "epoch"):
            self.progress.setValue(int(1000 * event.fraction))
            rate = f"{event.images_per_s:,.0f} images/s" if event.images_per_s else ""
            self.status.setText(f"epoch {event.epoch}/{event.epochs}, batch {event.step}/{event.steps}"
                                f" · {rate} · ETA {format_eta(event.eta_s)}")
        if kind == "epoch":
            self._add_point("train", event.epoch, event.losses)
            if event.val:
                self._add_point("val", event.epoch, event.val)
        elif kind == "encode":
            self.status.setText(event.message)

    def _add_point(self, split: str, epoch: int, losses: dict[str, float]) -> None:
        for term, value in losses.items():
            key = f"{term} ({split})"
            xs, ys = self._history.setdefault(key, ([], []))
            xs.append(epoch)
            ys.append(value)
            if key not in self.curves:
                self._make_curve(term, split)
            self.curves[key].setData(xs, ys)

    def _make_curve(self, term: str, split: str) -> None:
        colour = TERM_COLOURS.get(term, "#59a14f")
        style = Qt.PenStyle.SolidLine if split == "train" else Qt.PenStyle.DashLine
        self.curves[f"{term} ({split})"] = self.plot.plot(
            [], [], name=f"{term} ({split})", symbol="o", symbolSize=5, symbolBrush=colour,
            symbolPen=None, pen=pg.mkPen(colour, width=2, style=style))

    def finished(self, message: str) -> None:
        self.running = False
        self.form_widget.setEnabled(True)
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.status.setText(message)

    def closeEvent(self, ev):  # noqa: N802 - Qt naming
        if self.running:
            self.hide()  # training goes on; reopen with Model ▸ Train…
            ev.ignore()
            return
        super().closeEvent(ev)
