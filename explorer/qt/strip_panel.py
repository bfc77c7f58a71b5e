"""The interpolation strip: decoded steps along the selected arrow and the pixel cross-fade."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.io.blend import tile_row

from .image_box import ImageBox
from .state import MAX_STEPS, MIN_STEPS, AtlasState


class StripPanel(QWidget):
    """Controls (arrow, steps, lerp/slerp, delete, export) over two image rows."""

    exportPng = Signal()
    exportGif = Signal()

    def __init__(self, state: AtlasState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.arrow_combo = QComboBox()
        self.arrow_combo.setMinimumContentsLength(14)
        self.steps = QSpinBox()
        self.steps.setRange(MIN_STEPS, MAX_STEPS)
        self.steps.setValue(state.steps)
        self.steps.setPrefix("steps ")
        self.mode = QComboBox()
        self.mode.addItem("linear (lerp)", "lerp")
        self.mode.addItem("spherical (slerp)", "slerp")
        self.delete_button = QPushButton("Delete")
        self.png_button = QPushButton("PNG…")
        self.gif_button = QPushButton("GIF…")
        self.hint = QLabel("Arrow tool (A) or Shift+drag on the map draws an interpolation arrow.")
        self.hint.setStyleSheet("color: gray")
        self.hint.setWordWrap(True)  # a long one-line hint would set the window's minimum width

        controls = QHBoxLayout()
        for w in (QLabel("Arrow"), self.arrow_combo, self.steps, self.mode, self.delete_button,
                  QLabel("Export"), self.png_button, self.gif_button):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.hint)

        self.decoded_row = ImageBox("", min_size=64)
        self.fade_row = ImageBox("", min_size=64)
        rows = QVBoxLayout()
        for title, box in (("decoded along the latent path", self.decoded_row),
                           ("pixel cross-fade of the end images", self.fade_row)):
            label = QLabel(title)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft)
            label.setStyleSheet("color: gray")
            rows.addWidget(label)
            rows.addWidget(box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(controls)
        layout.addLayout(rows, 1)

        self.arrow_combo.activated.connect(lambda i: state.select_arrow(i))
        self.steps.valueChanged.connect(state.set_steps)
        self.mode.currentIndexChanged.connect(lambda _i: state.set_mode(self.mode.currentData()))
        self.delete_button.clicked.connect(state.delete_selected_arrow)
        self.png_button.clicked.connect(self.exportPng)
        self.gif_button.clicked.connect(self.exportGif)
        state.arrowsChanged.connect(self._update_arrow_list)
        state.stripChanged.connect(self._update_strip)
        state.activeChanged.connect(self._update_arrow_list)
        self._update_arrow_list()
        self._update_strip()

    def _update_arrow_list(self) -> None:
        e = self.state.active
        arrows = e.arrows if e is not None else []
        self.arrow_combo.blockSignals(True)
        self.arrow_combo.clear()
        for i, a in enumerate(arrows):
            ends = [f"#{a.index0}" if a.index0 is not None else "point",
                    f"#{a.index1}" if a.index1 is not None else "point"]
            self.arrow_combo.addItem(f"{i + 1}: {ends[0]} → {ends[1]}")
        if self.state.selected_arrow is not None:
            self.arrow_combo.setCurrentIndex(self.state.selected_arrow)
        self.arrow_combo.blockSignals(False)
        has = self.state.selected() is not None
        for w in (self.delete_button, self.png_button, self.gif_button, self.arrow_combo):
            w.setEnabled(has)
        self.hint.setVisible(not arrows)
        if self.steps.value() != self.state.steps:
            self.steps.setValue(self.state.steps)

    def _update_strip(self) -> None:
        a = self.state.selected()
        if a is None or a.frames is None:
            note = "" if a is None else "decoding once the model has loaded…"
            self.decoded_row.set_image(None, note)
            self.fade_row.set_image(None, "")
            return
        self.decoded_row.set_image(tile_row(a.frames, gap=1), "")
        self.fade_row.set_image(tile_row(a.fade, gap=1), "")
