"""Latent traversal panel: one row per latent dimension swept -span…+span sigma around a
code (the clicked point, the hovered sample or your image), with the KL per dimension of
a variational model in the row titles and an option to sort the rows by it.

Latent arithmetic: a row above the grid adds an attribute direction (the mean code of one
group, a label or a factor's upper half, minus that of another) to the same code, from
strength 0 to the slider's strength. Its "Measure" button measures, for two labels, how
often the direction turns held-out images of B into A against the same arithmetic on
pixels (`direction_measure`).

Everything it shows comes from its `latent_atlas.explorer.session.panels.TraversalModel` (the grids
decoded in a background job, the KL per dimension once per model); with two shown
models (the compare window) their grids stand side by side, around the same point.
"""

from __future__ import annotations

from typing import Any

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

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels import SOURCES, TraversalModel, TraversalResult
from latent_atlas.explorer.session.workspace import ShownSessions

from .common import PanelBase, SessionColumns, hint_label, to_pixmap
from .direction_measure import DirectionMeasure

CELL_PX = 44  # target size of one decoded image in the grid


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

    def set_rows(self, titles: list[str], strips: list[np.ndarray], steps: int = 1,
                 width: int = 0) -> None:
        """`strips[r]` is row r as one display image of `steps` images side by side; the
        images are enlarged up to CELL_PX, less when the rows would not fit in `width`."""
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
        if not strips:
            return
        h, total = strips[0].shape[:2]
        w = (total + 1) // steps - 1
        scale = max(1, CELL_PX // max(h, w))
        if width > 0:
            title_px = max(self.fontMetrics().horizontalAdvance(t) for t in titles) + 16
            scale = max(1, min(scale, (width - title_px) // (steps * (w + 1))))
        for t, s, title, strip in zip(self.titles, self.strips, titles, strips, strict=True):
            t.setText(title)
            s.setPixmap(to_pixmap(strip, scale))


class TraversalPanel(PanelBase):
    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(TraversalModel(shown, jobs), parent)
        m: TraversalModel = self.model
        self.source = QComboBox()
        for key, title in SOURCES:
            self.source.addItem(title, key)
        self.label = QComboBox()
        self.label_title = QLabel("decode as")
        self.steps = QSpinBox()
        self.steps.setRange(3, 21)
        self.steps.setValue(m.steps)
        self.steps.setSuffix(" steps")
        self.span = QDoubleSpinBox()
        self.span.setRange(0.5, 6.0)
        self.span.setSingleStep(0.5)
        self.span.setValue(m.span)
        self.span.setPrefix("±")
        self.span.setSuffix(" σ")
        self.sort_kl = QCheckBox("sort by KL")
        self.sort_kl.setToolTip("Most informative dimensions first (variational models); "
                                "'(inactive)' marks a dimension whose mean code hardly varies "
                                "over the data (variance <= 0.01)")
        self.sort_kl.setChecked(m.sort_kl)
        self.sweep_condition = QCheckBox("sweep the condition")
        self.sweep_condition.setToolTip("Conditional models: a top row holding the code and "
                                        "decoding it under every condition (the progression)")
        self.sweep_condition.setChecked(m.sweep_condition)
        self.add_dir = QCheckBox("add the")
        self.add_dir.setToolTip("Latent arithmetic: add (mean code of A − mean code of B) × "
                                "strength to the code")
        self.direction_a = QComboBox()
        self.direction_b = QComboBox()
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(-30, 30)  # tenths: −3 … +3
        self.strength.setValue(int(round(10 * m.strength)))
        self.strength_label = QLabel()
        self.strength_label.setMinimumWidth(44)
        self.measure = DirectionMeasure(m.measure)
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
        for w in (self.steps, self.span, self.sort_kl, self.sweep_condition):
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

        self.source.currentIndexChanged.connect(
            lambda _i: m.set_source(self.source.currentData()))
        self.label.currentIndexChanged.connect(lambda _i: m.set_label(self.label.currentData()))
        self.steps.valueChanged.connect(m.set_steps)
        self.span.valueChanged.connect(m.set_span)
        self.sort_kl.toggled.connect(m.set_sort_kl)
        self.sweep_condition.toggled.connect(m.set_sweep_condition)
        for w in (self.direction_a, self.direction_b):  # the row and the measured table
            w.currentIndexChanged.connect(lambda _i: m.set_direction(
                self.direction_a.currentData(), self.direction_b.currentData()))
        self.add_dir.toggled.connect(m.set_add_direction)
        self.strength.valueChanged.connect(lambda v: m.set_strength(v / 10.0))
        self._update()

    @property
    def grid(self) -> TraversalGrid:
        """The first model's grid."""
        return self.columns.widgets[0]

    @property
    def grids(self) -> list[TraversalGrid]:
        return list(self.columns.widgets)

    @property
    def result(self) -> TraversalResult:
        return self.model.result

    # ---- model -> widgets -------------------------------------------------------------------
    def _update(self) -> None:
        m: TraversalModel = self.model
        self._update_choices()
        self.strength_label.setText(f"{m.strength:+.1f}")
        r = m.result
        grids = self.columns.set_sessions([c.session for c in r.columns])
        n = max(1, len(r.columns))
        width = (self.scroll.viewport().width() - 8 * (n - 1)) // n
        for k, grid in enumerate(grids):
            col = r.columns[k] if k < len(r.columns) else None
            if col is None or col.traversal is None:
                grid.set_rows([], [])
            else:
                grid.set_rows(col.titles, col.strips, len(col.rows[0]), width)
            self.columns.set_note(k, "" if col is None else col.note)
        self.header.setText(r.header)
        self.hint.setText(r.hint)

    def _update_choices(self) -> None:
        m: TraversalModel = self.model
        _fill(self.label, m.label_choices, m.label)
        conditional = bool(m.label_choices)
        self.label.setVisible(conditional)
        self.label_title.setVisible(conditional)
        self.sweep_condition.setVisible(conditional)
        self.sort_kl.setEnabled(m.kl_sortable)
        groups = [(title, key) for key, title in m.groups]
        _fill(self.direction_a, groups, m.direction_a)
        _fill(self.direction_b, groups, m.direction_b)
        has = len(m.groups) >= 2
        for w in (self.add_dir, self.direction_a, self.direction_b, self.strength,
                  self.measure.button):
            w.setEnabled(has)
        self.add_dir.setToolTip("" if has else "This data set has no labels or factors to "
                                "take a direction from")


def _fill(combo: QComboBox, items: list[tuple[str, Any]], current: Any) -> None:
    """Show (title, value) `items` in `combo` with `current` selected, without echoing
    the change back to the model."""
    combo.blockSignals(True)
    have = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
    if have != list(items):
        combo.clear()
        for title, value in items:
            combo.addItem(title, value)
    combo.setCurrentIndex(max(0, combo.findData(current)) if combo.count() else -1)
    combo.blockSignals(False)
