"""Anomaly ranking panel: reconstruct every sample in a background job, colour the map
by the reconstruction error and list the worst reconstructed samples, worst first;
clicking one selects it on the map. With two shown models (the compare window) each is
ranked in its own job and listed in its own column. The jobs, the kept errors and the
ranking are its `latent_atlas.explorer.session.panels.AnomalyModel`'s; the panel shows them.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.anomaly import METRICS, AnomalyModel
from latent_atlas.explorer.session.workspace import ShownSessions

from .common import hint_label, labelled_row
from .gallery import GalleryPanel

RANK_TEXT = "Colour the map by reconstruction error"


class AnomalyPanel(GalleryPanel):
    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(AnomalyModel(shown, jobs), parent)
        m: AnomalyModel = self.model
        self.metric_combo = QComboBox()
        for key, title in METRICS:
            self.metric_combo.addItem(title, key)
        self.worst = QSpinBox()
        self.worst.setRange(1, 500)
        self.worst.setValue(m.worst)
        self.worst.setPrefix("worst ")
        self.rank_button = QPushButton(RANK_TEXT)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.hint = hint_label()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(labelled_row("Error", self.metric_combo, self.worst))
        layout.addWidget(self.rank_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.columns, 1)
        layout.addWidget(self.hint)

        self.rank_button.clicked.connect(m.run_or_cancel)
        self.worst.valueChanged.connect(m.set_worst)
        self.metric_combo.currentIndexChanged.connect(
            lambda _i: m.set_metric(self.metric_combo.currentData()))
        self._update()

    def running(self) -> bool:
        return self.model.running()

    @property
    def ranking(self):
        return self.model.ranking

    def _update(self) -> None:
        m: AnomalyModel = self.model
        busy = m.running()
        self.progress.setVisible(busy)
        self.progress.setValue(int(1000 * m.group.fraction()))
        self.rank_button.setText("Cancel" if busy else RANK_TEXT)
        self.rank_button.setEnabled(m.ready or busy)
        galleries = self.columns.set_sessions([c.session for c in m.columns])
        for k, gallery in enumerate(galleries):
            col = m.columns[k] if k < len(m.columns) else None
            if col is None:
                gallery.clear()
            else:
                gallery.set_samples(col.thumbs, col.indices, col.captions)
        self.hint.setText(m.hint)
