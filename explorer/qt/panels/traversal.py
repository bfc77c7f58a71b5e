"""Latent traversal panel: one row per latent dimension swept -span…+span sigma around a
code (the clicked point, the hovered sample or your image), with the KL per dimension of
a variational model in the row titles and an option to sort the rows by it.

The grid comes from `explorer.core.analysis.applications.latent_traversal`; the KL per dimension
(an encode of the data) runs once per model in a background job.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.applications import (
    ApplicationError,
    kl_per_dim,
    latent_traversal,
    traversal_scale,
)
from explorer.core.analysis.applications.traversal import even_subset
from explorer.core.io.images import image_strip

from ..state import AtlasState, ModelEntry
from ..workers import JobManager
from .common import PanelBase, hint_label, model_ready, to_pixmap

CELL_PX = 44  # target size of one decoded image in the grid
KL_SAMPLE_LIMIT = 5000  # the mean KL per dimension is estimated on at most this many images
SOURCES = (("clicked", "the clicked point"), ("hovered", "the hovered sample"),
           ("own", "your image"))


class TraversalGrid(QWidget):
    """Rows of decoded images, each with its title on the left; reuses its widgets when
    the number of rows stays the same (the grid follows the mouse)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(2)
        self.titles: list[QLabel] = []
        self.strips: list[QLabel] = []

    def row_count(self) -> int:
        return len(self.titles)

    def row_titles(self) -> list[str]:
        return [t.text() for t in self.titles]

    def set_rows(self, titles: list[str], rows: list[np.ndarray], width: int = 0) -> None:
        """`rows[r]` are the display images (steps x H x W[x 3]) of row r; the images are
        enlarged up to CELL_PX, less when the rows would not fit in `width` pixels."""
        if len(titles) != len(self.titles):
            for w in self.titles + self.strips:
                self.grid.removeWidget(w)
                w.deleteLater()
            self.titles = [QLabel() for _ in titles]
            self.strips = [QLabel() for _ in titles]
            for r, (t, s) in enumerate(zip(self.titles, self.strips, strict=True)):
                t.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                t.setStyleSheet("font-family: monospace")
                self.grid.addWidget(t, r, 0)
                self.grid.addWidget(s, r, 1, Qt.AlignmentFlag.AlignLeft)
                t.show()  # a layout shows new children only after a queued event
                s.show()
            self.grid.setColumnStretch(2, 1)
            self.grid.setRowStretch(len(titles), 1)
        if not rows:
            return
        steps, h, w = rows[0].shape[:3]
        scale = max(1, CELL_PX // max(h, w))
        if width > 0:
            title_px = max(self.fontMetrics().horizontalAdvance(t) for t in titles) + 16
            scale = max(1, min(scale, (width - title_px) // (steps * (w + 1))))
        for t, s, title, row in zip(self.titles, self.strips, titles, rows, strict=True):
            t.setText(title)
            s.setPixmap(to_pixmap(image_strip(row, gap=1, background=60), scale))


class TraversalPanel(PanelBase):
    def __init__(self, state: AtlasState, jobs: JobManager | None = None,
                 parent: QWidget | None = None):
        super().__init__(state, jobs, parent)
        self.source = QComboBox()
        for key, title in SOURCES:
            self.source.addItem(title, key)
        self.label = QComboBox()
        self.label_title = QLabel("decode as")
        self.steps = QSpinBox()
        self.steps.setRange(3, 21)
        self.steps.setValue(7)
        self.steps.setSuffix(" steps")
        self.span = QDoubleSpinBox()
        self.span.setRange(0.5, 6.0)
        self.span.setSingleStep(0.5)
        self.span.setValue(3.0)
        self.span.setPrefix("±")
        self.span.setSuffix(" σ")
        self.sort_kl = QCheckBox("sort by KL")
        self.sort_kl.setToolTip("Most informative dimensions first (variational models)")
        self.header = hint_label()
        self.hint = hint_label()
        self.grid = TraversalGrid()
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid)

        top = QHBoxLayout()
        top.addWidget(QLabel("Around"))
        top.addWidget(self.source, 1)
        top.addWidget(self.label_title)
        top.addWidget(self.label)
        controls = QHBoxLayout()
        for w in (self.steps, self.span, self.sort_kl):
            controls.addWidget(w)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addWidget(self.header)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.hint)

        self._hover_index: int | None = None
        self._conditional = False
        self._kl: dict[int, tuple[ModelEntry, object, np.ndarray]] = {}
        self._kl_running: set[int] = set()
        self._sigma: dict[int, tuple[ModelEntry, object, np.ndarray, str]] = {}
        self.traversal = None  # the last core Traversal shown (tests read it)

        for w in (self.source, self.label):
            w.currentIndexChanged.connect(self.schedule)
        self.steps.valueChanged.connect(self.schedule)
        self.span.valueChanged.connect(self.schedule)
        self.sort_kl.toggled.connect(self.schedule)
        state.cursorChanged.connect(self._on_cursor)
        state.hoverChanged.connect(self._on_hover)
        state.placedChanged.connect(self._on_placed)
        for sig in (state.activeChanged, state.decoderChanged, state.dataChanged,
                    state.mapChanged):
            sig.connect(self._on_model)
        self._on_model()

    # ---- state -> panel ----------------------------------------------------------------
    def _on_cursor(self) -> None:
        if self.source.currentData() == "clicked":
            self.schedule()

    def _on_hover(self) -> None:
        # Leaving the map clears the hover; keep showing the last sample then.
        if self.state.hover_index is not None:
            self._hover_index = self.state.hover_index
            if self.source.currentData() == "hovered":
                self.schedule()

    def _on_placed(self) -> None:
        if self.source.currentData() == "own":
            self.schedule()

    def _on_model(self) -> None:
        e = self.state.active
        conditional = e is not None and e.model is not None and e.model.config.is_conditional
        self.label.blockSignals(True)
        self.label.clear()
        if conditional:
            self.label.addItem("sample's label", None)
            for k in range(int(e.model.config.n_classes)):
                name = e.label_names[k] if k < len(e.label_names) else str(k)
                self.label.addItem(f"label {name}", k)
        self.label.blockSignals(False)
        self._conditional = conditional
        self.label.setVisible(conditional)
        self.label_title.setVisible(conditional)
        variational = e is not None and e.model is not None and e.model.config.is_variational
        self.sort_kl.setEnabled(variational)
        self.schedule()

    # ---- work ----------------------------------------------------------------------------
    def _code(self, e: ModelEntry) -> tuple[np.ndarray | None, int | None, str]:
        """(code, label of its sample, what it is) for the chosen source."""
        src = self.source.currentData()
        if src == "own":
            if e.placed is None:
                return None, None, "Open your own picture with File ▸ Open image…"
            return e.placed.z, None, f"your image {e.placed.name}"
        if src == "hovered":
            i = self._hover_index
            if i is None or not 0 <= i < e.n_points:
                return None, None, "Hover over a sample on the map."
            label = int(e.labels[i]) if e.labels is not None and i < len(e.labels) else None
            return np.asarray(e.latent_map.codes[i]), label, f"sample #{i}"
        if self.state.cursor_z is None:
            return None, None, "Click on the map to choose the point to traverse around."
        x, y = (float(v) for v in self.state.cursor_xy)
        return self.state.cursor_z, None, f"the point ({x:.2f}, {y:.2f})"

    def _scale(self, e: ModelEntry) -> tuple[np.ndarray, str]:
        codes = e.latent_map.codes
        cached = self._sigma.get(id(e))
        if cached is None or cached[0] is not e or cached[1] is not codes:
            sigma, name = traversal_scale(e.model, codes, "auto")
            cached = self._sigma[id(e)] = (e, codes, sigma, name)
        return cached[2], cached[3]

    def kl_for(self, e: ModelEntry) -> np.ndarray | None:
        """The KL per dimension of a variational model (None until its job is done)."""
        if not e.model.config.is_variational:
            return None
        cached = self._kl.get(id(e))
        if cached is not None and cached[0] is e and cached[1] is e.images:
            return cached[2]
        if e.images is not None and id(e) not in self._kl_running:
            self._start_kl(e)
        return None

    def _start_kl(self, e: ModelEntry) -> None:
        sub = even_subset(len(e.images), KL_SAMPLE_LIMIT)
        images = e.images[sub]
        labels = e.labels[sub] if e.labels is not None and len(e.labels) == len(e.images) else None
        model, data = e.model, e.images
        self._kl_running.add(id(e))
        job = self.jobs.start("kl", lambda _cancel: kl_per_dim(model, images, labels))
        job.succeeded.connect(lambda kl: self._on_kl(e, data, kl))
        job.failed.connect(lambda msg: self._on_kl_failed(e, msg))
        job.start()

    def _on_kl(self, e: ModelEntry, data, kl: np.ndarray) -> None:
        self._kl_running.discard(id(e))
        self._kl[id(e)] = (e, data, np.asarray(kl))
        self.schedule()

    def _on_kl_failed(self, e: ModelEntry, msg: str) -> None:
        self._kl_running.discard(id(e))
        self._kl[id(e)] = (e, e.images, None)
        self.hint.setText(f"The KL per dimension could not be computed: {msg}")

    def refresh(self) -> None:
        e = self.state.active
        if not model_ready(e):
            self._show_nothing("Open a model (or wait for it to load) to traverse its latent space.")
            return
        kl = self.kl_for(e)  # starts the KL job as soon as the data is there
        code, sample_label, what = self._code(e)
        if code is None:
            self._show_nothing(what)
            return
        label = self.label.currentData() if self._conditional else None
        if label is None:
            label = sample_label
        try:
            sigma, scale = self._scale(e)
            t = latent_traversal(e.model, code, sigma=sigma, scale=scale,
                                 steps=self.steps.value(), span=self.span.value(), kl=kl,
                                 order="kl" if kl is not None and self.sort_kl.isChecked() else "index",
                                 label=label)
        except ApplicationError as exc:
            self._show_nothing(str(exc))
            return
        self.traversal = t
        self.grid.set_rows(t.row_titles(), t.rows, self.scroll.viewport().width())
        unit = "σ = 1 (the prior)" if t.scale == "prior" else "σ = spread of the data's codes"
        under = "" if t.label is None else f", decoded as label {t.label}"
        self.header.setText(f"Around {what}{under}: each row moves one dimension from "
                            f"−{self.span.value():g}σ to +{self.span.value():g}σ; {unit}.")
        if e.model.config.is_variational and kl is None:
            self.hint.setText("Computing the KL per dimension…" if e.images is not None
                              else "The KL per dimension appears once the data has loaded.")
        elif kl is not None:
            self.hint.setText("KL per dimension in nats, averaged over the data: a dimension "
                              "near 0 is unused (its row does not change).")
        else:
            self.hint.setText("")

    def _show_nothing(self, text: str) -> None:
        self.traversal = None
        self.grid.set_rows([], [])
        self.header.setText("")
        self.hint.setText(text)
