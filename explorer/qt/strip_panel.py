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

from latent_atlas.explorer.session.arrows import DEFAULT_STEPS, MAX_STEPS, MIN_STEPS
from latent_atlas.explorer.session.panels.files import arrow_titles, strip_rows
from latent_atlas.explorer.session.session import Session

from .binding import FollowsSession, SessionBinding
from .image_box import ImageBox


def path_controls() -> tuple[QSpinBox, QComboBox]:
    """The steps spin box and the lerp / slerp choice of an interpolation strip."""
    steps = QSpinBox()
    steps.setRange(MIN_STEPS, MAX_STEPS)
    steps.setValue(DEFAULT_STEPS)
    steps.setPrefix("steps ")
    mode = QComboBox()
    mode.addItem("linear (lerp)", "lerp")
    mode.addItem("spherical (slerp)", "slerp")
    return steps, mode


def show_path_settings(steps: QSpinBox, mode: QComboBox, session: Session) -> None:
    """Show a session's steps and interpolation mode without emitting changes."""
    for w in (steps, mode):
        w.blockSignals(True)
    steps.setValue(session.steps)
    mode.setCurrentIndex(max(0, mode.findData(session.mode)))
    for w in (steps, mode):
        w.blockSignals(False)


class StripPanel(FollowsSession, QWidget):
    """Controls (arrow, steps, lerp/slerp, delete, export) over two image rows."""

    exportPng = Signal()
    exportGif = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.arrow_combo = QComboBox()
        self.arrow_combo.setMinimumContentsLength(14)
        self.steps, self.mode = path_controls()
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

        self.arrow_combo.activated.connect(lambda i: self._call("select_arrow", i))
        self.steps.valueChanged.connect(lambda v: self._call("set_steps", v))
        self.mode.currentIndexChanged.connect(
            lambda _i: self._call("set_mode", self.mode.currentData()))
        self.delete_button.clicked.connect(lambda: self._call("delete_selected_arrow"))
        self.png_button.clicked.connect(self.exportPng)
        self.gif_button.clicked.connect(self.exportGif)
        self._binding = SessionBinding([("arrows_changed", self._update),
                                        ("path_settings_changed", self._update)], widget=self)
        self.set_session(None)

    def _show_session(self) -> None:
        self._update()

    def _call(self, method: str, *args) -> None:
        if self.session is not None:
            getattr(self.session, method)(*args)

    def _update(self) -> None:
        self._update_arrow_list()
        self._update_strip()

    def _update_arrow_list(self) -> None:
        s = self.session
        arrows = s.arrows if s is not None else []
        self.arrow_combo.blockSignals(True)
        self.arrow_combo.clear()
        for title in arrow_titles(s):
            self.arrow_combo.addItem(title)
        if s is not None and s.selected_arrow is not None:
            self.arrow_combo.setCurrentIndex(s.selected_arrow)
        self.arrow_combo.blockSignals(False)
        has = s is not None and s.selected() is not None
        for w in (self.delete_button, self.png_button, self.gif_button, self.arrow_combo):
            w.setEnabled(has)
        self.hint.setVisible(not arrows)
        if s is not None:  # show this session's settings without echoing them back
            show_path_settings(self.steps, self.mode, s)

    def _update_strip(self) -> None:
        rows = strip_rows(self.session)
        self.decoded_row.set_image(rows.decoded, rows.note)
        self.fade_row.set_image(rows.fade, "")
