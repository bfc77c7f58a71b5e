"""Anomaly ranking panel: reconstruct every sample in a background job, colour the map
by the reconstruction error (the state's "recon_error" colouring) and list the worst
reconstructed samples, worst first; clicking one selects it on the map.

The errors are `explorer.core.analysis.applications.reconstruction_error_iter`, the ranking
`rank_anomalies`; the panel only starts the job and shows what comes back.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.applications import (
    ApplicationError,
    rank_anomalies,
    reconstruction_error_iter,
)

from ..state import AtlasState, ModelEntry
from ..workers import JobManager
from .common import Gallery, PanelBase, hint_label, model_ready, select_sample

METRICS = (("mse", "mean squared error"), ("bce", "binary cross-entropy"))


class AnomalyPanel(PanelBase):
    def __init__(self, state: AtlasState, jobs: JobManager | None = None,
                 parent: QWidget | None = None):
        super().__init__(state, jobs, parent)
        self.metric_combo = QComboBox()
        for key, title in METRICS:
            self.metric_combo.addItem(title, key)
        self.worst = QSpinBox()
        self.worst.setRange(1, 500)
        self.worst.setValue(24)
        self.worst.setPrefix("worst ")
        self.rank_button = QPushButton("Colour the map by reconstruction error")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.gallery = Gallery()
        self.hint = hint_label()
        self.ranking = None  # the core AnomalyRanking shown (tests read it)

        row = QHBoxLayout()
        row.addWidget(QLabel("Error"))
        row.addWidget(self.metric_combo, 1)
        row.addWidget(self.worst)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.rank_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.gallery, 1)
        layout.addWidget(self.hint)

        # (entry, its images, metric) -> per-sample errors; errors are kept per model so
        # switching models back and forth does not reconstruct the data again.
        self._errors: dict[int, tuple[ModelEntry, object, str, np.ndarray]] = {}
        self._job = None
        self.rank_button.clicked.connect(self._on_button)
        self.worst.valueChanged.connect(self.schedule)
        self.metric_combo.currentIndexChanged.connect(self.schedule)
        self.gallery.sampleClicked.connect(lambda i: select_sample(self.state, i))
        for sig in (state.activeChanged, state.dataChanged, state.decoderChanged):
            sig.connect(self.schedule)

    # ---- the job ----------------------------------------------------------------------
    def running(self) -> bool:
        return self._job is not None and self._job.is_running()

    def _on_button(self) -> None:
        if self.running():
            self._job.cancel()
        else:
            self.rank()

    def errors_for(self, e: ModelEntry) -> np.ndarray | None:
        cached = self._errors.get(id(e))
        if cached is not None and cached[0] is e and cached[1] is e.images \
                and cached[2] == self.metric_combo.currentData():
            return cached[3]
        return None

    def rank(self) -> None:
        """Reconstruct the active model's data in the background, then colour and list."""
        e = self.state.active
        if not model_ready(e) or not e.data_matches_map():
            self.hint.setText("Wait until the model and its data have loaded.")
            return
        metric = self.metric_combo.currentData()
        if self.errors_for(e) is not None:
            self._apply(e)
            return
        model, images = e.model, e.images
        labels = e.labels if e.labels is not None and len(e.labels) == len(images) else None
        job = self.jobs.start("anomaly", lambda cancel: reconstruction_error_iter(
            model, images, labels=labels, metric=metric, cancel=cancel))
        job.progress.connect(lambda ev: self.progress.setValue(int(1000 * ev.fraction)))
        job.succeeded.connect(lambda errors: self._on_done(e, images, metric, errors))
        job.failed.connect(self._on_failed)
        job.cancelled.connect(lambda: self.hint.setText("Ranking cancelled."))
        job.finished.connect(self._on_finished)
        self._job = job
        self.progress.setValue(0)
        self.progress.show()
        self.rank_button.setText("Cancel")
        self.hint.setText(f"Reconstructing {len(images)} samples…")
        job.start()

    def _on_done(self, e: ModelEntry, images, metric: str, errors: np.ndarray) -> None:
        self._errors[id(e)] = (e, images, metric, np.asarray(errors))
        if e is self.state.active and metric == self.metric_combo.currentData():
            self._apply(e)

    def _on_failed(self, msg: str) -> None:
        self.hint.setText(f"The ranking failed: {msg}")

    def _on_finished(self) -> None:
        self.progress.hide()
        self.rank_button.setText("Colour the map by reconstruction error")

    def _apply(self, e: ModelEntry) -> None:
        """Colour the map by the errors and show the gallery."""
        errors = self.errors_for(e)
        s = self.state
        # The key first: set_data then tells every listener (the colour combo too) at once.
        s.set_colour_key("recon_error")
        s.set_data(e, e.images, e.labels, e.label_names, e.factors, e.reconstructions, errors)
        self.schedule()
        self.flush()

    # ---- showing ------------------------------------------------------------------------
    def refresh(self) -> None:
        e = self.state.active
        ready = model_ready(e) and e.data_matches_map()
        self.rank_button.setEnabled(ready or self.running())
        errors = self.errors_for(e) if e is not None else None
        if errors is None:
            self.ranking = None
            self.gallery.clear()
            if not self.running():
                self.hint.setText("Rank the samples by how badly the model reconstructs them: "
                                  "the worst are the least typical (or out-of-distribution)."
                                  if ready else "Waiting for the model and its data to load…")
            return
        try:
            ranking = rank_anomalies(errors, top=self.worst.value())
        except ApplicationError as exc:
            self.hint.setText(str(exc))
            return
        self.ranking = ranking
        captions = []
        for i in ranking.top:
            lab = ""
            if e.labels is not None and i < len(e.labels):
                k = int(e.labels[i])
                lab = f" · {e.label_names[k] if 0 <= k < len(e.label_names) else k}"
            captions.append(f"#{i}{lab}\n{ranking.errors[i]:.4f}")
        self.gallery.set_samples(e.images, ranking.top, captions)
        self.hint.setText(f"The {len(ranking.top)} worst of {len(errors)} samples, worst first "
                          f"(median error {np.median(errors):.4f}). Click one to find it on "
                          "the map.")
