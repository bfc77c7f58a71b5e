"""Latent traversal panel: one row per latent dimension swept -span…+span sigma around a
code (the clicked point, the hovered sample or your image), with the KL per dimension of
a variational model in the row titles and an option to sort the rows by it.

Latent arithmetic: a row above the grid adds an attribute direction (the mean code of one
group, a label or a factor's upper half, minus that of another) to the same code, from
strength 0 to the slider's strength (`explorer.core.analysis.applications.arithmetic`).
Its "Measure" button measures, for two labels, how often the direction turns held-out
images of B into A against the same arithmetic on pixels (`direction_measure`).

The grid comes from `explorer.core.analysis.applications.latent_traversal`; the KL per dimension
(an encode of the data) runs once per model in a background job. With two shown models
(the compare window) their grids stand side by side, around the same point or sample.
"""

from __future__ import annotations

import weakref

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
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.analysis.applications import (
    ApplicationError,
    add_direction,
    attribute_direction,
    kl_per_dim,
    latent_traversal,
    traversal_scale,
)
from explorer.core.analysis.applications.arithmetic import groups_for_codes, strength_steps
from explorer.core.analysis.applications.traversal import even_subset
from explorer.core.io.images import image_strip
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

from .common import (
    PanelBase,
    SessionColumns,
    hint_label,
    model_ready,
    shared_reason,
    to_pixmap,
)
from .direction_measure import DirectionMeasure

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
            self.grid.setRowStretch(len(self.titles), 0)  # the old spare row is a row now
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
    def __init__(self, shown: ShownSessions, jobs: Jobs | None = None,
                 parent: QWidget | None = None):
        super().__init__(shown, jobs, parent)
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
        self.add_dir = QCheckBox("add the")
        self.add_dir.setToolTip("Latent arithmetic: add (mean code of A − mean code of B) × "
                                "strength to the code")
        self.direction_a = QComboBox()
        self.direction_b = QComboBox()
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(-30, 30)  # tenths: −3 … +3
        self.strength.setValue(10)
        self.strength_label = QLabel()
        self.strength_label.setMinimumWidth(44)
        self.measure = DirectionMeasure(
            lambda: [s for s in self.sessions if model_ready(s)],
            lambda: (self.direction_a.currentData(), self.direction_b.currentData()),
            self.jobs, self.schedule)
        self.header = hint_label()
        self.hint = hint_label()
        self.columns = SessionColumns(TraversalGrid)  # one grid per shown model
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.columns)

        top = QHBoxLayout()
        top.addWidget(QLabel("Around"))
        top.addWidget(self.source, 1)
        top.addWidget(self.label_title)
        top.addWidget(self.label)
        controls = QHBoxLayout()
        for w in (self.steps, self.span, self.sort_kl):
            controls.addWidget(w)
        controls.addStretch(1)
        arithmetic = QHBoxLayout()
        arithmetic.addWidget(self.add_dir)
        arithmetic.addWidget(self.direction_a, 1)
        arithmetic.addWidget(QLabel("−"))
        arithmetic.addWidget(self.direction_b, 1)
        arithmetic.addWidget(QLabel("direction ×"))
        arithmetic.addWidget(self.strength, 1)
        arithmetic.addWidget(self.strength_label)
        arithmetic.addWidget(self.measure.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addLayout(arithmetic)
        layout.addWidget(self.measure)
        layout.addWidget(self.header)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.hint)

        self._conditional = False
        # Per session: (its images, KL per dimension or None, error message) and
        # (its codes, sigma, scale name); weak, so a closed model's numbers go with it.
        self._kl: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._sigma: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.traversals: list = []  # the core Traversal of each shown model (None: nothing)
        self.traversal = None  # the first model's (tests read it)
        self.direction_rows: list = []  # the core DirectionRow of each shown model (or None)

        for w in (self.source, self.label):
            w.currentIndexChanged.connect(self.schedule)
        self.steps.valueChanged.connect(self.schedule)
        self.span.valueChanged.connect(self.schedule)
        self.sort_kl.toggled.connect(self.schedule)
        for w in (self.direction_a, self.direction_b):  # the row and the measured table
            w.currentIndexChanged.connect(self.schedule)
        self.add_dir.toggled.connect(self.schedule)
        self.strength.valueChanged.connect(self._on_direction)
        self.follow([("cursor_changed", self._on_cursor), ("hover_changed", self._on_hover),
                     ("placed_changed", self._on_placed), ("decoder_changed", self._on_model),
                     ("data_changed", self._on_model), ("map_changed", self._on_model)])

    @property
    def grid(self) -> TraversalGrid:
        """The first model's grid."""
        return self.columns.widgets[0]

    @property
    def grids(self) -> list[TraversalGrid]:
        return list(self.columns.widgets)

    # ---- sessions -> panel -------------------------------------------------------------
    def _on_sessions(self) -> None:
        self._on_model()

    def _on_cursor(self) -> None:
        if self.source.currentData() == "clicked":
            self.schedule()

    def _on_hover(self) -> None:
        if self.remember_hover() and self.source.currentData() == "hovered":
            self.schedule()

    def _on_placed(self) -> None:
        if self.source.currentData() == "own":
            self.schedule()

    def _on_model(self) -> None:
        models = [s for s in self.sessions if s.model is not None]
        conditional = next((s for s in models if s.model.config.is_conditional), None)
        self.label.blockSignals(True)
        self.label.clear()
        if conditional is not None:
            self.label.addItem("sample's label", None)
            names = conditional.label_names
            for k in range(int(conditional.model.config.n_classes)):
                self.label.addItem(f"label {names[k] if k < len(names) else k}", k)
        self.label.blockSignals(False)
        self._conditional = conditional is not None
        self.label.setVisible(self._conditional)
        self.label_title.setVisible(self._conditional)
        self.sort_kl.setEnabled(any(s.model.config.is_variational for s in models))
        self._fill_groups([s for s in models if model_ready(s)])
        self.schedule()

    def _fill_groups(self, sessions: list[Session]) -> None:
        """The groups of the first model's data in both pickers (kept when still there)."""
        groups = {}
        if sessions:
            s = sessions[0]
            groups = groups_for_codes(s.latent_map.codes, s.map_labels(), s.label_names,
                                      s.factors)
        for combo, default in ((self.direction_a, 0), (self.direction_b, 1)):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for key, g in groups.items():
                combo.addItem(g.title, key)
            k = combo.findData(keep)
            combo.setCurrentIndex(k if k >= 0 else min(default, combo.count() - 1))
            combo.blockSignals(False)
        has = len(groups) >= 2
        for w in (self.add_dir, self.direction_a, self.direction_b, self.strength,
                  self.measure.button):
            w.setEnabled(has)
        self.add_dir.setToolTip("" if has else "This data set has no labels or factors to "
                                "take a direction from")

    def _on_direction(self) -> None:
        if self.add_dir.isChecked():
            self.schedule()
        else:
            self.strength_label.setText(f"{self.strength.value() / 10:+.1f}")

    # ---- work ----------------------------------------------------------------------------
    def _code(self, s: Session) -> tuple[np.ndarray | None, int | None, str]:
        """(code, label of its sample, what it is) for the chosen source."""
        src = self.source.currentData()
        if src == "own":
            if s.placed is None:
                return None, None, "Open your own picture with File ▸ Open image…"
            return s.placed.z, None, f"your image {s.placed.name}"
        if src == "hovered":
            i = self.hover_index
            if i is None or not 0 <= i < s.n_points:
                return None, None, "Hover over a sample on the map."
            label = int(s.labels[i]) if s.labels is not None and i < len(s.labels) else None
            return np.asarray(s.latent_map.codes[i]), label, f"sample #{i}"
        if s.cursor_z is None:
            return None, None, "Click on the map to choose the point to traverse around."
        x, y = (float(v) for v in s.cursor_xy)
        return s.cursor_z, None, f"the point ({x:.2f}, {y:.2f})"

    def _scale(self, s: Session) -> tuple[np.ndarray, str]:
        codes = s.latent_map.codes
        cached = self._sigma.get(s)
        if cached is None or cached[0] is not codes:
            sigma, name = traversal_scale(s.model, codes, "auto")
            cached = self._sigma[s] = (codes, sigma, name)
        return cached[1], cached[2]

    def kl_for(self, s: Session) -> np.ndarray | None:
        """The KL per dimension of a variational model (None until its job is done)."""
        if not s.model.config.is_variational:
            return None
        cached = self._kl.get(s)
        if cached is not None and cached[0] is s.images:
            return cached[1]
        if s.images is not None and not self.jobs.running(_kl_job(s)):
            self._start_kl(s)
        return None

    def _start_kl(self, s: Session) -> None:
        sub = even_subset(len(s.images), KL_SAMPLE_LIMIT)
        images = s.images[sub]
        labels = s.labels[sub] if s.labels is not None and len(s.labels) == len(s.images) else None
        model, data = s.model, s.images
        job = self.jobs.start(_kl_job(s), lambda _cancel: kl_per_dim(model, images, labels))
        job.succeeded.connect(lambda kl: self._on_kl(s, data, np.asarray(kl), ""))
        job.failed.connect(lambda msg: self._on_kl(s, data, None, msg))
        job.start()

    def _on_kl(self, s: Session, data, kl: np.ndarray | None, error: str) -> None:
        self._kl[s] = (data, kl, error)
        self.schedule()

    def _traverse(self, s: Session, label: int | None):
        """(Traversal, what it is around) for one model, or (None, why not)."""
        kl = self.kl_for(s)  # starts the KL job as soon as the data is there
        code, sample_label, what = self._code(s)
        if code is None:
            return None, what
        try:
            sigma, scale = self._scale(s)
            order = "kl" if kl is not None and self.sort_kl.isChecked() else "index"
            t = latent_traversal(s.model, code, sigma=sigma, scale=scale,
                                 steps=self.steps.value(), span=self.span.value(), kl=kl,
                                 order=order, label=sample_label if label is None else label)
        except ApplicationError as exc:
            return None, str(exc)
        return t, what

    def direction_strength(self) -> float:
        return self.strength.value() / 10.0

    def _direction(self, s: Session, code: np.ndarray | None, label: int | None):
        """(DirectionRow or None, note) for one model: its data's A − B direction added to
        the traversed code from strength 0 to the slider's."""
        if not self.add_dir.isChecked() or code is None:
            return None, ""
        a, b = self.direction_a.currentData(), self.direction_b.currentData()
        groups = groups_for_codes(s.latent_map.codes, s.map_labels(), s.label_names, s.factors)
        if a not in groups or b not in groups:
            return None, "This model's data has no such groups."
        try:
            v = attribute_direction(s.latent_map.codes, groups[a], groups[b])
            row = add_direction(s.model, code, v,
                                strength_steps(self.direction_strength(), self.steps.value()),
                                label=label)
        except ApplicationError as exc:
            return None, str(exc)
        return row, ""

    def refresh(self) -> None:
        self.strength_label.setText(f"{self.direction_strength():+.1f}")
        sessions = [s for s in self.sessions if model_ready(s)]
        self.measure.refresh(sessions)
        grids = self.columns.set_sessions(sessions)
        if not sessions:
            self._show_nothing("Open a model (or wait for it to load) to traverse its latent space.")
            return
        label = self.label.currentData() if self._conditional else None
        outcomes = [self._traverse(s, label) for s in sessions]
        self.traversals = [t for t, _ in outcomes]
        shown = [(t, what) for t, what in outcomes if t is not None]
        reason = shared_reason(outcomes)
        if reason is not None:
            self._show_nothing(reason)
            return
        self.traversal = self.traversals[0]
        width = (self.scroll.viewport().width() - 8 * (len(sessions) - 1)) // len(sessions)
        self.direction_rows = []
        for k, (grid, s, (t, text)) in enumerate(zip(grids, sessions, outcomes, strict=True)):
            titles, rows = (t.row_titles(), t.rows) if t else ([], [])
            row, why = self._direction(s, None if t is None else t.code, None if t is None
                                       else t.label)
            self.direction_rows.append(row)
            if row is not None:
                titles = [f"{row.direction.title} ×{self.direction_strength():+.1f}", *titles]
                rows = [row.images, *rows]
            grid.set_rows(titles, rows, width)
            self.columns.set_note(k, why if t else text)
        if not shown:
            self.header.setText("")
            self.hint.setText("")
            return
        t, what = shown[0]
        unit = "σ = 1 (the prior)" if t.scale == "prior" else "σ = spread of the data's codes"
        under = "" if t.label is None else f", decoded as label {t.label}"
        row = next((r for r in self.direction_rows if r is not None), None)
        added = "" if row is None else (
            f" The top row adds ({row.direction.title}), the mean code of {row.direction.a} "
            f"minus that of {row.direction.b}, from 0 to {self.direction_strength():+.1f}×.")
        self.header.setText(f"Around {what}{under}: each row moves one dimension from "
                            f"−{self.span.value():g}σ to +{self.span.value():g}σ; {unit}."
                            + added)
        self.hint.setText(self._kl_hint(sessions))

    def _kl_hint(self, sessions: list[Session]) -> str:
        variational = [s for s in sessions if s.model.config.is_variational]
        cached = [self._kl.get(s) for s in variational]
        failed = [c[2] for c in cached if c is not None and c[2]]
        if failed:
            return f"The KL per dimension could not be computed: {failed[0]}"
        missing = [s for s, c in zip(variational, cached, strict=True)
                   if c is None or c[0] is not s.images or c[1] is None]
        if missing:
            return ("Computing the KL per dimension…" if all(s.images is not None for s in missing)
                    else "The KL per dimension appears once the data has loaded.")
        if variational:
            return ("KL per dimension in nats, averaged over the data: a dimension near 0 is "
                    "unused (its row does not change).")
        return ""

    def _show_nothing(self, text: str) -> None:
        self.traversal = None
        self.traversals = []
        self.direction_rows = []
        for grid in self.grids:
            grid.set_rows([], [])
        self.header.setText("")
        self.hint.setText(text)


def _kl_job(s: Session) -> str:
    return f"kl-{id(s)}"  # one KL job per model: a second model's never cancels the first's
