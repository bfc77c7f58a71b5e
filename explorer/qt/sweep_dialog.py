"""The β sweep dialog (Model ▸ β sweep…): asks the data, the βs, the architecture, the
latent size and the epochs, runs `explorer.session.sweep.sweep_task` as a job with
progress and Cancel, then draws the rate–distortion curve and the gap measures against
reconstruction error, with the table under them.

Every number and every series comes from `explorer.core.analysis.sweep`; the dialog
only collects a `SweepRequest` and draws what comes back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.sweep import (
    beta_columns,
    beta_name,
    dodge_offsets,
    gap_series,
    rate_points,
    sweep_footer,
    sweep_table,
)
from explorer.session.errors import readable_error
from explorer.session.jobs import Job, Jobs
from explorer.session.sweep import SweepRequest, sweep_task

from .image_box import BACKGROUND
from .train_dialog import DATA_PRESETS

COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948",
           "#9c755f")
SYMBOLS = ("o", "s", "t", "d", "t1", "p", "star", "h")


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class SweepDialog(QDialog):
    """Non-modal: the map stays usable while the sweep trains."""

    def __init__(self, jobs: Jobs, defaults: SweepRequest | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("β sweep: reconstruction against gaps")
        self.jobs = jobs
        self.job: Job | None = None
        self.result: Any = None
        d = defaults or SweepRequest()

        self.data_spec = QComboBox()
        self.data_spec.setEditable(True)
        self.data_spec.addItems(DATA_PRESETS)
        self.data_spec.setCurrentText(d.data_spec)
        self.betas = QLineEdit(", ".join(f"{b:g}" for b in d.betas))
        self.betas.setToolTip("KL weights, comma-separated; 0 trains the plain autoencoder")
        self.arch = QComboBox()
        self.arch.addItem("convolutional", "conv")
        self.arch.addItem("fully connected (MLP)", "mlp")
        self.arch.setCurrentIndex(self.arch.findData(d.arch))
        self.latent = _spin(1, 512, d.latent_dim)
        self.epochs = _spin(1, 10_000, d.epochs)
        self.seed = _spin(0, 2**31 - 1, d.seed)
        self.samples = _spin(100, 100_000, d.n_prior)
        form = QFormLayout()
        form.addRow("Data", self.data_spec)
        form.addRow("β values", self.betas)
        form.addRow("Architecture", self.arch)
        form.addRow("Latent size", self.latent)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        form.addRow("Samples per sampler", self.samples)
        self.device = d.device

        self.rate_plot = pg.PlotWidget(background=BACKGROUND)
        self.rate_plot.setTitle("rate–distortion")
        self.rate_plot.setLabel("bottom", "held-out reconstruction MSE")
        self.rate_plot.setLabel("left", "held-out KL (nats per image)")
        self.gap_plot = pg.PlotWidget(background=BACKGROUND)
        self.gap_plot.setTitle("gaps against reconstruction (pixel judge, 95 % interval)")
        self.gap_plot.setLabel("bottom", "held-out reconstruction MSE")
        self.gap_plot.setLabel("left", "gap fraction (%)")
        self.legend = self.gap_plot.addLegend(offset=(-8, 8), labelTextColor="w")
        for p in (self.rate_plot, self.gap_plot):
            p.showGrid(x=True, y=True, alpha=0.25)
            p.getViewBox().setDefaultPadding(0.12)  # room for the β labels at the edges
            p.setMinimumSize(320, 240)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.footer = QLabel("")
        self.footer.setWordWrap(True)
        self.footer.setStyleSheet("color: gray")

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("Choose the βs and press Run. Each β trains one model with "
                             "the same seed; β = 0 is the plain autoencoder.")
        self.status.setWordWrap(True)
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.save_button = QPushButton("Save plot…")
        self.save_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.run_button, self.cancel_button, self.save_button, self.close_button):
            buttons.addWidget(b)

        form_box = QWidget()
        form_box.setLayout(form)
        plots = QSplitter()
        plots.addWidget(self.rate_plot)
        plots.addWidget(self.gap_plot)
        plots.setSizes([400, 560])
        top = QHBoxLayout()
        top.addWidget(form_box)
        top.addWidget(plots, 1)
        results = QWidget()
        rl = QVBoxLayout(results)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.table)
        rl.addWidget(self.footer)
        top_box = QWidget()
        top_box.setLayout(top)
        split = QSplitter()
        split.setOrientation(pg.QtCore.Qt.Orientation.Vertical)
        split.addWidget(top_box)
        split.addWidget(results)
        split.setSizes([420, 220])
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(1200, 760)

        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self._ask_save)
        self.close_button.clicked.connect(self.close)

    # ---- input -------------------------------------------------------------------------
    def request(self) -> SweepRequest:
        """The dialog's choices; ValueError with a readable message when one is wrong."""
        return SweepRequest(
            data_spec=self.data_spec.currentText().strip(),
            betas=SweepRequest.parse_betas(self.betas.text()), arch=self.arch.currentData(),
            latent_dim=self.latent.value(), epochs=self.epochs.value(),
            seed=self.seed.value(), n_prior=self.samples.value(), device=self.device)

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.settled

    def run(self) -> None:
        if self.running:
            return
        try:
            req = self.request()
        except ValueError as exc:
            self.status.setText(f"Cannot run: {readable_error(exc)}")
            return
        job = self.jobs.start("sweep", lambda cancel: sweep_task(req, cancel))
        self.job = job
        job.progress.connect(self.show_progress)
        job.succeeded.connect(self.show_result)
        job.failed.connect(lambda msg: self._finished(f"The sweep failed: {msg}"))
        job.cancelled.connect(lambda: self._finished("Sweep cancelled; nothing was measured."))
        self.progress.setValue(0)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Training {len(req.betas)} models on {req.data_spec}…")
        job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling at the next batch…")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.cancel()
        super().closeEvent(event)

    # ---- job -> widgets ----------------------------------------------------------------
    def show_progress(self, event: Any) -> None:
        if event.fraction is not None:
            self.progress.setValue(int(round(1000 * event.fraction)))
        if event.message:
            self.status.setText(event.message)

    def _finished(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.status.setText(message)

    def show_result(self, result: Any) -> None:
        self.result = result
        self._draw_rate(result)
        self._draw_gaps(result)
        header, rows = sweep_table(result)
        self.table.clear()
        self.table.setColumnCount(len(header))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(header)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.footer.setText("\n".join(sweep_footer(result)))
        self.progress.setValue(1000)
        self.save_button.setEnabled(True)
        self._finished(result.message)

    def _draw_rate(self, result: Any) -> None:
        p = self.rate_plot
        p.clear()
        pts = rate_points(result)
        if pts:
            betas, x, y = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
            p.plot(x, y, pen=pg.mkPen(COLOURS[0], width=1.5), symbol="o", symbolSize=9,
                   symbolBrush=COLOURS[0], symbolPen="w")
            for b, xi, yi in pts:
                label = pg.TextItem(beta_name(b), color="w", anchor=(-0.1, 1.0))
                label.setPos(xi, yi)
                p.addItem(label)
        for point in result.points:
            if point.kl is None:
                line = pg.InfiniteLine(point.recon_mse, angle=90,
                                       pen=pg.mkPen("#9aa0a6", style=pg.QtCore.Qt.PenStyle.DashLine),
                                       label=f"{beta_name(point.beta)}: no rate",
                                       labelOpts={"position": 0.5, "color": "#9aa0a6"})
                p.addItem(line)

    def _draw_gaps(self, result: Any) -> None:
        p = self.gap_plot
        p.clear()
        self.legend.clear()
        series = gap_series(result)
        offsets = dodge_offsets(result, len(series))
        for i, s in enumerate(series):
            colour = COLOURS[i % len(COLOURS)]
            x = np.array(s.x, dtype=float) + offsets[i]
            y = 100 * np.array(s.y, dtype=float)
            low, high = 100 * np.array(s.low), 100 * np.array(s.high)
            p.addItem(pg.ErrorBarItem(x=x, y=y, top=high - y, bottom=y - low, beam=0.0,
                                      pen=pg.mkPen(colour, width=1.2)))
            p.plot(x, y, pen=pg.mkPen(colour, width=1.2), symbol=SYMBOLS[i % len(SYMBOLS)],
                   symbolSize=8, symbolBrush=colour, symbolPen="w", name=s.label)
        # Every measure of one model shares its x: one β label over each column.
        for column in beta_columns(result):
            label = pg.TextItem(column.label, color="w", anchor=(0.5, 1.1))
            label.setPos(column.x, 100 * column.top)
            p.addItem(label)

    # ---- saving ------------------------------------------------------------------------
    def save_plot(self, path: str) -> None:
        """Write the sweep's figure (the same PNG as `latent-atlas sweep --out`)."""
        from explorer.core.analysis.sweep_plot import save_sweep_plot

        save_sweep_plot(self.result, path)

    def _ask_save(self) -> None:
        if self.result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the sweep plot", "sweep.png",
                                              "PNG image (*.png)")
        if not path:
            return
        try:
            self.save_plot(path if path.lower().endswith(".png") else path + ".png")
            self.status.setText(f"Saved {path}")
        except Exception as exc:
            self.status.setText(f"Cannot save: {readable_error(exc)}")
