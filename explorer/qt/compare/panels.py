"""The compare window's panels: the three-row interpolation strip and the metrics table."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.session.pair import SIDE_TITLES, ComparePair
from latent_atlas.explorer.session.panels.files import pair_strip_frames, pair_strip_rows

from ..image_box import ImageBox
from ..panels.common import weak_slot
from ..strip_panel import path_controls, show_path_settings


class StripRows(QWidget):
    """Three rows along the selected arrow (drawn in both maps): AE steps, VAE steps, and
    the pixel cross-fade of the AE's end images, the baseline a latent path should beat."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.pair: ComparePair | None = None
        self.steps, self.mode = path_controls()
        self.clear_button = QPushButton("Clear arrows")
        self.hint = QLabel("Arrow tool (A) or Shift+drag on either map draws an arrow in both.")
        self.hint.setStyleSheet("color: gray")
        top = QHBoxLayout()
        top.addWidget(QLabel("Interpolation"))
        top.addWidget(self.steps)
        top.addWidget(self.mode)
        top.addWidget(self.clear_button)
        top.addStretch(1)
        top.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(top)
        self.rows: list[ImageBox] = []
        for title in (f"{SIDE_TITLES[0]} decoded along the path",
                      f"{SIDE_TITLES[1]} decoded along the path",
                      "pixel cross-fade of the end images"):
            label = QLabel(title)
            label.setStyleSheet("color: gray")
            box = ImageBox("", min_size=30)
            layout.addWidget(label)
            layout.addWidget(box, 1)
            self.rows.append(box)
        # The two sessions are linked: setting the left one's steps sets both.
        self.steps.valueChanged.connect(lambda v: self.pair.left.set_steps(v) if self.pair else None)
        self.mode.currentIndexChanged.connect(
            lambda _i: self.pair.left.set_mode(self.mode.currentData()) if self.pair else None)
        self.clear_button.clicked.connect(lambda: self.pair.left.clear_arrows()
                                          if self.pair else None)
        self._update()

    def set_pair(self, pair: ComparePair | None) -> None:
        if self.pair is not None:
            for s in self.pair.sessions:
                s.arrows_changed.disconnect(self._update)
        self.pair = pair
        if pair is not None:
            for s in pair.sessions:
                s.arrows_changed.connect(self._update)
        self._update()

    def row_images(self) -> list[np.ndarray | None]:
        """The frames of the three rows (AE, VAE, fade), None where not available."""
        if self.pair is None:
            return [None, None, None]
        return pair_strip_frames(self.pair.sessions)

    def _update(self) -> None:
        rows = [None] * 3 if self.pair is None else pair_strip_rows(self.pair.sessions)
        for box, image in zip(self.rows, rows, strict=True):
            box.set_image(image, "")
        has = self.pair is not None and bool(self.pair.left.arrows)
        self.hint.setVisible(not has)
        self.clear_button.setEnabled(has)
        if self.pair is not None:  # show the pair's settings without echoing them back
            show_path_settings(self.steps, self.mode, self.pair.left)


class MetricsPanel(QWidget):
    """The continuity metrics of both models, computed on demand: a view of its
    `latent_atlas.explorer.session.panels.compare_views.MetricsModel`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from latent_atlas.explorer.session.panels.compare_views import MetricsModel, metric_rows

        self.model = MetricsModel()
        self.columns = metric_rows()
        self.run_button = QPushButton("Compute metrics")
        self.note = QLabel(self.model.table.note)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: gray")
        # What the numbers show, in sentences written by core (latent_atlas.explorer.core.analysis.comparison.explain).
        self.explanation = QLabel("")
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # One row per metric, one column per model (and one saying whether the first two
        # differ beyond their intervals).
        self.table = QTableWidget(len(self.columns), 0)
        self.table.setVerticalHeaderLabels(self.columns)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setMinimumSectionSize(40)
        self.table.verticalHeader().setDefaultSectionSize(20)  # ten rows without a scroll bar
        # The table on the left, what it shows on the right (scrolling when long).
        words = QWidget()
        column = QVBoxLayout(words)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.explanation)
        column.addWidget(self.note)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(words)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.model.changed.connect(weak_slot(self._update))

    @property
    def pair(self) -> ComparePair | None:
        return self.model.pair

    def set_pair(self, pair: ComparePair | None) -> None:
        self.model.set_pair(pair)

    def _update(self) -> None:
        t = self.model.table
        if not t.columns:
            self.table.setColumnCount(0)
            self.explanation.setText("")
            return
        self.table.setRowCount(len(t.rows))
        self.table.setVerticalHeaderLabels(t.rows)
        self.table.setColumnCount(len(t.columns))
        self.table.setHorizontalHeaderLabels(t.headers)
        for j, texts in enumerate(t.columns):
            for i, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.explanation.setText(t.explanation)
        self.note.setText(t.note)
