"""Two panels on what a code is worth: as a compressed image (the AE against JPEG at the
same number of bytes) and as features for a classifier (the linear / k-NN probe).

Both measure in a background job per shown model, run by their models
(`latent_atlas.explorer.session.panels.CompressModel`, `ProbeModel`), and only show what comes back:
the compression panel a rate-distortion chart (bits per image against PSNR, log scale)
and a row of examples (original, the AE at b bits, JPEG at the same size); the probe
panel a small table of held-out accuracies, codes against raw pixels.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.compress import CompressModel
from latent_atlas.explorer.session.panels.measure import MeasureModel
from latent_atlas.explorer.session.panels.probe import ProbeModel
from latent_atlas.explorer.session.workspace import ShownSessions

from .common import PanelBase, hint_label, labelled_row, to_pixmap

EXAMPLE_PX = 56


class _JobPanel(PanelBase):
    """A panel whose one button starts one job per shown model (and cancels them)."""

    START_TEXT = "Run"

    def __init__(self, model: MeasureModel, parent: QWidget | None = None):
        super().__init__(model, parent)
        self.run_button = QPushButton(self.START_TEXT)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.hint = hint_label()
        self.run_button.clicked.connect(model.run_or_cancel)

    def running(self) -> bool:
        return self.model.running()

    def _update_job(self) -> None:
        m: MeasureModel = self.model
        busy = m.running()
        self.progress.setVisible(busy)
        self.progress.setValue(int(1000 * m.group.fraction()))
        self.run_button.setText("Cancel" if busy else self.START_TEXT)
        self.hint.setText(m.hint)


# ---- compression ----------------------------------------------------------------------------
class CompressPanel(_JobPanel):
    START_TEXT = "Compare with JPEG"

    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(CompressModel(shown, jobs), parent)
        m: CompressModel = self.model
        self.bits_edit = QLineEdit(m.bits_text)
        self.bits_edit.setToolTip("Bits per latent dimension, comma-separated: each image "
                                  "then costs latent_dim x b bits")
        self.images_spin = QSpinBox()
        self.images_spin.setRange(0, 100_000)
        self.images_spin.setValue(m.max_images)
        self.images_spin.setSpecialValueText("all")
        self.images_spin.setPrefix("images ")
        self.images_spin.setToolTip("Held-out images to measure (0: all of them)")
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(220)
        # log2 of the bits on a linear axis, ticked at powers of two: pyqtgraph's own log
        # axis crowds its minor labels in a narrow dock.
        self.plot.setLabel("bottom", "bits per image (log scale)")
        self.plot.setLabel("left", "PSNR (dB)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.legend = self.plot.addLegend(offset=(8, 8))
        self.example_bits = QComboBox()
        self.example_bits.setToolTip("Which number of bits the example row shows")
        self.examples = QGridLayout()
        self.examples.setSpacing(4)
        self.example_labels: list[QLabel] = []
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(labelled_row("Bits", self.bits_edit, self.images_spin))
        layout.addWidget(self.run_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        layout.addLayout(labelled_row("Examples at", self.example_bits))
        layout.addLayout(self.examples)
        layout.addWidget(self.hint)

        self.bits_edit.textChanged.connect(m.set_bits_text)
        self.images_spin.valueChanged.connect(m.set_max_images)
        self.example_bits.currentIndexChanged.connect(
            lambda _i: m.set_example_bits(self.example_bits.currentData()))
        self._update()

    @property
    def curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return self.model.curves

    def _update(self) -> None:
        self._update_job()
        v = self.model.view
        self.plot.clear()
        self.legend.clear()
        for c in v.curves:
            pen = pg.mkPen(c.colour, width=2,
                           style=Qt.PenStyle.DashLine if c.dashed else Qt.PenStyle.SolidLine)
            self.plot.plot(np.log2(c.bits), c.psnr, pen=pen, symbol=c.symbol, symbolSize=7,
                           symbolBrush=c.colour, symbolPen=None, name=c.name)
        if v.curves:
            self._set_bit_ticks(np.concatenate([c.bits for c in v.curves]))
        self.summary.setText(v.summary)
        self.example_bits.blockSignals(True)
        have = [self.example_bits.itemData(i) for i in range(self.example_bits.count())]
        if have != v.bit_choices:
            self.example_bits.clear()
            for b in v.bit_choices:
                self.example_bits.addItem(f"{b} bits per dimension", b)
        self.example_bits.setCurrentIndex(self.example_bits.findData(v.example_bits))
        self.example_bits.blockSignals(False)
        self._set_examples(v.examples)

    def _set_bit_ticks(self, every: np.ndarray) -> None:
        lo, hi = int(np.floor(np.log2(every.min()))), int(np.ceil(np.log2(every.max())))
        step = max(1, (hi - lo + 1) // 7)
        ticks = [(float(k), f"{2 ** k:,}") for k in range(lo, hi + 1, step)]
        self.plot.getAxis("bottom").setTicks([ticks, []])

    def _set_examples(self, columns: list[tuple[str, np.ndarray]]) -> None:
        for label in self.example_labels:
            self.examples.removeWidget(label)
            label.deleteLater()
        self.example_labels = []
        for k, (title, images) in enumerate(columns):
            head = QLabel(title)
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.examples.addWidget(head, 0, k)
            self.example_labels.append(head)
            for i, img in enumerate(images):
                label = QLabel()
                label.setPixmap(to_pixmap(img, max(1, EXAMPLE_PX // max(img.shape[:2]))))
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.examples.addWidget(label, i + 1, k)
                self.example_labels.append(label)


# ---- probe ------------------------------------------------------------------------------------
class ProbePanel(_JobPanel):
    START_TEXT = "Train the probes"

    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(ProbeModel(shown, jobs), parent)
        m: ProbeModel = self.model
        self.fractions_edit = QLineEdit(m.fractions_text)
        self.fractions_edit.setToolTip("Fractions of the training split whose labels the "
                                       "classifiers may see")
        self.table = QTableWidget()
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(labelled_row("Labelled", self.fractions_edit))
        layout.addWidget(self.run_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)

        self.fractions_edit.textChanged.connect(m.set_fractions_text)
        self._update()

    def rows(self) -> tuple[list[str], list[list[str]]]:
        """The table's header and cells (the model's)."""
        return self.model.head, self.model.body

    def _update(self) -> None:
        self._update_job()
        head, body = self.rows()
        self.table.clear()
        self.table.setColumnCount(len(head))
        self.table.setRowCount(len(body))
        self.table.setHorizontalHeaderLabels(head)
        for i, cells in enumerate(body):
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(i, j, item)
