"""The β sweep dialog (Model ▸ β sweep…): asks the data, the βs, the architecture, the
latent size and the epochs (and seeds, for the β × seed sweep); its
`latent_atlas.explorer.session.panels.sweep.SweepModel` runs the sweep as a job with progress
and Cancel; the dialog draws what the model says: the rate–distortion curve and the gap
measures against reconstruction error, with the table under them, or with seeds the β × seed
plot, table and verdicts of `latent-atlas sweep --seeds`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.session.errors import readable_error
from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.sweep import SweepFigure, SweepModel
from latent_atlas.explorer.session.panels.train_form import ARCHS
from latent_atlas.explorer.session.sweep import SweepRequest

from .forms import form_of, spin
from .image_box import BACKGROUND
from .job_controls import job_controls
from .train_dialog import DATA_PRESETS

COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948",
           "#9c755f")
SYMBOLS = ("o", "s", "t", "d", "t1", "p", "star", "h")


class _FittedImage(QLabel):
    """A picture scaled to fit the label, aspect kept, rescaled when the label resizes."""

    def __init__(self) -> None:
        super().__init__()
        self._pixmap = QPixmap()
        self.setAlignment(pg.QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def set_png(self, data: bytes) -> None:
        self._pixmap = QPixmap()
        self._pixmap.loadFromData(data, "PNG")
        self._fit()

    def has_picture(self) -> bool:
        return not self._pixmap.isNull()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if not self._pixmap.isNull() and self.width() > 1 and self.height() > 1:
            self.setPixmap(self._pixmap.scaled(
                self.size(), pg.QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                pg.QtCore.Qt.TransformationMode.SmoothTransformation))


class SweepDialog(QDialog):
    """Non-modal: the map stays usable while the sweep trains."""

    def __init__(self, jobs: Jobs, defaults: SweepRequest | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("β sweep: reconstruction against gaps")
        self.model = SweepModel(jobs, defaults)
        d = self.model.defaults

        self.data_spec = QComboBox()
        self.data_spec.setEditable(True)
        self.data_spec.addItems(DATA_PRESETS)
        self.data_spec.setCurrentText(d.data_spec)
        self.betas = QLineEdit(", ".join(f"{b:g}" for b in d.betas))
        self.betas.setToolTip("KL weights, comma-separated; 0 trains the plain autoencoder")
        self.arch = QComboBox()
        for key, title in ARCHS:
            self.arch.addItem(title, key)
        self.arch.setCurrentIndex(self.arch.findData(d.arch))
        self.latent = spin(1, 512, d.latent_dim)
        self.epochs = spin(1, 10_000, d.epochs)
        self.seed = spin(0, 2**31 - 1, d.seed)
        self.seeds = QLineEdit(", ".join(map(str, d.seeds)))
        self.seeds.setPlaceholderText("e.g. 0, 1, 2")
        self.seeds.setToolTip("Train every β with each of these seeds and measure "
                              "disentanglement (MIG, DCI, SAP, FactorVAE) against the seed "
                              "spread, as `latent-atlas sweep --seeds`; needs data with "
                              "factors, such as shapes. Empty: one seed, the gap sweep")
        self.samples = spin(100, 100_000, d.n_prior)
        form = form_of([
            ("Data", self.data_spec), ("β values", self.betas), ("Architecture", self.arch),
            ("Latent size", self.latent), ("Epochs", self.epochs), ("Seed", self.seed),
            ("Seeds (β × seed)", self.seeds), ("Samples per sampler", self.samples)])
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
        self.seed_plot = _FittedImage()  # the β × seed sweep: the command's PNG
        self.seed_plot.setMinimumSize(480, 260)
        self.seed_plot.hide()
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.footer = QLabel("")
        self.footer.setWordWrap(True)
        self.footer.setStyleSheet("color: gray")

        self.progress, self.status, controls, buttons = job_controls(
            self.model.status, "Run", "Cancel", "Save plot…", "Close", disabled=(1, 2))
        self.run_button, self.cancel_button, self.save_button, self.close_button = controls

        form_box = QWidget()
        form_box.setLayout(form)
        plots = QSplitter()
        plots.addWidget(self.rate_plot)
        plots.addWidget(self.gap_plot)
        plots.addWidget(self.seed_plot)
        plots.setSizes([400, 560, 0])
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
        self._drawn: SweepFigure | None = None
        self.model.changed.connect(self._update)

    # ---- input -------------------------------------------------------------------------
    def request(self) -> SweepRequest:
        """The dialog's choices; ValueError with a readable message when one is wrong."""
        return SweepRequest(
            data_spec=self.data_spec.currentText().strip(),
            betas=SweepRequest.parse_betas(self.betas.text()), arch=self.arch.currentData(),
            latent_dim=self.latent.value(), epochs=self.epochs.value(),
            seed=self.seed.value(), n_prior=self.samples.value(), device=self.device,
            seeds=SweepRequest.parse_seeds(self.seeds.text()))

    @property
    def running(self) -> bool:
        return self.model.running

    @property
    def result(self) -> Any:
        return self.model.result

    def run(self) -> None:
        self.model.run(self.request)

    def cancel(self) -> None:
        self.model.cancel()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if self.running:
            self.cancel()
        super().closeEvent(event)

    # ---- model -> widgets ----------------------------------------------------------------
    def _update(self) -> None:
        m = self.model
        self.status.setText(m.status)
        self.progress.setValue(int(round(1000 * m.fraction)))
        self.run_button.setEnabled(not m.running)
        self.cancel_button.setEnabled(m.running)
        self.save_button.setEnabled(m.result is not None)
        fig = m.figure
        if fig is None or fig is self._drawn:
            return
        self._drawn = fig
        self.rate_plot.setVisible(not fig.png)
        self.gap_plot.setVisible(not fig.png)
        self.seed_plot.setVisible(bool(fig.png))
        if fig.png:
            self.seed_plot.set_png(fig.png)
        else:
            self._draw_rate(fig)
            self._draw_gaps(fig)
        self.table.clear()
        self.table.setColumnCount(len(fig.header))
        self.table.setRowCount(len(fig.rows))
        self.table.setHorizontalHeaderLabels(fig.header)
        for r, row in enumerate(fig.rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.footer.setText(fig.footer)

    def _draw_rate(self, fig: SweepFigure) -> None:
        p = self.rate_plot
        p.clear()
        if fig.rate:
            _labels, x, y = (list(v) for v in zip(*fig.rate, strict=True))
            p.plot(np.array(x), np.array(y), pen=pg.mkPen(COLOURS[0], width=1.5), symbol="o",
                   symbolSize=9, symbolBrush=COLOURS[0], symbolPen="w")
            for label_text, xi, yi in fig.rate:
                label = pg.TextItem(label_text, color="w", anchor=(-0.1, 1.0))
                label.setPos(xi, yi)
                p.addItem(label)
        for text, x in fig.no_rate:
            p.addItem(pg.InfiniteLine(x, angle=90,
                                      pen=pg.mkPen("#9aa0a6", style=pg.QtCore.Qt.PenStyle.DashLine),
                                      label=text, labelOpts={"position": 0.5, "color": "#9aa0a6"}))

    def _draw_gaps(self, fig: SweepFigure) -> None:
        p = self.gap_plot
        p.clear()
        self.legend.clear()
        for i, s in enumerate(fig.gaps):
            colour = COLOURS[i % len(COLOURS)]
            x = np.array(s.x, dtype=float)
            y = 100 * np.array(s.y, dtype=float)
            low, high = 100 * np.array(s.low), 100 * np.array(s.high)
            p.addItem(pg.ErrorBarItem(x=x, y=y, top=high - y, bottom=y - low, beam=0.0,
                                      pen=pg.mkPen(colour, width=1.2)))
            p.plot(x, y, pen=pg.mkPen(colour, width=1.2), symbol=SYMBOLS[i % len(SYMBOLS)],
                   symbolSize=8, symbolBrush=colour, symbolPen="w", name=s.label)
        # Every measure of one model shares its x: one β label over each column.
        for text, x, top in fig.columns:
            label = pg.TextItem(text, color="w", anchor=(0.5, 1.1))
            label.setPos(x, 100 * top)
            p.addItem(label)

    # ---- saving ------------------------------------------------------------------------
    def save_plot(self, path: str) -> None:
        """Write the sweep's figure (the same PNG as `latent-atlas sweep --out`)."""
        self.model.save_plot(path)

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
