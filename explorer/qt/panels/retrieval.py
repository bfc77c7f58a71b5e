"""Retrieval panel: the k samples nearest (in latent space) to the clicked map point, the
hovered sample or your own image, as a gallery; clicking one selects it on the map. With
two shown models (the compare window) each searches its own latent space for the same
query, one gallery per model.

The search is `explorer.core.analysis.applications.nearest_codes` / `retrieve_sample` over the
map's codes: a brute-force pass that takes a few milliseconds even for 60,000 codes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from explorer.core.analysis.applications import ApplicationError, nearest_codes, retrieve_sample
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

from .common import hint_label, shared_reason
from .gallery import GalleryPanel

QUERIES = (("clicked", "clicked point"), ("hovered", "hovered sample"), ("own", "your image"))


class RetrievalPanel(GalleryPanel):
    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
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
        self.hint = hint_label()
        self.all_neighbours: list = []  # the core Neighbours of each shown model (or None)
        self.neighbours = None  # the first model's (tests read it)

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

        self.query.currentIndexChanged.connect(self.schedule)
        self.k.valueChanged.connect(self.schedule)
        self.metric_combo.currentIndexChanged.connect(self.schedule)
        self.follow([("cursor_changed", self._on_cursor), ("placed_changed", self._on_placed),
                     ("hover_changed", self._on_hover), ("data_changed", self.schedule),
                     ("map_changed", self.schedule)])

    def _on_source(self, key: str) -> None:
        if self.query.currentData() == key:
            self.schedule()

    def _on_cursor(self) -> None:
        self._on_source("clicked")

    def _on_placed(self) -> None:
        self._on_source("own")

    def _on_hover(self) -> None:
        if self.remember_hover():
            self._on_source("hovered")

    def _search(self, s: Session):
        """(Neighbours, what they are near) in one model's latent space, or (None, why not)."""
        codes = s.latent_map.codes
        k, metric, key = self.k.value(), self.metric_combo.currentData(), self.query.currentData()
        try:
            if key == "clicked":
                if s.cursor_z is None:
                    return None, "Click on the map to find the samples nearest to that point."
                x, y = (float(v) for v in s.cursor_xy)
                return (nearest_codes(codes, s.cursor_z, k, metric=metric),
                        f"the point ({x:.2f}, {y:.2f})")
            if key == "hovered":
                i = self.hover_index
                if i is None or not 0 <= i < s.n_points:
                    return None, "Hover over a sample on the map."
                return retrieve_sample(codes, i, k, metric=metric), f"sample #{i}"
            if s.placed is None:
                return None, ("Open your own picture with File ▸ Open image… (or drop it on "
                              "the map).")
            return nearest_codes(codes, s.placed.z, k, metric=metric), f"your image {s.placed.name}"
        except ApplicationError as exc:
            return None, str(exc)

    def refresh(self) -> None:
        sessions = [s for s in self.sessions if s.latent_map is not None]
        galleries = self.columns.set_sessions(sessions)
        if not sessions:
            return self._show_nothing("Open a model to search its latent space.")
        outcomes = [self._search(s) for s in sessions]
        self.all_neighbours = [hits for hits, _ in outcomes]
        found = [(s, hits, what) for s, (hits, what) in zip(sessions, outcomes, strict=True)
                 if hits is not None]
        reason = shared_reason(outcomes)
        if reason is not None:
            return self._show_nothing(reason)
        self.neighbours = self.all_neighbours[0]
        many = len(sessions) > 1
        waiting = ""
        for k, (s, gallery, (hits, text)) in enumerate(zip(sessions, galleries, outcomes,
                                                           strict=True)):
            if hits is not None and s.data_matches_map():
                gallery.set_samples(s.images, hits.indices, self.captions(
                    s, hits.indices, [f"d {d:.3f}" for d in hits.distances]))
                continue
            gallery.clear()
            if hits is not None:
                text = (f"samples {', '.join(map(str, hits.indices))} (thumbnails appear once "
                        "the data has loaded).")
                waiting = waiting or text
            self.columns.set_note(k, text if many else "")
        if not found:
            self.hint.setText("")
        elif waiting and not many:
            self.hint.setText(f"Nearest to {found[0][2]}: {waiting}")
        else:
            each = " by each model" if many else ""
            self.hint.setText(f"The {len(found[0][1])} samples nearest to {found[0][2]} in "
                              f"latent space{each} ({self.metric_combo.currentData()} distance "
                              "d), nearest first. Click one to select it.")
        return None

    def _show_nothing(self, text: str) -> None:
        self.neighbours = None
        self.all_neighbours = []
        for gallery in self.galleries:
            gallery.clear()
        self.hint.setText(text)
