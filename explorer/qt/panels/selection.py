"""The selection panel: for each shown model, how many samples are selected, their labels,
the decoded mean code and the medoid, and the mean reconstruction error, with the export
buttons. A view of its `latent_atlas.explorer.session.panels.selection.SelectionModel`."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.panels.selection import SelectionModel
from latent_atlas.explorer.session.workspace import ShownSessions

from ..image_box import ImageBox
from .common import PanelBase, SessionColumns, hint_label


class _Summary(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.mean = ImageBox("decoded mean code", min_size=72)
        self.medoid = ImageBox("medoid", min_size=72)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        images = QHBoxLayout()
        images.addWidget(self.mean, 1)
        images.addWidget(self.medoid, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(images, 1)
        layout.addWidget(self.text)


class SelectionPanel(PanelBase):
    def __init__(self, shown: ShownSessions, jobs: Jobs, parent: QWidget | None = None):
        super().__init__(SelectionModel(shown, jobs), parent)
        self.columns = SessionColumns(_Summary)
        self.export_buttons = {}
        row = QHBoxLayout()
        row.addWidget(QLabel("Export"))
        for fmt, title in (("npz", "npz…"), ("png", "PNGs…"), ("parquet", "Parquet…")):
            b = QPushButton(title)
            b.setAccessibleName(f"Export the selection as {fmt}")
            b.clicked.connect(lambda _c=False, f=fmt: self._export(f))
            row.addWidget(b)
            self.export_buttons[fmt] = b
        row.addStretch(1)
        self.hint = hint_label("Lasso (L) or box (B) on the map; Shift adds, Alt removes, "
                               "Esc clears.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.columns, 1)
        layout.addLayout(row)
        layout.addWidget(self.hint)
        self._update()

    def _export(self, fmt: str) -> None:
        window = self.window()
        actions = getattr(window, "map_actions", None)
        if actions is not None:
            actions.ask_export(fmt)

    def _update(self) -> None:
        m: SelectionModel = self.model
        widgets = self.columns.set_sessions(m.sessions)
        for k, w in enumerate(widgets):
            col = m.columns[k] if k < len(m.columns) else None
            w.mean.set_image(None if col is None else col.mean_image, "")
            w.medoid.set_image(None if col is None else col.medoid_image, "")
            w.text.setText("" if col is None else col.text())
        any_selected = any(c.count for c in m.columns)
        for b in self.export_buttons.values():
            b.setEnabled(any_selected)
