"""Retrieval panel: the k samples nearest (in latent space) to the clicked map point, the
hovered sample or your own image, as a gallery; clicking one selects it on the map.

The search is `explorer.core.analysis.applications.nearest_codes` / `retrieve_sample` over the
map's codes: a brute-force pass that takes a few milliseconds even for 60,000 codes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from explorer.core.analysis.applications import ApplicationError, nearest_codes, retrieve_sample

from ..state import AtlasState
from ..workers import JobManager
from .common import Gallery, PanelBase, hint_label, select_sample

QUERIES = (("clicked", "clicked point"), ("hovered", "hovered sample"), ("own", "your image"))


class RetrievalPanel(PanelBase):
    def __init__(self, state: AtlasState, jobs: JobManager | None = None,
                 parent: QWidget | None = None):
        super().__init__(state, jobs, parent)
        self.query = QComboBox()
        for key, title in QUERIES:
            self.query.addItem(title, key)
        self.k = QSpinBox()
        self.k.setRange(1, 200)
        self.k.setValue(12)
        self.k.setPrefix("k = ")
        self.metric_combo = QComboBox()
        self.metric_combo.addItem("Euclidean", "euclidean")
        self.metric_combo.addItem("cosine", "cosine")
        self.gallery = Gallery()
        self.hint = hint_label()
        self.neighbours = None  # the core Neighbours shown (tests read it)

        row = QHBoxLayout()
        row.addWidget(QLabel("Nearest to"))
        row.addWidget(self.query, 1)
        row.addWidget(self.k)
        row.addWidget(self.metric_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.gallery, 1)
        layout.addWidget(self.hint)

        self._hover_index: int | None = None
        self.query.currentIndexChanged.connect(self.schedule)
        self.k.valueChanged.connect(self.schedule)
        self.metric_combo.currentIndexChanged.connect(self.schedule)
        self.gallery.sampleClicked.connect(lambda i: select_sample(self.state, i))
        state.cursorChanged.connect(lambda: self._on_source("clicked"))
        state.placedChanged.connect(lambda: self._on_source("own"))
        state.hoverChanged.connect(self._on_hover)
        for sig in (state.activeChanged, state.dataChanged, state.mapChanged):
            sig.connect(self.schedule)

    def _on_source(self, key: str) -> None:
        if self.query.currentData() == key:
            self.schedule()

    def _on_hover(self) -> None:
        # Leaving the map clears the hover; keep the last sample's neighbours then.
        if self.state.hover_index is not None:
            self._hover_index = self.state.hover_index
            self._on_source("hovered")

    def refresh(self) -> None:
        e = self.state.active
        if e is None or e.latent_map is None:
            return self._show_nothing("Open a model to search its latent space.")
        codes = e.latent_map.codes
        k, metric, key = self.k.value(), self.metric_combo.currentData(), self.query.currentData()
        try:
            if key == "clicked":
                if self.state.cursor_z is None:
                    return self._show_nothing("Click on the map to find the samples nearest "
                                              "to that point.")
                hits = nearest_codes(codes, self.state.cursor_z, k, metric=metric)
                x, y = (float(v) for v in self.state.cursor_xy)
                what = f"the point ({x:.2f}, {y:.2f})"
            elif key == "hovered":
                i = self._hover_index
                if i is None or not 0 <= i < e.n_points:
                    return self._show_nothing("Hover over a sample on the map.")
                hits = retrieve_sample(codes, i, k, metric=metric)
                what = f"sample #{i}"
            else:
                if e.placed is None:
                    return self._show_nothing("Open your own picture with File ▸ Open image… "
                                              "(or drop it on the map).")
                hits = nearest_codes(codes, e.placed.z, k, metric=metric)
                what = f"your image {e.placed.name}"
        except ApplicationError as exc:
            return self._show_nothing(str(exc))
        self.neighbours = hits
        if not e.data_matches_map():
            self.gallery.clear()
            self.hint.setText(f"Nearest to {what}: samples {', '.join(map(str, hits.indices))} "
                              "(thumbnails appear once the data has loaded).")
            return
        captions = []
        for i, d in zip(hits.indices, hits.distances, strict=True):
            lab = ""
            if e.labels is not None and i < len(e.labels):
                c = int(e.labels[i])
                lab = f" · {e.label_names[c] if 0 <= c < len(e.label_names) else c}"
            captions.append(f"#{i}{lab}\nd {d:.3f}")
        self.gallery.set_samples(e.images, hits.indices, captions)
        self.hint.setText(f"The {len(hits)} samples nearest to {what} in latent space "
                          f"({metric} distance d), nearest first. Click one to select it.")

    def _show_nothing(self, text: str) -> None:
        self.neighbours = None
        self.gallery.clear()
        self.hint.setText(text)
