"""Retrieval panel: the k samples nearest (in latent space) to the clicked map point, the
hovered sample or your own image, as a gallery; clicking one selects it on the map. With
two shown models (the compare window) each searches its own latent space for the same
query, one gallery per model. The search is its `latent_atlas.explorer.session.panels.RetrievalModel`'s.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.retrieval import (
    METRICS,
    QUERIES,
    RetrievalModel,
    RetrievalResult,
)
from latent_atlas.explorer.session.workspace import ShownSessions

from .common import hint_label
from .gallery import GalleryPanel


class RetrievalPanel(GalleryPanel):
    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(RetrievalModel(shown, jobs), parent)
        m: RetrievalModel = self.model
        self.query = QComboBox()
        for key, title in QUERIES:
            self.query.addItem(title, key)
        self.k = QSpinBox()
        self.k.setRange(1, 200)
        self.k.setValue(m.k)
        self.k.setPrefix("k = ")
        self.metric_combo = QComboBox()
        for key, title in METRICS:
            self.metric_combo.addItem(title, key)
        self.hint = hint_label()

        row = QHBoxLayout()
        row.addWidget(QLabel("Nearest to"))
        row.addWidget(self.query, 1)
        row.addWidget(self.k)
        row.addWidget(self.metric_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.columns, 1)
        layout.addWidget(self.hint)

        self.query.currentIndexChanged.connect(lambda _i: m.set_query(self.query.currentData()))
        self.k.valueChanged.connect(m.set_k)
        self.metric_combo.currentIndexChanged.connect(
            lambda _i: m.set_metric(self.metric_combo.currentData()))
        self._update()

    @property
    def result(self) -> RetrievalResult:
        return self.model.result

    def _update(self) -> None:
        r = self.model.result
        galleries = self.columns.set_sessions([c.session for c in r.columns])
        for k, gallery in enumerate(galleries):
            col = r.columns[k] if k < len(r.columns) else None
            if col is None:
                gallery.clear()
                continue
            gallery.set_samples(col.thumbs, col.indices, col.captions)
            self.columns.set_note(k, col.note)
        self.hint.setText(r.hint)
