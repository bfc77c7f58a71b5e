"""The traversal panel's "Measure" button and what it shows: how often adding the picked
A − B direction turns held-out B images into A, in the latent space and on the pixels,
judged by the classifier. The jobs, the kept results and the text are its
`latent_atlas.explorer.session.panels.DirectionMeasureModel`'s; this widget only lays them out, one
table per model, side by side in the compare window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from latent_atlas.explorer.session.panels import DirectionMeasureModel

from .common import SessionColumns, hint_label, weak_slot

START_TEXT = "Measure"


class TransferView(QWidget):
    """One model's result: the table in a fixed-width font, the paragraph under it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QLabel()
        self.table.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.foot = hint_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.foot)

    def set_text(self, table: str, foot: str) -> None:
        self.table.setText(table)
        self.foot.setText(foot)
        self.table.setVisible(bool(table))
        self.foot.setVisible(bool(foot))


class DirectionMeasure(QWidget):
    """`button` (placed in the panel's direction row by the panel) starts or cancels the
    measurement of the picked groups for every shown model."""

    def __init__(self, model: DirectionMeasureModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.button = QPushButton(START_TEXT)
        self.button.setToolTip("Measure how often adding this direction turns held-out images "
                               "of the second label into the first (classifier judge), against "
                               "the same arithmetic on pixels")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.hint = hint_label()
        self.hint.hide()
        self.columns = SessionColumns(TransferView)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.columns)
        layout.addWidget(self.hint)
        self.button.clicked.connect(model.run_or_cancel)
        model.changed.connect(weak_slot(self._update))
        self._update()

    @property
    def results(self) -> list:
        return self.model.results

    def running(self) -> bool:
        return self.model.running()

    def _update(self) -> None:
        m = self.model
        self.hint.setText(m.hint)
        self.hint.setVisible(bool(m.hint))
        busy = m.running()
        self.progress.setVisible(busy)
        self.progress.setValue(int(1000 * m.group.fraction()))
        self.button.setText("Cancel" if busy else START_TEXT)
        views = self.columns.set_sessions([c.session for c in m.columns])
        for view, col in zip(views, m.columns, strict=False):
            view.set_text(col.table, col.foot)
        self.columns.setVisible(any(c.result is not None for c in m.columns))
        # New text changes the height a width needs (word wrap): make the panel's layout ask
        # again, or it keeps the height of the previous text.
        for view in views:
            view.updateGeometry()
        self.columns.updateGeometry()
        self.updateGeometry()
