"""Factors panel: for data with known factors, the DCI importance matrix as a heatmap (a
row per latent dimension, a column per factor, darker = more important, each factor's
best dimension in bold); clicking a factor (its header or any of its cells) traverses its
best dimension around the clicked point. The numbers and the traversal are its
`latent_atlas.explorer.session.panels.FactorsModel`'s; one heatmap per shown model."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels import FactorColumn, FactorsModel, heat_colour
from latent_atlas.explorer.session.workspace import ShownSessions

from .common import PanelBase, SessionColumns, hint_label, to_pixmap


class FactorHeatmap(QWidget):
    """One model's heatmap table and, under it, the chosen factor's traversal row."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setMinimumHeight(120)
        self.strip_title = QLabel()
        self.strip_title.setWordWrap(True)
        self.strip = QLabel()
        self.strip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.strip_title)
        layout.addWidget(self.strip)

    def show_column(self, col: FactorColumn | None) -> None:
        r = None if col is None else col.importance
        if col is None or r is None:
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
        else:
            d, k = r.shape
            self.table.setRowCount(d)
            self.table.setColumnCount(k)
            self.table.setHorizontalHeaderLabels(list(col.factors))
            self.table.setVerticalHeaderLabels([f"z{j}" for j in range(d)])
            vmax = float(r.max()) if r.size else 0.0
            bold = QFont()
            bold.setBold(True)
            for j in range(d):
                for f in range(k):
                    item = QTableWidgetItem(f"{r[j, f]:.2f}")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    rgb = heat_colour(float(r[j, f]), vmax)
                    item.setBackground(QBrush(QColor(*rgb)))
                    dark = sum(rgb) < 3 * 140
                    item.setForeground(QBrush(QColor("white" if dark else "black")))
                    if col.best.get(col.factors[f]) == j:
                        item.setFont(bold)
                    self.table.setItem(j, f, item)
        self.strip_title.setText("" if col is None else col.strip_title)
        self.strip_title.setVisible(bool(col is not None and col.strip_title))
        if col is not None and col.strip is not None:
            # Enlarge up to 3x, less when the row would not fit the panel's width.
            fit = max(1, (self.width() - 8) // max(1, col.strip.shape[1]))
            self.strip.setPixmap(to_pixmap(col.strip, scale=min(3, fit)))
            self.strip.show()
        else:
            self.strip.clear()
            self.strip.hide()


class FactorsPanel(PanelBase):
    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(FactorsModel(shown, jobs), parent)
        self.columns = SessionColumns(FactorHeatmap)
        self.hint = hint_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.columns, 1)
        layout.addWidget(self.hint)
        self._bound: set[int] = set()
        self._update()

    @property
    def heatmaps(self) -> list[FactorHeatmap]:
        return list(self.columns.widgets)  # type: ignore[arg-type]

    def _bind(self, heatmap: FactorHeatmap) -> None:
        if id(heatmap) in self._bound:
            return
        self._bound.add(id(heatmap))
        table = heatmap.table
        table.horizontalHeader().sectionClicked.connect(
            lambda f, t=table: self._choose(t, f))
        table.cellClicked.connect(lambda _j, f, t=table: self._choose(t, f))

    def _choose(self, table: QTableWidget, f: int) -> None:
        item = table.horizontalHeaderItem(f)
        if item is not None:
            self.model.choose_factor(item.text())

    def click_factor(self, name: str) -> None:
        """What clicking the factor's column header does (tests, screenshots)."""
        self.model.choose_factor(name)

    def _update(self) -> None:
        m: FactorsModel = self.model
        r = m.result
        widgets = self.columns.set_sessions([c.session for c in r.columns])
        for k, heatmap in enumerate(widgets):
            assert isinstance(heatmap, FactorHeatmap)
            self._bind(heatmap)
            col = r.columns[k] if k < len(r.columns) else None
            heatmap.show_column(col)
            self.columns.set_note(k, "" if col is None else col.note)
        self.hint.setText(r.hint)
